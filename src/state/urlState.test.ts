import { describe, expect, it } from 'vitest';
import { formatUrlState, parseUrlState, URL_DEFAULTS } from './urlState';
import { VIEW_IDS } from './views';
import { analysisRequests } from './useUrlSync';

describe('URL state codec', () => {
  it('round-trips every field and leaves defaults out', () => {
    const s = {
      ...URL_DEFAULTS,
      prompt: 'Grüße, 世界',
      model: 'babel-moe',
      router: 'topp:p=0.5',
      interventions: ['mask:layers=2,experts=3', 'steer:layers=1-3,experts=1+4,lambda=0.5'],
      token: 4,
      layer: 2,
      expert: 3,
      trace: ['traces/run.npy', 'traces/ids.json'],
      views: [...VIEW_IDS],
    };
    const url = formatUrlState(s);
    expect(url).not.toContain('model=');
    expect(url).toContain('trace=traces%2Frun.npy&trace=traces%2Fids.json');
    expect(parseUrlState(url)).toEqual({ state: s, notices: [] });
    expect(formatUrlState(URL_DEFAULTS)).toBe('');
    expect(formatUrlState({ ...URL_DEFAULTS, model: 'tiny-mixtral' })).toBe('?model=tiny-mixtral');
  });

  it('round-trips the analyses on screen and refuses malformed ones by name', () => {
    const s = {
      ...URL_DEFAULTS,
      align: 12,
      attrA: 'probe:en',
      attrB: 'Hallo Welt.\nNoch einer.',
      attrN: 3,
      coupling: { layer: 2, perturb: true },
      steer: { target: 'de', tau: 0.02, lambda: 0.5 },
    };
    const url = formatUrlState(s);
    expect(url).toBe(
      '?align=12&attrA=probe%3Aen&attrB=Hallo+Welt.%0ANoch+einer.&attrN=3&coupling=2%2Cperturb&steer=de%2C0.02%2C0.5',
    );
    expect(parseUrlState(url)).toEqual({ state: s, notices: [] });
    expect(parseUrlState('?coupling=1').state.coupling).toEqual({ layer: 1, perturb: false });
    const bad = parseUrlState('?align=0&coupling=x&steer=de,abc,0.5&steer=fr');
    expect(bad.state).toMatchObject({ align: null, coupling: null, steer: null });
    expect(bad.notices).toEqual([
      'ignored URL field align="0": align must be an integer ≥ 1, got "0"',
      'ignored URL field coupling="x": coupling must be a layer index, optionally followed by ",perturb", got "x"',
      'ignored URL field steer="de,abc,0.5": steer must be "<language>,<τ>,<λ>" with finite numbers, got "de,abc,0.5"',
    ]);
  });

  it('keeps the corpus view’s probe corpus and layer; opening the link routes the probe texts again', () => {
    const s = { ...URL_DEFAULTS, corpus: 3, corpusLayer: 2 };
    const url = formatUrlState(s);
    expect(url).toBe('?corpus=3&corpusLayer=2');
    expect(parseUrlState(url)).toEqual({ state: s, notices: [] });
    // a layer without the probe texts (files cannot travel in a link): the layer alone
    expect(formatUrlState({ ...URL_DEFAULTS, corpusLayer: 0 })).toBe('?corpusLayer=0');
    expect(analysisRequests(parseUrlState('?corpusLayer=1').state)).toBeNull();
    expect(analysisRequests(parseUrlState(url).state)).toEqual({ corpus: { articles: 3 } });
    const bad = parseUrlState('?corpus=0&corpusLayer=x');
    expect(bad.state).toMatchObject({ corpus: null, corpusLayer: null });
    expect(bad.notices).toEqual([
      'ignored URL field corpus="0": corpus must be an integer ≥ 1, got "0"',
      'ignored URL field corpusLayer="x": corpusLayer must be an integer ≥ 0, got "x"',
    ]);
  });

  it('ignores bad fields one by one with a notice naming each', () => {
    const { state, notices } = parseUrlState(
      '?q=hi&router=topp:p=7&iv=mask:layers=1,experts=2&iv=nuke:layers=1&t=-1&model=gpt-9',
    );
    expect(state.prompt).toBe('hi');
    expect(state.router).toBe('native');
    expect(state.interventions).toEqual(['mask:layers=1,experts=2']);
    expect(state.token).toBe(0);
    expect(state.model).toBe(URL_DEFAULTS.model);
    expect(notices).toEqual([
      'ignored URL field model="gpt-9": unknown model "gpt-9" (shipped: babel-moe, deepseek-moe, tiny-mixtral; or give a bundle URL)',
      'ignored URL field router="topp:p=7": topp: p must be in (0, 1], got 7',
      'ignored URL field iv="nuke:layers=1": unknown intervention "nuke" (known: bias, steer, force, mask, temp, upcycle, skip, repeat, rewire)',
      'ignored URL field t="-1": t must be an integer ≥ 0, got "-1"',
    ]);
  });

  it('keeps the map colouring: absent = the default for the expert count, a bad value is dropped with a notice', () => {
    expect(formatUrlState({ ...URL_DEFAULTS, colour: 'rank' })).toBe('?colour=rank');
    expect(parseUrlState('?colour=gate')).toEqual({
      state: { ...URL_DEFAULTS, colour: 'gate' },
      notices: [],
    });
    expect(parseUrlState('?colour=rainbow')).toEqual({
      state: URL_DEFAULTS,
      notices: [
        'ignored URL field colour="rainbow": colour must be one of expert, gate, rank, focus, got "rainbow"',
      ],
    });
  });

  it('keeps the open views: all open is the default, a closed one lists the rest, bad names are dropped with a notice', () => {
    const open = VIEW_IDS.filter((v) => v !== 'flow-view' && v !== 'cache-view');
    const url = formatUrlState({ ...URL_DEFAULTS, views: open });
    expect(url).toBe(`?views=${encodeURIComponent(open.join(','))}`);
    expect(parseUrlState(url)).toEqual({ state: { ...URL_DEFAULTS, views: open }, notices: [] });
    // every view closed is `views=` (empty), not the default
    expect(formatUrlState({ ...URL_DEFAULTS, views: [] })).toBe('?views=');
    expect(parseUrlState('?views=').state.views).toEqual([]);
    // order in the URL does not matter; unknown names are reported, known ones kept
    const { state, notices } = parseUrlState('?views=expert-load,sankey,routing-map');
    expect(state.views).toEqual(['routing-map', 'expert-load']);
    expect(notices).toEqual([
      `ignored part of URL field views="expert-load,sankey,routing-map": unknown view "sankey" (views: ${VIEW_IDS.join(', ')})`,
    ]);
  });
});
