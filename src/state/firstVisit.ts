// The first visit: the bare address runs the default model on an example sentence at once, so the
// page opens on a real routing map instead of empty panels. The example is not written into the
// URL: the address stays bare until the user changes something, and then the link names the
// prompt like any other (a shared link never depends on this default).
import { URL_DEFAULTS, type UrlState } from './urlState';

/** What the bare address runs (the English one of the prompt bar's examples). */
export const FIRST_VISIT_PROMPT = 'All human beings are born free and equal in dignity and rights.';

let active = false;

/** Is this page load a first visit, i.e. an address with no query at all? Remembers the answer. */
export function startFirstVisit(search: string): boolean {
  active = new URLSearchParams(search).toString() === '';
  return active;
}

/** The example is on screen: the first visit's prompt, not yet changed. */
export const showsFirstVisit = (prompt: string): boolean => active && prompt === FIRST_VISIT_PROMPT;

/**
 * The URL for a state: the bare address while it is the first visit's example with nothing
 * else changed; otherwise the state as it is (from then on, for the rest of the visit).
 */
export function firstVisitUrl(u: UrlState): UrlState {
  if (!active) return u;
  if (
    u.prompt === FIRST_VISIT_PROMPT &&
    JSON.stringify({ ...u, prompt: '' }) === JSON.stringify(URL_DEFAULTS)
  )
    return URL_DEFAULTS;
  active = false;
  return u;
}
