import { useId, useState } from 'react';
import { SHIPPED_MODELS } from '../models/registry';
import { useLab } from '../state/store';
import { closeTrace, openTraceFilesAsync } from '../state/importTrace';
import { ConvertPicker, ZipPicker } from './ModelFiles';
import { TourButton } from './Tour';
import { explain } from './explain';

/** Title, model picker (shipped models, a bundle URL, or a bundle folder from disk) and backend badge. */
export function Header() {
  const modelId = useLab((s) => s.modelId);
  const modelUrl = useLab((s) => s.modelUrl);
  const setModelId = useLab((s) => s.setModelId);
  const setModelUrl = useLab((s) => s.setModelUrl);
  const manifest = useLab((s) => s.manifest);
  const localFolder = useLab((s) => s.localFolder);
  const custom = modelUrl ?? localFolder;
  const selectId = useId();
  const [url, setUrl] = useState(modelUrl ?? '');

  const openFolder = async (files: FileList | null) => {
    if (!files || files.length === 0) return;
    const list = await Promise.all(Array.from(files, async (f) => ({ name: f.webkitRelativePath || f.name, data: await f.arrayBuffer() })));
    useLab.setState({ localFolder: list[0].name.split('/')[0] || 'folder' });
    useLab.getState().openFiles(list);
  };

  return (
    <header className="lab-header">
      <h1>MoE Routing Lab</h1>
      <div className="header-controls">
        <label htmlFor={selectId}>Model</label>
        <select
          id={selectId}
          data-testid="model-select"
          {...explain('model')}
          value={custom ? '' : modelId}
          onChange={(e) => {
            setModelId(e.target.value);
            useLab.getState().openModel(e.target.value, null);
          }}
        >
          {custom && <option value="">{manifest?.name ?? custom}</option>}
          {SHIPPED_MODELS.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name}
            </option>
          ))}
        </select>
        <form
          className="url-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (!url.trim()) return;
            setModelUrl(url.trim());
            useLab.getState().openModel(modelId, url.trim());
          }}
        >
          <input aria-label="Bundle URL" data-testid="model-url" {...explain('model-url')} placeholder="bundle URL…" value={url} onChange={(e) => setUrl(e.target.value)} size={16} />
          <button type="submit" {...explain('model-load')}>
            Load
          </button>
        </form>
        <label className="folder-pick">
          Folder…
          <input
            type="file"
            data-testid="model-folder"
            {...explain('model-folder')}
            // @ts-expect-error webkitdirectory is a non-standard attribute every browser supports
            webkitdirectory=""
            multiple
            onChange={(e) => openFolder(e.target.files)}
          />
        </label>
        <ZipPicker />
        <ConvertPicker />
        <TracePicker />
        <DtypeBadge />
        <BackendBadge />
        <TourButton />
        <a href="?mode=train" className="mode-link" data-testid="mode-train" {...explain('mode-train')}>
          Train
        </a>
      </div>
    </header>
  );
}

/** The loaded model's weight format when it is not float32: what ran was quantised or half precision. */
function DtypeBadge() {
  const dtype = useLab((s) => s.manifest?.dtype);
  if (!dtype || dtype === 'fp32') return null;
  const what = { fp16: 'weights stored as float16, computed in float32', q8: '8-bit weights (MatMulNBits), float32 activations', q4: '4-bit weights (MatMulNBits), float32 activations' }[dtype] ?? dtype;
  return (
    <span className="badge badge-dtype" data-testid="dtype-badge" title={`This model's ${what}: its numbers differ slightly from the float32 model (README, Weight formats)`}>
      {dtype}
    </span>
  );
}

function BackendBadge() {
  const backend = useLab((s) => s.backend);
  const note = useLab((s) => s.backendNote);
  return (
    <span className={`badge badge-${backend ?? 'none'}`} data-testid="backend-badge" title={note ?? 'The inference backend that ran the last pass'} aria-label={`Backend: ${backend ?? 'not started'}${note ? ` (${note})` : ''}`}>
      {backend ?? 'no backend yet'}
    </span>
  );
}

/**
 * Open a trace captured elsewhere: the lab's trace JSON, or an engine capture (vLLM routed_experts
 * .npy with its token ids, HF capture JSON, SGLang JSON, Megatron .jsonl + logits .bin), picked
 * together. While it is open the header names it; × (or running a prompt) goes back to the model.
 */
function TracePicker() {
  const imported = useLab((s) => s.imported);
  const open = async (files: FileList | null) => {
    if (!files || files.length === 0) return;
    void openTraceFilesAsync(await Promise.all(Array.from(files, async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) }))));
  };
  return (
    <>
      <label className="folder-pick">
        Open trace…
        <input type="file" data-testid="trace-file" {...explain('trace-file')} multiple accept=".json,.jsonl,.npy,.bin" onChange={(e) => void open(e.target.files).finally(() => (e.target.value = ''))} />
      </label>
      {imported && (
        <span className="badge badge-trace" data-testid="imported-trace" title={`Imported from ${imported.engine}${imported.hasLogits ? '' : ' (no router logits)'}${imported.hasGates ? '' : ' (no gate weights)'}`}>
          trace: {imported.name}
          <button type="button" aria-label="Close the trace and go back to the model" onClick={closeTrace} {...explain('trace-close')}>
            ×
          </button>
        </span>
      )}
    </>
  );
}
