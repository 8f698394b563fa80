// @vitest-environment jsdom
// Replies of the worker into the store: a loaded model whose first layers are dense opens the
// per-layer views on its first MoE layer, unless the focus was chosen (pinned, e.g. by the URL).
import { afterEach, describe, expect, it } from 'vitest';
import { useLab } from '../store';
import { handleReply } from './replies';
import { current } from './requests';
import type { Manifest } from '../../models/manifest';

const manifest = {
  id: 'dsv3-like',
  numLayers: 4,
  layers: [
    { kind: 'dense', numExperts: 0, topK: 0, sharedExperts: 0 },
    { kind: 'dense', numExperts: 0, topK: 0, sharedExperts: 0 },
    { kind: 'moe', numExperts: 8, topK: 2, sharedExperts: 1 },
    { kind: 'moe', numExperts: 8, topK: 2, sharedExperts: 1 },
  ],
} as unknown as Manifest;

const initial = useLab.getState();
afterEach(() => useLab.setState(initial, true));

function loaded() {
  current.load = 42;
  performance.mark('moe-load-42'); // (as the load command does)
  handleReply({ type: 'loaded', requestId: 42, manifest, backend: 'wasm', backendNote: null });
}

describe('loaded', () => {
  it('moves an unpinned focus off a dense layer to the first MoE layer', () => {
    useLab.setState({ focus: { token: 3, layer: 0, expert: null } });
    loaded();
    expect(useLab.getState().focus).toEqual({ token: 3, layer: 2, expert: null });
    expect(useLab.getState().manifest).toBe(manifest);
  });

  it('keeps a pinned focus and a focus already on a MoE layer', () => {
    useLab.setState({ focus: { token: 1, layer: 1, expert: null }, pinned: true });
    loaded();
    expect(useLab.getState().focus.layer).toBe(1);
    useLab.setState({ focus: { token: 1, layer: 3, expert: 5 }, pinned: false });
    loaded();
    expect(useLab.getState().focus).toEqual({ token: 1, layer: 3, expert: 5 });
  });
});

describe('forwarded', () => {
  it("replaces the run's notices but keeps the page's (ignored URL fields) until dismissed", () => {
    current.run = 7;
    performance.mark('moe-run-7');
    useLab.setState({
      pageNotices: ['ignored URL field router="topq": unknown router "topq"'],
      notices: ['an old run notice'],
    });
    const summary = {
      tokens: [{ id: 1, text: 'Hi' }],
      loss: [],
      next: [],
      from: 0,
      ms: 1,
      router: 'native',
      interventions: [],
      notices: ['prompt truncated to 64 tokens'],
    };
    handleReply({ type: 'forwarded', requestId: 7, summary } as Parameters<typeof handleReply>[0]);
    expect(useLab.getState().notices).toEqual(['prompt truncated to 64 tokens']);
    expect(useLab.getState().pageNotices).toEqual([
      'ignored URL field router="topq": unknown router "topq"',
    ]);
    useLab.getState().dismissPageNotice(0);
    expect(useLab.getState().pageNotices).toEqual([]);
  });
});
