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

const ROUTER_LABEL: Record<(typeof ROUTERS)[number], string> = {
  softmax: 'softmax top-k',
  sigmoid: 'sigmoid (+ bias)',
  'expert-choice': 'expert choice',
  kmeans: 'k-means (nearest centroid)',
  hash: 'hash',
};
const ROUTER_TIP =
  'softmax top-k: Shazeer 2017 / Switch; sigmoid: DeepSeek-V3; expert choice: Zhou 2022; k-means: Routing Transformer (Roy 2021); hash: Hash Layers (Roller 2021)';

const BALANCE_LABEL: Record<Balance, string> = {
  none: 'none',
  aux: 'auxiliary loss (α)',
  lossfree: 'loss-free bias (u)',
  erc: 'ERC loss (β)',
};
const WEIGHT_TIP: Record<Balance, string> = {
  none: 'No balancing term',
  aux: 'α: weight of the auxiliary loss E·Σ f_i·P_i (Switch Transformers, HF form)',
  lossfree:
    'u: bias update rate, b_i += u·sign(mean load − load_i) after each step (Wang et al. 2024)',
  erc: 'β: weight of the expert–router coupling loss (Lv et al. 2025)',
};

function Field({
  label,
  tip,
  children,
}: {
  label: string;
  tip: string;
  children: (id: string) => ReactNode;
}) {
  const id = useId();
  return (
    <div className="train-field" title={tip}>
      <label htmlFor={id}>{label}</label>
      {children(id)}
    </div>
  );
}

/** A number input that applies its value when it is a finite number in range. */
function NumberField({
  label,
  tip,
  k,
  min,
  max,
  step,
}: {
  label: string;
  tip: string;
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
    <Field label={label} tip={tip}>
      {(id) => (
        <input
          id={id}
          type="number"
          data-testid={`train-${k}`}
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
  tip,
  k,
  options,
  labels,
}: {
  label: string;
  tip: string;
  k: keyof TrainConfig;
  options: readonly T[];
  labels?: Record<T, string>;
}) {
  const value = useTrain((s) => s.config[k]) as T;
  const setConfig = useTrain((s) => s.setConfig);
  return (
    <Field label={label} tip={tip}>
      {(id) => (
        <select
          id={id}
          data-testid={`train-${k}`}
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
        <button type="button" data-testid="train-pause" onClick={pause}>
          Pause
        </button>
      ) : (
        <button type="button" data-testid="train-play" onClick={play}>
          Play
        </button>
      )}
      <button
        type="button"
        data-testid="train-step-button"
        onClick={() => step(1)}
        title="One optimiser step on a fresh batch"
      >
        Step
      </button>
      <button
        type="button"
        data-testid="train-reset"
        onClick={reset}
        title="Start again from the same seed"
      >
        Reset
      </button>
      <button
        type="button"
        data-testid="train-upcycle"
        onClick={upcycle}
        title="Copy every expert and its router row (E → 2E), nudging the copies' rows apart (Komatsuzaki et al. 2022, Sparse Upcycling)"
      >
        Upcycle
      </button>
      <label title="Optimiser steps per animation frame while playing">
        Speed{' '}
        <select
          data-testid="train-speed"
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
        step <b data-testid="train-step">{snap?.step ?? 0}</b> · loss{' '}
        <b data-testid="train-loss">{snap?.last ? snap.last.loss.toFixed(4) : '—'}</b> · accuracy{' '}
        <b data-testid="train-accuracy">
          {snap?.last ? `${(100 * snap.last.accuracy).toFixed(0)}%` : '—'}
        </b>{' '}
        · E = <b data-testid="train-expert-count">{snap?.experts ?? '—'}</b>
      </span>
    </div>
  );
}

function RenormField() {
  const renorm = useTrain((s) => s.config.renorm);
  const setConfig = useTrain((s) => s.setConfig);
  return (
    <Field
      label="Renormalise gates"
      tip="Divide the chosen experts' gates by their sum (Mixtral, DeepSeek-V3) instead of using the router's scores as they are (Switch)"
    >
      {(id) => (
        <input
          id={id}
          type="checkbox"
          data-testid="train-renorm"
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
      <SelectField
        label="Task"
        tip="The 2-D data set: four Gaussian clusters (4 classes), two spirals, a 4×4 checkerboard, XOR (2 classes); or languages: next-token prediction in three synthetic languages"
        k="task"
        options={TASKS}
      />
      <NumberField
        label="Experts E"
        tip="Number of experts (Shazeer et al. 2017)"
        k="experts"
        min={1}
        max={16}
        step={1}
      />
      <NumberField
        label="Top-k"
        tip="Experts per point (for expert choice: the average, c = k·T/E points per expert)"
        k="topk"
        min={1}
        max={8}
        step={1}
      />
      <NumberField
        label="Expert width"
        tip="Hidden width of each expert's two hidden layers (tanh MLP 2 → w → w → classes)"
        k="width"
        min={1}
        max={32}
        step={1}
      />
      <SelectField
        label="Router"
        tip={ROUTER_TIP}
        k="router"
        options={ROUTERS}
        labels={ROUTER_LABEL}
      />
      <Field
        label="Balancing"
        tip="How the load is kept even: none, an auxiliary loss (Switch), a bias on the choice (loss-free, DeepSeek-V3), or the ERC coupling loss"
      >
        {(id) => (
          <select
            id={id}
            data-testid="train-balance"
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
          tip={WEIGHT_TIP[balance]}
          k="weight"
          min={0}
          max={100}
          step={balance === 'lossfree' ? 0.001 : 0.01}
        />
      )}
      <RenormField />
      <NumberField
        label="Capacity factor"
        tip="Each expert takes at most ⌈cf·k·T/E⌉ assignments per batch, the rest are dropped (GShard, Switch); 0 = unlimited"
        k="capacity"
        min={0}
        max={16}
        step={0.25}
      />
      <NumberField
        label="Learning rate"
        tip="Step size of the optimiser"
        k="lr"
        min={0}
        max={10}
        step={0.005}
      />
      <NumberField
        label="Batch"
        tip="Points per step (T), drawn fresh from the seeded data each step"
        k="batch"
        min={1}
        max={1024}
        step={1}
      />
      <NumberField
        label="Router noise"
        tip="Std of Gaussian noise added to the router logits while training (noisy top-k, Shazeer et al. 2017)"
        k="noise"
        min={0}
        max={10}
        step={0.1}
      />
      <SelectField
        label="Optimiser"
        tip="Adam (Kingma & Ba 2015) or plain SGD"
        k="optimiser"
        options={OPTIMISERS}
      />
      <NumberField
        label="Seed"
        tip="Seeds the initial weights, the batches and the noise: the same seed replays the same run"
        k="seed"
        min={0}
        max={2 ** 31}
        step={1}
      />
      {error && (
        <p className="train-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
