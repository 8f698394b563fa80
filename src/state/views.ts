// The page's view panels, named by the test id each Panel carries. The `views=` URL field lists the
// open ones (comma-separated, in this order); absent = all open, `views=` (empty) = all closed.

export const VIEW_IDS = [
  'routing-map',
  'router-panel',
  'flow-view',
  'cache-view',
  'attribution-view',
  'router-scores',
  'entropy-view',
  'expert-load',
  'next-token',
  'coactivation-view',
  'alignment-view',
  'coupling-view',
  'corpus-view',
] as const;

export type ViewId = (typeof VIEW_IDS)[number];

/** What the routing map's colour says (the `colour=` URL field; absent = by the expert count). */
export const MAP_COLOURS = ['expert', 'gate', 'rank', 'focus'] as const;

export type MapColour = (typeof MAP_COLOURS)[number];

export const isViewId = (s: string): s is ViewId => (VIEW_IDS as readonly string[]).includes(s);

/** Known ids of a `views=` value in VIEW_IDS order; each unknown name is reported through `warn`. */
export function parseViews(raw: string, warn: (message: string) => void): ViewId[] {
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names)
    if (!isViewId(n)) warn(`unknown view "${n}" (views: ${VIEW_IDS.join(', ')})`);
  return VIEW_IDS.filter((id) => names.includes(id));
}

/** A set of open views in VIEW_IDS order, so equal sets compare equal. */
export const normaliseViews = (ids: readonly string[]): ViewId[] =>
  VIEW_IDS.filter((id) => ids.includes(id));
