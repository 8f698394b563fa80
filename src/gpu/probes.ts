// Parallel probe texts shipped in a bundle (probes/<lang>.json): the held-out UDHR articles.
import { InputError, readJson } from '../routing/safeJson';

export interface ProbeFile {
  lang: string;
  articles: { id: string; text: string }[];
}

export function parseProbeFile(bytes: Uint8Array, name: string): ProbeFile {
  const j = readJson(bytes, name);
  const p = j as ProbeFile;
  if (typeof p?.lang !== 'string' || !Array.isArray(p.articles) || p.articles.some((a) => typeof a?.id !== 'string' || typeof a?.text !== 'string'))
    throw new InputError(`${name}: a probe file must be {"lang": "<code>", "articles": [{"id": "…", "text": "…"}]}`);
  return p;
}

/**
 * The texts of one probe language, one per article, the first `articles` of them (all when
 * undefined): what `moe-lab attribute --a-probe <lang>` and the attribution view's picker route.
 */
export function probeTexts(probes: ProbeFile[], lang: string, articles?: number): string[] {
  const probe = probes.find((p) => p.lang === lang);
  if (!probe) throw new Error(`no probe text for "${lang}" (have: ${probes.map((p) => p.lang).join(', ') || 'none: the bundle ships no probes/'})`);
  return probe.articles.slice(0, articles ?? Infinity).map((a) => a.text);
}
