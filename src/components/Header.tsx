import { useId } from 'react';
import { SHIPPED_MODELS } from '../models/registry';
import { useLab } from '../state/store';

export function Header() {
  const modelId = useLab((s) => s.modelId);
  const setModelId = useLab((s) => s.setModelId);
  const selectId = useId();
  return (
    <header className="lab-header">
      <h1>MoE Routing Lab</h1>
      <div className="header-controls">
        <label htmlFor={selectId}>Model</label>
        <select
          id={selectId}
          data-testid="model-select"
          value={modelId}
          onChange={(e) => setModelId(e.target.value)}
        >
          {SHIPPED_MODELS.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name}
            </option>
          ))}
        </select>
        <BackendBadge />
      </div>
    </header>
  );
}

function BackendBadge() {
  const backend = useLab((s) => s.backend);
  const note = useLab((s) => s.backendNote);
  return (
    <span
      className={`badge badge-${backend ?? 'none'}`}
      data-testid="backend-badge"
      title={note ?? 'The inference backend that ran the last pass'}
      aria-label={`Backend: ${backend ?? 'not started'}`}
    >
      {backend ?? 'no backend yet'}
    </span>
  );
}
