import { useId, useState, type ReactNode } from 'react';
import {
  BALANCE_WEIGHT,
  BALANCES,
  OPTIMISERS,
  ROUTERS,
  TASKS,
  type Balance,
  type TrainConfig,
} from '../../train/config';
import { PRESETS, presetById } from '../../train/presets';
import { useTrain } from '../../state/train';
import { explain } from '../explain';
import type { Term } from '../glossary';

const ROUTER_LABEL: Record<(typeof ROUTERS)[number], string> = {
  softmax: 'softmax top-k',
  sigmoid: 'sigmoid (+ bias)',
  'expert-choice': 'expert choice',
  kmeans: 'k-means (nearest centroid)',
  hash: 'hash',
};
const BALANCE_LABEL: Record<Balance, string> = {
  none: 'none',
  aux: 'auxiliary loss (α)',
  lossfree: 'loss-free bias (u)',
  erc: 'ERC loss (β)',
};
const WEIGHT_TERM: Record<Exclude<Balance, 'none'>, Term> = {
  aux: 'train-weight-aux',
  lossfree: 'train-weight-lossfree',
  erc: 'train-weight-erc',
};

function Field({ label, children }: { label: string; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div className="train-field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
    </div>
  );
}

/** A number input that applies its value when it is a finite number in range. */
function NumberField({
  label,
  term,
  k,
  min,
  max,
  step,
}: {
  label: string;
  term: Term;
  k: keyof TrainConfig;
  min: number;
  max: number;
  step: number;
}) {
  const value = useTrain((s) => s.config[k]) as number;
  const setConfig = useTrain((s) => s.setConfig);
  // What is typed, while it is not (yet) a valid number: the field can be cleared and retyped.
  const [draft, setDraft] = useState<string | null>(null);
  return (
    <Field label={label}>
      {(id) => (
        <input
          id={id}
          type="number"
          data-testid={`train-${k}`}
          {...explain(term)}
          min={min}
          max={max}
          step={step}
          value={draft ?? String(value)}
          aria-invalid={draft !== null}
          onChange={(e) => {
            const v = e.target.valueAsNumber;
            const ok =
              Number.isFinite(v) && v >= min && v <= max && (step % 1 !== 0 || Number.isInteger(v));
            setDraft(ok ? null : e.target.value);
            if (ok) setConfig({ [k]: v } as Partial<TrainConfig>);
          }}
          onBlur={() => setDraft(null)}
        />
      )}
    </Field>
  );
}

function SelectField<T extends string>({
  label,
  term,
  k,
  options,
  labels,
}: {
  label: string;
  term: Term;
  k: keyof TrainConfig;
  options: readonly T[];
  labels?: Record<T, string>;
}) {
  const value = useTrain((s) => s.config[k]) as T;
  const setConfig = useTrain((s) => s.setConfig);
  return (
    <Field label={label}>
      {(id) => (
        <select
          id={id}
          data-testid={`train-${k}`}
          {...explain(term)}
          value={value}
          onChange={(e) => setConfig({ [k]: e.target.value } as Partial<TrainConfig>)}
        >
          {options.map((o) => (
            <option key={o} value={o}>
              {labels?.[o] ?? o}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** The preset picker with its paper and what to look for. */
export function PresetPicker() {
  const presetId = useTrain((s) => s.presetId);
  const applyPreset = useTrain((s) => s.applyPreset);
  const id = useId();
  const p = presetId ? presetById(presetId) : undefined;
  return (
    <div className="train-preset">
      <label htmlFor={id}>Experiment</label>
      <select
        id={id}
        data-testid="train-preset"
        {...explain('train-preset')}
        value={presetId ?? ''}
        onChange={(e) => e.target.value && applyPreset(e.target.value)}
      >
        <option value="">— pick a paper’s experiment —</option>
        {PRESETS.map((q) => (
          <option key={q.id} value={q.id}>
            {q.title}
          </option>
        ))}
      </select>
      {p && (
        <p className="train-look" data-testid="train-look">
          {p.look} <cite>{p.paper}</cite>
        </p>
      )}
    </div>
  );
}

/** Play / pause / step / reset / upcycle, the speed, and the live numbers (the test hooks). */
export function TrainTransport() {
  const snap = useTrain((s) => s.snapshot);
  const speed = useTrain((s) => s.speed);
  const { play, pause, step, reset, upcycle, setSpeed } = useTrain.getState();
  const running = snap?.running ?? false;
  return (
    <div className="train-transport" role="group" aria-label="Training">
      {running ? (
        <button type="button" data-testid="train-pause" onClick={pause} {...explain('train-play')}>
          Pause
        </button>
      ) : (
        <button type="button" data-testid="train-play" onClick={play} {...explain('train-play')}>
          Play
        </button>
      )}
      <button
        type="button"
        data-testid="train-step-button"
        onClick={() => step(1)}
        {...explain('train-step')}
      >
        Step
      </button>
      <button type="button" data-testid="train-reset" onClick={reset} {...explain('train-reset')}>
        Reset
      </button>
      <button
        type="button"
        data-testid="train-upcycle"
        onClick={upcycle}
        {...explain('train-upcycle')}
      >
        Upcycle
      </button>
      <label>
        Speed{' '}
        <select
          data-testid="train-speed"
          {...explain('train-speed')}
          value={speed}
          onChange={(e) => setSpeed(Number(e.target.value))}
        >
          {[1, 2, 4, 16].map((v) => (
            <option key={v} value={v}>
              {v}×
            </option>
          ))}
        </select>
      </label>
      <span className="train-readout" aria-live="off">
        <span {...explain('train-step-count')}>step</span>{' '}
        <b data-testid="train-step">{snap?.step ?? 0}</b> ·{' '}
        <span {...explain('train-loss')}>loss</span>{' '}
        <b data-testid="train-loss">{snap?.last ? snap.last.loss.toFixed(4) : '—'}</b> ·{' '}
        <span {...explain('train-accuracy')}>accuracy</span>{' '}
        <b data-testid="train-accuracy">
          {snap?.last ? `${(100 * snap.last.accuracy).toFixed(0)}%` : '—'}
        </b>{' '}
        · <span {...explain('train-expert-count')}>E</span> ={' '}
        <b data-testid="train-expert-count">{snap?.experts ?? '—'}</b>
      </span>
    </div>
  );
}

function RenormField() {
  const renorm = useTrain((s) => s.config.renorm);
  const setConfig = useTrain((s) => s.setConfig);
  return (
    <Field label="Renormalise gates">
      {(id) => (
        <input
          id={id}
          type="checkbox"
          data-testid="train-renorm"
          {...explain('train-renorm')}
          checked={renorm}
          onChange={(e) => setConfig({ renorm: e.target.checked })}
        />
      )}
    </Field>
  );
}

/** Every setting of the run. Changing one starts the run again (same seed). */
export function TrainControls() {
  const balance = useTrain((s) => s.config.balance);
  const error = useTrain((s) => s.error);
  const setConfig = useTrain((s) => s.setConfig);
  return (
    <form className="train-controls" aria-label="Settings" onSubmit={(e) => e.preventDefault()}>
      <SelectField label="Task" term="train-task" k="task" options={TASKS} />
      <NumberField label="Experts E" term="train-experts" k="experts" min={1} max={16} step={1} />
      <NumberField label="Top-k" term="train-topk" k="topk" min={1} max={8} step={1} />
      <NumberField label="Expert width" term="train-width" k="width" min={1} max={32} step={1} />
      <SelectField
        label="Router"
        term="train-router"
        k="router"
        options={ROUTERS}
        labels={ROUTER_LABEL}
      />
      <Field label="Balancing">
        {(id) => (
          <select
            id={id}
            data-testid="train-balance"
            {...explain('train-balance')}
            value={balance}
            onChange={(e) =>
              setConfig({
                balance: e.target.value as Balance,
                weight: BALANCE_WEIGHT[e.target.value as Balance],
              })
            }
          >
            {BALANCES.map((b) => (
              <option key={b} value={b}>
                {BALANCE_LABEL[b]}
              </option>
            ))}
          </select>
        )}
      </Field>
      {balance !== 'none' && (
        <NumberField
          label={balance === 'aux' ? 'α' : balance === 'lossfree' ? 'u' : 'β'}
          term={WEIGHT_TERM[balance]}
          k="weight"
          min={0}
          max={100}
          step={balance === 'lossfree' ? 0.001 : 0.01}
        />
      )}
      <RenormField />
      <NumberField
        label="Capacity factor"
        term="train-capacity"
        k="capacity"
        min={0}
        max={16}
        step={0.25}
      />
      <NumberField label="Learning rate" term="train-lr" k="lr" min={0} max={10} step={0.005} />
      <NumberField label="Batch" term="train-batch" k="batch" min={1} max={1024} step={1} />
      <NumberField label="Router noise" term="train-noise" k="noise" min={0} max={10} step={0.1} />
      <SelectField label="Optimiser" term="train-optimiser" k="optimiser" options={OPTIMISERS} />
      <NumberField label="Seed" term="train-seed" k="seed" min={0} max={2 ** 31} step={1} />
      {error && (
        <p className="train-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
