// Cross-lingual routing alignment over a bundle's parallel probe set (Multilingual Routing in
// MoE): per language, article and layer the mean softmax routing vector over the article's
// tokens; Jensen–Shannon divergence (bits, in [0, 1]) to the reference language's same article,
// averaged over articles. The page's alignment view and `moe-lab align` both run this.
import { jsdBits, meanRoutingVector } from '../routing/metrics/index';
import type { Lab } from './lab';
import { modelExperts } from '../models/manifest';
import { Cancelled } from './engine';
import type { Progress } from './protocol';
import type { ProbeFile } from './probes';
import type { AlignResult } from '../routing/run';

export { parseProbeFile, type ProbeFile } from './probes';

export async function alignProbes(
  lab: Lab,
  probes: ProbeFile[],
  opts: { ref?: string; maxArticles?: number; onProgress?: (p: Progress) => void; signal?: { aborted: boolean } } = {},
): Promise<AlignResult> {
  const ref = opts.ref ?? 'en';
  const refProbe = probes.find((p) => p.lang === ref);
  if (!refProbe) throw new Error(`no probe text for the reference language "${ref}" (have: ${probes.map((p) => p.lang).join(', ')})`);
  const articles = refProbe.articles.map((a) => a.id).filter((id) => probes.every((p) => p.articles.some((a) => a.id === id))).slice(0, opts.maxArticles ?? Infinity);
  if (articles.length === 0) throw new Error('the probe files share no article ids: they are not parallel');
  const L = lab.manifest.numLayers;
  const E = modelExperts(lab.manifest);
  const policy = lab.policy('native');
  // vectors[lang][article][layer] = mean routing vector
  const vectors: Record<string, number[][][]> = {};
  const frequency: Record<string, number[][]> = {};
  const tokens: Record<string, number> = {};
  const total = probes.length * articles.length;
  let done = 0;
  for (const probe of probes) {
    vectors[probe.lang] = [];
    const counts = Array.from({ length: L }, () => new Array<number>(E).fill(0));
    let T = 0;
    for (const id of articles) {
      if (opts.signal?.aborted) throw new Cancelled();
      const text = probe.articles.find((a) => a.id === id)!.text;
      const { ids } = lab.encode(text);
      const r = await lab.engine.forward({ ids, router: policy, interventions: [], slot: 'align' });
      vectors[probe.lang].push(
        r.events.map((e) => {
          const rows = Array.from({ length: e.T }, (_, t) => Array.from(e.probs.subarray(t * e.E, (t + 1) * e.E)));
          e.selected.forEach((s) => s.forEach((x) => counts[e.layer][x]++));
          return meanRoutingVector(rows);
        }),
      );
      T += ids.length;
      opts.onProgress?.({ status: 'item', label: `probe ${probe.lang}`, index: ++done, count: total });
    }
    frequency[probe.lang] = counts.map((c) => c.map((x) => x / Math.max(1, T)));
    tokens[probe.lang] = T;
  }
  const jsd: Record<string, (number | null)[]> = {};
  // A dense layer routes nothing: its empty "routing vectors" would read as JSD 0 (identical).
  const dense = (l: number) => lab.manifest.layers[l].kind === 'dense';
  for (const probe of probes) {
    jsd[probe.lang] = Array.from({ length: L }, (_, l) => {
      if (dense(l)) return null;
      let s = 0;
      articles.forEach((_, a) => (s += jsdBits(vectors[probe.lang][a][l], vectors[ref][a][l])));
      return s / articles.length;
    });
  }
  return { ref, languages: probes.map((p) => p.lang), articles, numLayers: L, jsd, frequency, tokens };
}
