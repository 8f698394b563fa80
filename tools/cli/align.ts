// `moe-lab align`: per-layer cross-lingual routing alignment (JS divergence to English) on the
// bundle's parallel probe set, or on a folder of <lang>.json probe files.
import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkFlags, one, parseArgs, UsageError } from './args';
import { DEFAULT_MODEL_DIR, openLab } from './nodeBundle';
import { alignProbes, parseProbeFile, type ProbeFile } from '../../src/gpu/align';

export async function alignCommand(argv: string[]): Promise<object> {
  const args = parseArgs(argv);
  checkFlags(args, ['model', 'probe', 'langs', 'ref', 'articles', 'backend', 'steer', 'tau', 'lambda'], 'align');
  const model = one(args, 'model') ?? DEFAULT_MODEL_DIR;
  const langs = one(args, 'langs')?.split(',').map((s) => s.trim()).filter(Boolean);
  const maxArticles = one(args, 'articles') === undefined ? undefined : Number(one(args, 'articles'));
  if (maxArticles !== undefined && !(Number.isInteger(maxArticles) && maxArticles > 0)) throw new UsageError(`--articles must be a positive integer`);
  const lab = await openLab(model, one(args, 'backend') ?? 'node');
  const probes: ProbeFile[] = [];
  const dir = one(args, 'probe');
  if (dir) {
    if (!existsSync(dir)) throw new UsageError(`--probe folder "${dir}" does not exist`);
    for (const f of (await readdir(dir)).filter((n) => n.endsWith('.json')).sort()) probes.push(parseProbeFile(new Uint8Array(await readFile(join(dir, f))), f));
  } else {
    const m = lab.manifest;
    if (!m.probes) throw new UsageError(`${model} ships no probes/: pass --probe <dir> with <lang>.json files`);
    const { readBundle } = await import('./nodeBundle');
    const b = await readBundle(model);
    for (const [path, bytes] of b.files) if (path.startsWith(m.probes) && path.endsWith('.json')) probes.push(parseProbeFile(bytes, path));
  }
  const chosen = langs ? probes.filter((p) => langs.includes(p.lang)) : probes;
  const missing = langs?.filter((l) => !probes.some((p) => p.lang === l)) ?? [];
  if (missing.length) throw new UsageError(`no probe text for ${missing.join(', ')} (have: ${probes.map((p) => p.lang).join(', ')})`);
  const ref = one(args, 'ref') ?? 'en';
  if (!chosen.some((p) => p.lang === ref)) chosen.unshift(probes.find((p) => p.lang === ref) ?? (() => { throw new UsageError(`no probe text for the reference language "${ref}"`); })());
  const r = await alignProbes(lab, chosen, { ref, maxArticles });
  const round = (x: number | null) => (x === null ? null : Math.round(x * 1e4) / 1e4);
  const dense = (l: number) => lab.manifest.layers[l].kind === 'dense';
  const steerLang = one(args, 'steer');
  let steering: object | undefined;
  if (steerLang) {
    if (!r.languages.includes(steerLang)) throw new UsageError(`--steer ${steerLang}: not among the aligned languages (${r.languages.join(', ')})`);
    const num = (k: string, d: number) => {
      const v = one(args, k);
      if (v === undefined) return d;
      if (!Number.isFinite(Number(v))) throw new UsageError(`--${k} must be a number, got "${v}"`);
      return Number(v);
    };
    const { steeringExperiment } = await import('../../src/gpu/steering');
    steering = await steeringExperiment(lab, r, steerLang, { tau: num('tau', 0.05), lambda: num('lambda', 0.5) });
  }
  return {
    ...(steering ? { steering } : {}),
    model: lab.manifest.id,
    backend: lab.engine.backend,
    metric: 'Jensen–Shannon divergence (bits, 0 = identical, 1 = disjoint) between per-article mean softmax routing vectors, vs the reference language, mean over articles',
    ref: r.ref,
    articles: r.articles.length,
    tokens: r.tokens,
    // Dense layers (no router) are marked and carry jsd: null, never a misleading 0.
    layers: Array.from({ length: r.numLayers }, (_, l) => (dense(l) ? { index: l, kind: 'dense', jsd: null } : { index: l, jsd: Object.fromEntries(r.languages.map((lang) => [lang, round(r.jsd[lang][l])])) })),
    languages: Object.fromEntries(r.languages.map((lang) => [lang, r.jsd[lang].map(round)])),
  };
}
