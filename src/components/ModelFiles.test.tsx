// @vitest-environment jsdom
// The header's Convert HF… menu (weight type, checkpoint folder or URL prefix), its progress and
// Cancel while converting, Save bundle once converted, and the Bundle .zip… picker. The engine
// is a fake that records the commands the store's actions send it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { zipSync } from 'fflate';
import { ConvertPicker, ZipPicker } from './ModelFiles';
import { folderFiles, pick } from './__fixtures__/filePick';
import { connectFakeEngine, type EngineCall } from './__fixtures__/fakeEngine';
import { useLab } from '../state/store';
import type { EngineCommands } from '../state/actions';

let calls: EngineCall[];
function connect(overrides: Partial<EngineCommands> = {}) {
  calls = connectFakeEngine(overrides);
}
beforeEach(() => connect());
afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  useLab.setState(useLab.getInitialState());
});


type Files = { kind: 'files'; files: { name: string; data: ArrayBuffer }[] };
const bytesOf = (src: unknown) => (src as Files).files.map((f) => [f.name, Array.from(new Uint8Array(f.data))]);
const converts = () => calls.filter((c) => c[0] === 'convertModel');
const byId = <E extends HTMLElement = HTMLInputElement>(id: string) => screen.getByTestId(id) as E;
const dtypeSelect = () => byId<HTMLSelectElement>('convert-dtype');
const button = (id: string) => byId<HTMLButtonElement>(id);

describe('ConvertPicker: starting a conversion', () => {
  it('converts a checkpoint folder to the chosen dtype: only .json/.safetensors files, id from the folder name', async () => {
    render(<ConvertPicker />);
    const menu = screen.getByTestId('convert-menu') as HTMLDetailsElement;
    menu.open = true;
    expect(Array.from(dtypeSelect().options, (o) => o.value)).toEqual(['fp32', 'fp16', 'q8', 'q4']);
    expect(dtypeSelect().value).toBe('fp32');
    fireEvent.change(dtypeSelect(), { target: { value: 'q4' } });
    pick(
      byId('convert-folder'),
      folderFiles({
        'Qwen1.5 MoE (A2.7B)/config.json': [1],
        'Qwen1.5 MoE (A2.7B)/tokenizer.json': [2, 2],
        'Qwen1.5 MoE (A2.7B)/pytorch_model.bin': [9, 9, 9],
        'Qwen1.5 MoE (A2.7B)/README.md': [8],
        'Qwen1.5 MoE (A2.7B)/model.safetensors': [3, 3, 3],
      }),
    );
    await waitFor(() => expect(converts()).toHaveLength(1));
    const [, source, opts] = converts()[0];
    // '.bin' and '.md' are not read; the id keeps letters, digits, '.', '_', '-' (runs of others → '-', trimmed)
    // the JSON files as bytes; the weights stay a File, which the worker reads by slices
    const files = (source as { files: { name: string; data: ArrayBuffer | Blob }[] }).files;
    expect(files.map((f) => [f.name, f.data instanceof Blob ? 'file' : 'bytes'])).toEqual([
      ['Qwen1.5 MoE (A2.7B)/config.json', 'bytes'],
      ['Qwen1.5 MoE (A2.7B)/tokenizer.json', 'bytes'],
      ['Qwen1.5 MoE (A2.7B)/model.safetensors', 'file'],
    ]);
    expect(bytesOf({ files: files.slice(0, 2) })).toEqual([
      ['Qwen1.5 MoE (A2.7B)/config.json', [1]],
      ['Qwen1.5 MoE (A2.7B)/tokenizer.json', [2, 2]],
    ]);
    expect(Array.from(new Uint8Array(await (files[2].data as Blob).arrayBuffer()))).toEqual([3, 3, 3]);
    expect(opts).toEqual({ dtype: 'q4', id: 'Qwen1.5-MoE-A2.7B' });
    expect(menu.open).toBe(false); // the menu closes; progress and Cancel show in the header
  });

  it('names the id "checkpoint" when the pick carries no folder path', async () => {
    render(<ConvertPicker />);
    pick(byId('convert-folder'), [new File([new Uint8Array([7])], 'config.json')]);
    await waitFor(() => expect(converts()).toHaveLength(1));
    expect(converts()[0][2]).toEqual({ dtype: 'fp32', id: 'checkpoint' });
  });

  it('converts a URL prefix (made absolute, with a trailing slash), id from its last segment', () => {
    render(<ConvertPicker />);
    expect(document.baseURI).toBe('http://localhost:3000/');
    fireEvent.change(dtypeSelect(), { target: { value: 'fp16' } });
    fireEvent.change(byId('convert-url'), { target: { value: '  ck/tiny-fused ' } });
    fireEvent.click(button('convert-url-go'));
    expect(converts()).toEqual([['convertModel', { kind: 'url', url: 'http://localhost:3000/ck/tiny-fused/' }, { dtype: 'fp16', id: 'tiny-fused' }]]);

    fireEvent.change(dtypeSelect(), { target: { value: 'q8' } });
    fireEvent.change(byId('convert-url'), { target: { value: 'https://example.org/ckpts/OLMoE-1B-7B/' } });
    fireEvent.submit(byId('convert-url').form!);
    expect(converts()[1]).toEqual(['convertModel', { kind: 'url', url: 'https://example.org/ckpts/OLMoE-1B-7B/' }, { dtype: 'q8', id: 'OLMoE-1B-7B' }]);
  });

  it('an empty URL or an empty folder pick converts nothing', () => {
    render(<ConvertPicker />);
    fireEvent.change(byId('convert-url'), { target: { value: '   ' } });
    fireEvent.click(button('convert-url-go'));
    pick(byId('convert-folder'), []);
    expect(calls).toEqual([]);
  });
});

describe('ConvertPicker: while converting and after', () => {
  it('shows the progress label (as text) and Cancel, which cancels the conversion; the inputs are off', () => {
    useLab.setState({ converting: true, progress: null });
    render(<ConvertPicker />);
    expect(screen.getByTestId('convert-progress').textContent).toBe('Converting…');
    act(() => useLab.setState({ progress: { label: 'Converting: layer3.moe.onnx (8 of 27)', value: 8 / 27 } }));
    expect(screen.getByTestId('convert-progress').textContent).toBe('Converting: layer3.moe.onnx (8 of 27)');
    expect(dtypeSelect().disabled).toBe(true);
    expect(byId('convert-folder').disabled).toBe(true);
    expect(button('convert-url-go').disabled).toBe(true);
    expect(screen.queryByTestId('save-bundle')).toBeNull();

    fireEvent.click(screen.getByTestId('convert-cancel'));
    expect(calls).toEqual([['cancelConvert']]);

    act(() => useLab.setState({ progress: { label: '<img src=x onerror=alert(1)>', value: 0 } }));
    expect(screen.getByTestId('convert-progress').textContent).toBe('<img src=x onerror=alert(1)>');
    expect(document.querySelector('[data-testid="convert-progress"] img')).toBeNull();

    act(() => useLab.setState({ converting: false, progress: null }));
    expect(screen.queryByTestId('convert-cancel')).toBeNull();
    expect(screen.queryByTestId('convert-progress')).toBeNull();
    expect(dtypeSelect().disabled).toBe(false);
  });

  it('Save bundle downloads the converted bundle as <id>.zip', async () => {
    let resolve!: (v: { fileName: string; data: ArrayBuffer }) => void;
    connect({ convertedBundleZip: () => new Promise((r) => (resolve = r)) });
    const blobs: Blob[] = [];
    vi.spyOn(URL, 'createObjectURL').mockImplementation((b) => {
      blobs.push(b as Blob);
      return 'blob:http://localhost:3000/zip-1';
    });
    const revoke = vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => {});
    const clicked: { href: string; download: string }[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push({ href: this.href, download: this.download });
    });
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      useLab.setState({ converted: true });
      render(<ConvertPicker />);
      const save = button('save-bundle');
      expect(save.textContent).toBe('Save bundle');
      fireEvent.click(save);
      expect(save.textContent).toBe('Saving…');
      expect(save.disabled).toBe(true);
      expect(calls).toEqual([['convertedBundleZip']]);
      await act(async () => resolve({ fileName: 'hf.zip', data: new Uint8Array([80, 75, 3, 4, 0]).buffer }));
      expect(clicked).toEqual([{ href: 'blob:http://localhost:3000/zip-1', download: 'hf.zip' }]);
      expect(blobs).toHaveLength(1);
      expect(blobs[0].type).toBe('application/zip');
      expect(Array.from(new Uint8Array(await blobs[0].arrayBuffer()))).toEqual([80, 75, 3, 4, 0]);
      expect(save.textContent).toBe('Save bundle');
      expect(save.disabled).toBe(false);
      // the object URL is let go a minute later
      vi.advanceTimersByTime(59_999);
      expect(revoke).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(revoke).toHaveBeenCalledWith('blob:http://localhost:3000/zip-1');
    } finally {
      vi.useRealTimers();
    }
  });

  it('a failed save shows its message in the banner and the button comes back', async () => {
    connect({ convertedBundleZip: () => Promise.reject(new Error('no converted bundle in the worker')) });
    useLab.setState({ converted: true });
    render(<ConvertPicker />);
    fireEvent.click(button('save-bundle'));
    await waitFor(() => expect(useLab.getState().error).toBe('no converted bundle in the worker'));
    expect(button('save-bundle').disabled).toBe(false);
    expect(button('save-bundle').textContent).toBe('Save bundle');
  });

  it('offers no Save bundle for a model that was not converted here', () => {
    render(<ConvertPicker />);
    expect(screen.queryByTestId('save-bundle')).toBeNull();
  });
});

describe('ZipPicker', () => {
  const zipOf = (entries: Record<string, number[]>) => zipSync(Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, new Uint8Array(v)])));

  it('opens a zipped bundle: its files with their bytes, named after the .zip', async () => {
    render(<ZipPicker />);
    const zip = zipOf({ 'hf/manifest.json': [123, 125], 'hf/embed.onnx': [1, 2, 3] });
    pick(screen.getByTestId('model-zip'), [new File([zip], 'hf-export.ZIP')]);
    await waitFor(() => expect(calls).toHaveLength(1));
    expect(calls[0][0]).toBe('loadModel');
    expect(calls[0][1]).toMatchObject({ kind: 'files' });
    expect(bytesOf(calls[0][1])).toEqual([
      ['hf/manifest.json', [123, 125]],
      ['hf/embed.onnx', [1, 2, 3]],
    ]);
    expect(useLab.getState().localFolder).toBe('hf-export');
  });

  it('a zip without a manifest, or not a zip, shows why and loads nothing', async () => {
    render(<ZipPicker />);
    pick(screen.getByTestId('model-zip'), [new File([zipOf({ 'notes.txt': [1] })], 'notes.zip')]);
    await waitFor(() => expect(useLab.getState().error).toBe('notes.zip: no manifest.json in the zip (is it a bundle?)'));
    pick(screen.getByTestId('model-zip'), [new File(['hello'], 'junk.zip')]);
    await waitFor(() => expect(useLab.getState().error).toMatch(/^junk\.zip: not a readable zip file \(/));
    expect(calls).toEqual([]);
    expect(useLab.getState().localFolder).toBeNull();
  });

  it('a .zip opened after a bundle URL replaces the URL', async () => {
    useLab.setState({ modelUrl: 'https://example.org/bundles/olmoe/' });
    render(<ZipPicker />);
    pick(screen.getByTestId('model-zip'), [new File([zipOf({ 'hf/manifest.json': [123, 125] })], 'hf.zip')]);
    await waitFor(() => expect(calls).toHaveLength(1));
    expect(useLab.getState()).toMatchObject({ localFolder: 'hf', modelUrl: null });
  });
});
