import { useId, useRef, useState } from 'react';
import { useLab } from '../state/store';
import { unzipBundle } from '../models/bundleZip';
import { explain } from './explain';

const DTYPES = ['fp32', 'fp16', 'q8', 'q4'] as const;
type Dtype = (typeof DTYPES)[number];

/** Only what the converter reads is loaded into memory (a checkpoint folder may also hold .bin/.pth weights). */
const wanted = (path: string) => /\.(json|safetensors)$/.test(path);

/** A bundle id from a folder or URL name: letters, digits, '.', '_' and '-'. */
const idFrom = (name: string) =>
  (name.replace(/\/+$/, '').split('/').pop() ?? '').replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'converted';

/** Open a bundle saved as one .zip file (e.g. by "Save bundle"). */
export function ZipPicker() {
  const open = async (files: FileList | null) => {
    const f = files?.[0];
    if (!f) return;
    try {
      const list = unzipBundle(new Uint8Array(await f.arrayBuffer()), f.name);
      useLab.setState({ localFolder: f.name.replace(/\.zip$/i, '') });
      useLab.getState().openFiles(list);
    } catch (e) {
      useLab.setState({ error: (e as Error).message });
    }
  };
  return (
    <label className="folder-pick">
      Bundle .zip…
      <input type="file" data-testid="model-zip" {...explain('model-zip')} accept=".zip,application/zip" onChange={(e) => void open(e.target.files).finally(() => (e.target.value = ''))} />
    </label>
  );
}

/**
 * Convert a Hugging Face checkpoint (config.json, tokenizer.json, safetensors) in the worker:
 * from a folder on disk or a URL prefix, to the chosen weight type; progress and Cancel while it
 * runs; then "Save bundle" downloads the converted bundle as a .zip.
 */
export function ConvertPicker() {
  const converting = useLab((s) => s.converting);
  const converted = useLab((s) => s.converted);
  const progress = useLab((s) => s.progress);
  const [dtype, setDtype] = useState<Dtype>('fp32');
  const [url, setUrl] = useState('');
  const [saving, setSaving] = useState(false);
  const dtypeId = useId();
  const menu = useRef<HTMLDetailsElement>(null);
  /** the menu closes once a conversion starts: progress and Cancel show in the header */
  const close = () => menu.current?.removeAttribute('open');

  const fromFolder = async (files: FileList | null) => {
    if (!files || files.length === 0) return;
    close();
    const picked = Array.from(files).filter((f) => wanted(f.name));
    // The weights stay Files (the worker reads them by slices); only the small JSON files are read here.
    const list = await Promise.all(picked.map(async (f) => ({ name: f.webkitRelativePath || f.name, data: f.name.endsWith('.safetensors') ? (f as Blob) : await f.arrayBuffer() })));
    const folder = (files[0].webkitRelativePath || '').split('/')[0] || 'checkpoint';
    useLab.getState().convert({ kind: 'files', files: list }, { dtype, id: idFrom(folder) });
  };

  const fromUrl = () => {
    const u = url.trim();
    if (!u) return;
    close();
    const abs = new URL(u.endsWith('/') ? u : `${u}/`, document.baseURI).href;
    useLab.getState().convert({ kind: 'url', url: abs }, { dtype, id: idFrom(abs) });
  };

  const save = async () => {
    setSaving(true);
    try {
      const { fileName, data } = await useLab.getState().convertedBundleZip();
      const href = URL.createObjectURL(new Blob([data], { type: 'application/zip' }));
      const a = document.createElement('a');
      a.href = href;
      a.download = fileName;
      a.click();
      setTimeout(() => URL.revokeObjectURL(href), 60_000);
    } catch (e) {
      useLab.setState({ error: (e as Error).message });
    } finally {
      setSaving(false);
    }
  };

  return (
    <>
      <details className="convert-menu" data-testid="convert-menu" ref={menu}>
        <summary {...explain('convert')}>Convert HF…</summary>
        <div className="convert-body">
          <label htmlFor={dtypeId}>Weights</label>
          <select id={dtypeId} data-testid="convert-dtype" {...explain('convert-dtype')} value={dtype} onChange={(e) => setDtype(e.target.value as Dtype)} disabled={converting}>
            {DTYPES.map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
          <label className="folder-pick">
            Checkpoint folder…
            <input
              type="file"
              data-testid="convert-folder"
              {...explain('convert-folder')}
              // @ts-expect-error webkitdirectory is a non-standard attribute every browser supports
              webkitdirectory=""
              multiple
              disabled={converting}
              onChange={(e) => void fromFolder(e.target.files).finally(() => (e.target.value = ''))}
            />
          </label>
          <form
            className="url-form"
            onSubmit={(e) => {
              e.preventDefault();
              fromUrl();
            }}
          >
            <input aria-label="Checkpoint URL" data-testid="convert-url" {...explain('convert-url')} placeholder="checkpoint URL prefix…" value={url} onChange={(e) => setUrl(e.target.value)} size={18} />
            <button type="submit" data-testid="convert-url-go" disabled={converting} {...explain('convert-go')}>
              Convert
            </button>
          </form>
        </div>
      </details>
      {converting && (
        <span className="convert-status" role="status">
          <span data-testid="convert-progress">{progress?.label ?? 'Converting…'}</span>
          <button type="button" data-testid="convert-cancel" {...explain('convert-cancel')} onClick={() => useLab.getState().cancelConvert()}>
            Cancel
          </button>
        </span>
      )}
      {converted && !converting && (
        <button type="button" data-testid="save-bundle" disabled={saving} onClick={() => void save()} {...explain('save-bundle')}>
          {saving ? 'Saving…' : 'Save bundle'}
        </button>
      )}
    </>
  );
}
