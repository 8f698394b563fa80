// A fake engine client for component tests: every command the store's actions send is recorded
// (name and arguments, in order) and answered with plain data, as the worker would; a test
// overrides the commands whose answers it cares about. `sourceForModel` answers as the real one
// does for a shipped model (its folder under models/) or a typed URL (that URL).
import { connectEngine, type EngineCommands } from '../../state/actions';

export type EngineCall = [name: keyof EngineCommands, ...args: unknown[]];

export function fakeEngine(overrides: Partial<EngineCommands> = {}): { engine: EngineCommands; calls: EngineCall[] } {
  const calls: EngineCall[] = [];
  const rec =
    <A extends unknown[], R>(name: keyof EngineCommands, answer: (...args: A) => R) =>
    (...args: A): R => {
      calls.push([name, ...args]);
      return answer(...args);
    };
  const defaults: EngineCommands = {
    loadModel: rec('loadModel', () => undefined),
    sourceForModel: (id, url) => ({ kind: 'url', url: url ?? `models/${id}/` }),
    runPrompt: rec('runPrompt', () => undefined),
    generate: rec('generate', () => undefined),
    cancel: rec('cancel', () => undefined),
    runAlign: rec('runAlign', () => undefined),
    convertModel: rec('convertModel', () => undefined),
    cancelConvert: rec('cancelConvert', () => undefined),
    convertedBundleZip: rec('convertedBundleZip', () => Promise.reject(new Error('nothing converted'))),
    routeTexts: rec('routeTexts', async () => []),
    probeTexts: rec('probeTexts', async () => []),
    coupling: rec('coupling', async (layer: number) => ({ layer, M: [], R: [], scoreNormCorrelation: null })),
    steer: rec('steer', () => Promise.reject(new Error('steer not faked'))),
    corpus: rec('corpus', () => Promise.reject(new Error('corpus not faked'))),
    corpusAblate: rec('corpusAblate', () => Promise.reject(new Error('corpusAblate not faked'))),
    cancelCorpus: rec('cancelCorpus', () => undefined),
  };
  const engine = { ...defaults };
  for (const [name, fn] of Object.entries(overrides) as [keyof EngineCommands, (...a: unknown[]) => unknown][]) {
    (engine as Record<string, unknown>)[name] = name === 'sourceForModel' ? fn : rec(name, fn);
  }
  return { engine, calls };
}

/** Plug a fresh fake engine into the store; returns the list its calls are recorded in. */
export function connectFakeEngine(overrides: Partial<EngineCommands> = {}): EngineCall[] {
  const fake = fakeEngine(overrides);
  connectEngine(fake.engine);
  return fake.calls;
}
