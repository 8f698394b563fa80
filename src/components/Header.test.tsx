// @vitest-environment jsdom
// The header's model picker (shipped models, a bundle URL, a bundle folder from disk), the name
// of a local or converted model, the backend and weight-format badges, and the imported-trace
// badge. The engine is a fake that records the commands the store's actions send it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { Header } from './Header';
import { MOCK_MANIFEST } from './__fixtures__/mockRun';
import { folderFiles, pick } from './__fixtures__/filePick';
import { connectFakeEngine, type EngineCall } from './__fixtures__/fakeEngine';
import { useLab } from '../state/store';
import { DEFAULT_MODEL_ID, SHIPPED_MODELS } from '../models/registry';
import type { Manifest } from '../models/manifest';

let calls: EngineCall[];
beforeEach(() => {
  calls = connectFakeEngine();
});
afterEach(() => {
  cleanup();
  useLab.setState(useLab.getInitialState());
});

const select = () => screen.getByTestId('model-select') as HTMLSelectElement;
const options = () => Array.from(select().options, (o) => [o.value, o.textContent]);


const loaded = () => calls.filter((c) => c[0] === 'loadModel').map((c) => c[1]);
const bytesOf = (src: unknown) => (src as { files: { name: string; data: ArrayBuffer }[] }).files.map((f) => [f.name, Array.from(new Uint8Array(f.data))]);

describe('Header: model picker', () => {
  it('lists the shipped models; choosing one sets modelId and loads its source', () => {
    render(<Header />);
    expect(SHIPPED_MODELS.map((m) => m.id)).toEqual(['babel-moe', 'deepseek-moe', 'tiny-mixtral']);
    expect(options()).toEqual([
      ['babel-moe', 'babel-moe (12 languages, 8 experts, top-2)'],
      ['deepseek-moe', 'deepseek-moe (12 languages, 32 experts top-4 + 1 shared, sigmoid + bias)'],
      ['tiny-mixtral', 'tiny-mixtral (test fixture, random weights)'],
    ]);
    expect(select().value).toBe(DEFAULT_MODEL_ID);
    expect(screen.getByLabelText('Model')).toBe(select()); // the label names the select
    fireEvent.change(select(), { target: { value: 'tiny-mixtral' } });
    expect(useLab.getState().modelId).toBe('tiny-mixtral');
    expect(select().value).toBe('tiny-mixtral');
    expect(calls).toEqual([['loadModel', { kind: 'url', url: 'models/tiny-mixtral/' }]]);
  });

  it('loads a typed bundle URL (trimmed); an empty one loads nothing', () => {
    render(<Header />);
    const url = screen.getByTestId('model-url') as HTMLInputElement;
    fireEvent.change(url, { target: { value: '   ' } });
    fireEvent.submit(url.form!);
    expect(calls).toEqual([]);
    expect(useLab.getState().modelUrl).toBeNull();

    fireEvent.change(url, { target: { value: '  https://example.org/bundles/olmoe/  ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Load' }));
    expect(useLab.getState().modelUrl).toBe('https://example.org/bundles/olmoe/');
    expect(loaded()).toEqual([{ kind: 'url', url: 'https://example.org/bundles/olmoe/' }]);
    // until the manifest arrives the select names the URL; then the model's own name
    expect(select().value).toBe('');
    expect(options()[0]).toEqual(['', 'https://example.org/bundles/olmoe/']);
    act(() => useLab.setState({ manifest: { ...MOCK_MANIFEST, name: 'OLMoE (remote)' } }));
    expect(options()[0]).toEqual(['', 'OLMoE (remote)']);
    expect(options()).toHaveLength(1 + SHIPPED_MODELS.length);

    // back to a shipped model: the URL is dropped and the custom entry goes
    fireEvent.change(select(), { target: { value: 'babel-moe' } });
    expect(useLab.getState()).toMatchObject({ modelId: 'babel-moe', modelUrl: null, localFolder: null });
    expect(loaded()[1]).toEqual({ kind: 'url', url: 'models/babel-moe/' });
    expect(options().map((o) => o[0])).toEqual(['babel-moe', 'deepseek-moe', 'tiny-mixtral']);
  });

  it('opens a bundle folder from disk: every file with its path and bytes, the folder named in the select', async () => {
    render(<Header />);
    pick(
      screen.getByTestId('model-folder'),
      folderFiles({ 'my-bundle/manifest.json': [123, 125], 'my-bundle/embed.onnx': [1, 2, 3], 'my-bundle/probes/en.json': [91, 93] }),
    );
    await waitFor(() => expect(loaded()).toHaveLength(1));
    expect(useLab.getState().localFolder).toBe('my-bundle');
    expect(loaded()[0]).toMatchObject({ kind: 'files' });
    expect(bytesOf(loaded()[0])).toEqual([
      ['my-bundle/manifest.json', [123, 125]],
      ['my-bundle/embed.onnx', [1, 2, 3]],
      ['my-bundle/probes/en.json', [91, 93]],
    ]);
    expect(select().value).toBe('');
    expect(options()[0]).toEqual(['', 'my-bundle']);
  });

  it('an empty folder pick does nothing', () => {
    render(<Header />);
    pick(screen.getByTestId('model-folder'), []);
    expect(calls).toEqual([]);
    expect(useLab.getState().localFolder).toBeNull();
  });

  it('a folder opened after a bundle URL replaces the URL (select names the folder, modelUrl cleared)', async () => {
    useLab.setState({ modelUrl: 'https://example.org/bundles/olmoe/' });
    render(<Header />);
    pick(screen.getByTestId('model-folder'), folderFiles({ 'my-bundle/manifest.json': [123, 125] }));
    await waitFor(() => expect(loaded()).toHaveLength(1));
    expect(options()[0]).toEqual(['', 'my-bundle']);
    expect(useLab.getState().modelUrl).toBeNull();
  });

  it('names a converted model by its manifest (select on the custom entry), and offers to save it', () => {
    useLab.setState({ localFolder: 'hf', converted: true, manifest: { ...MOCK_MANIFEST, id: 'hf', name: 'hf (mixtral, fp32)' } });
    render(<Header />);
    expect(select().value).toBe('');
    expect(options()).toEqual([
      ['', 'hf (mixtral, fp32)'],
      ['babel-moe', 'babel-moe (12 languages, 8 experts, top-2)'],
      ['deepseek-moe', 'deepseek-moe (12 languages, 32 experts top-4 + 1 shared, sigmoid + bias)'],
      ['tiny-mixtral', 'tiny-mixtral (test fixture, random weights)'],
    ]);
    expect(screen.getByTestId('save-bundle').textContent).toBe('Save bundle');
  });

  it('shows a model name that looks like HTML as text', () => {
    useLab.setState({ localFolder: 'x', manifest: { ...MOCK_MANIFEST, name: '<img src=x onerror=alert(1)>evil' } });
    render(<Header />);
    expect(options()[0][1]).toBe('<img src=x onerror=alert(1)>evil');
    expect(document.querySelector('header img')).toBeNull();
  });
});

describe('Header: badges', () => {
  it('the backend badge names the backend (and its note) once a pass has run', () => {
    render(<Header />);
    const badge = screen.getByTestId('backend-badge');
    expect(badge.textContent).toBe('no backend yet');
    expect(badge.className).toBe('badge badge-none');
    expect(badge.getAttribute('aria-label')).toBe('Backend: not started');
    act(() => useLab.setState({ backend: 'webgpu', backendNote: null }));
    expect(badge.textContent).toBe('webgpu');
    expect(badge.className).toBe('badge badge-webgpu');
    expect(badge.getAttribute('title')).toBe('The inference backend that ran the last pass');
    act(() => useLab.setState({ backend: 'wasm', backendNote: 'WebGPU unavailable: no adapter' }));
    expect(badge.textContent).toBe('wasm');
    expect(badge.getAttribute('title')).toBe('WebGPU unavailable: no adapter');
    expect(badge.getAttribute('aria-label')).toBe('Backend: wasm (WebGPU unavailable: no adapter)');
  });

  it('the dtype badge shows the weight format of a quantised or half-precision manifest, none for fp32', () => {
    render(<Header />);
    expect(screen.queryByTestId('dtype-badge')).toBeNull(); // no model yet
    const titles: Record<string, string> = {
      q8: '8-bit weights (MatMulNBits), float32 activations',
      q4: '4-bit weights (MatMulNBits), float32 activations',
      fp16: 'weights stored as float16, computed in float32',
    };
    for (const [dtype, what] of Object.entries(titles)) {
      act(() => useLab.setState({ manifest: { ...MOCK_MANIFEST, dtype } as Manifest }));
      const badge = screen.getByTestId('dtype-badge');
      expect(badge.textContent).toBe(dtype);
      expect(badge.getAttribute('title')).toBe(`This model's ${what}: its numbers differ slightly from the float32 model (README, Weight formats)`);
    }
    act(() => useLab.setState({ manifest: { ...MOCK_MANIFEST, dtype: 'fp32' } as Manifest }));
    expect(screen.queryByTestId('dtype-badge')).toBeNull();
  });
});

describe('Header: imported trace', () => {
  // A two-token, one-layer trace as a serving engine would record it: expert ids only.
  const TRACE = {
    model: { id: 'captured', numLayers: 1, numExperts: 4 },
    backend: 'vllm',
    tokens: [
      { id: 1, text: '<s>' },
      { id: 2, text: ' hi' },
    ],
    layers: [{ selected: [[0, 1], [2, 3]] }],
  };

  it('opens a trace file, names it (as text) in a badge; × goes back to the model and re-runs', async () => {
    useLab.setState({ manifest: MOCK_MANIFEST, prompt: 'Hello' });
    render(<Header />);
    const file = new File([JSON.stringify(TRACE)], '<b>capture</b>.json', { type: 'application/json' });
    pick(screen.getByTestId('trace-file'), [file]);
    await waitFor(() => expect(screen.getByTestId('imported-trace')).toBeTruthy());
    const badge = screen.getByTestId('imported-trace');
    expect(badge.textContent).toBe('trace: <b>capture</b>.json×');
    expect(badge.querySelector('b')).toBeNull();
    expect(badge.getAttribute('title')).toBe('Imported from vllm (no router logits) (no gate weights)');
    const s = useLab.getState();
    expect(s.imported).toMatchObject({ name: '<b>capture</b>.json', engine: 'vllm', hasLogits: false, hasGates: false });
    expect(s.modified.layers.map((l) => l.selected)).toEqual([[[0, 1], [2, 3]]]);
    expect(calls).toEqual([['cancel']]); // a run still streaming must not paint over the trace

    fireEvent.click(screen.getByRole('button', { name: 'Close the trace and go back to the model' }));
    expect(useLab.getState().imported).toBeNull();
    expect(screen.queryByTestId('imported-trace')).toBeNull();
    expect(calls).toEqual([['cancel'], ['runPrompt']]);
  });

  it('a file that is not a trace leaves the page as it was and says why in the banner', async () => {
    render(<Header />);
    pick(screen.getByTestId('trace-file'), [new File(['{"tokens": 3}'], 'bad.json')]);
    await waitFor(() => expect(useLab.getState().error).not.toBeNull());
    expect(useLab.getState().error).toMatch(/^Could not open the trace: /);
    expect(useLab.getState().imported).toBeNull();
    expect(screen.queryByTestId('imported-trace')).toBeNull();
  });
});
