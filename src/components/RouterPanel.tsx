import { useId, useState } from 'react';
import { INTERVENTION_KINDS, INTERVENTION_PARAMS, POLICY_CATALOGUE, parseIntervention, parsePolicySpec } from '../routing/index';
import { parseExpertList } from '../routing/scoreSummary';
import { useLab } from '../state/store';
import { Panel } from './Panel';
import { disabledReason } from './needsModel';
import { explain } from './explain';

const KIND_HELP: Record<string, string> = {
  bias: 'add a constant to the listed experts’ router logits',
  steer: 'soft steer: z_e += λ·std(z) (Multilingual Routing in MoE)',
  force: 'hard force: z_e = max(z) + ε, the expert joins every token’s set',
  mask: 'ablate: z_e = −∞, the expert is never chosen',
  temp: 'router temperature: z ← z / t',
  upcycle: 'duplicate an expert’s router row with noise into an extra slot served by the same expert',
  skip: 'skip the layer’s MoE block (output = attention output)',
  repeat: 'Chain-of-Experts: route and apply the MoE block n times',
  rewire: 'fit per-layer logit offsets to the prompt’s own next-token loss (SPSA; Rewiring Experts on the Fly)',
};

/** Pick a router policy with its parameters; add and remove logit interventions. Every change re-runs. */
export function RouterPanel() {
  const imported = useLab((s) => s.imported);
  const router = useLab((s) => s.router);
  const setRouter = useLab((s) => s.setRouter);
  const interventions = useLab((s) => s.interventions);
  const addIntervention = useLab((s) => s.addIntervention);
  const removeIntervention = useLab((s) => s.removeIntervention);
  const setError = useLab((s) => s.setError);
  const focusLayer = useLab((s) => s.focus.layer);
  // the most experts any layer has (ids are checked against it; 0 = not known yet)
  const numExperts = useLab((s) => Math.max(0, ...(s.manifest?.layers ?? []).map((l) => l.numExperts), ...s.modified.layers.map((ev) => ev?.E ?? 0)));
  const parsed = parsePolicySpec(router);
  const info = POLICY_CATALOGUE.find((p) => p.name === parsed.name)!;
  const selectId = useId();
  const [kind, setKind] = useState<(typeof INTERVENTION_KINDS)[number]>('mask');
  const [layers, setLayers] = useState('');
  const [experts, setExperts] = useState('');
  const [value, setValue] = useState('');

  const applyRouter = (spec: string) => {
    try {
      setRouter(parsePolicySpec(spec).spec);
      useLab.getState().run();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  // Typed expert ids are checked as they are typed: one text field however many experts there are.
  const expertCheck = experts.trim() ? parseExpertList(experts, numExperts) : null;
  const expertError = expertCheck && 'error' in expertCheck ? expertCheck.error : null;

  const add = () => {
    const param = Object.keys(INTERVENTION_PARAMS[kind])[0];
    const parts = [`layers=${layers.trim() || focusLayer}`];
    if (expertError) {
      setError(`bad experts "${experts.trim()}": ${expertError}`);
      return;
    }
    if (expertCheck && 'experts' in expertCheck) parts.push(`experts=${expertCheck.experts.join('+')}`);
    if (param && value.trim()) parts.push(`${param}=${value.trim()}`);
    const spec = `${kind}:${parts.join(',')}`;
    try {
      parseIntervention(spec);
      addIntervention(spec);
      useLab.getState().run();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <Panel title="Router and interventions" testId="router-panel" disabled={disabledReason(imported, 'model')}>
      <div className="router-row">
        <label htmlFor={selectId}>Router</label>
        <select id={selectId} data-testid="router-select" {...explain('router-select')} value={parsed.name} onChange={(e) => applyRouter(e.target.value)}>
          {POLICY_CATALOGUE.map((p) => (
            <option key={p.name} value={p.name} title={`${p.rule} — ${p.source}`}>
              {p.name}
            </option>
          ))}
        </select>
        {info.params.map((p) => (
          <label key={p.name} className="param">
            {p.name}
            <input
              type="number"
              data-testid={`router-param-${p.name}`}
              {...explain(`router-param:${info.name}.${p.name}`)}
              defaultValue={parsed.params[p.name]}
              key={`${router}-${p.name}`}
              min={p.min}
              max={p.max}
              step={p.integer ? 1 : 'any'}
              onKeyDown={(e) => e.key === 'Enter' && (e.target as HTMLInputElement).blur()}
              onBlur={(e) => {
                const params = { ...parsed.params, [p.name]: e.target.value };
                applyRouter(`${parsed.name}:${Object.entries(params).map(([k, v]) => `${k}=${v}`).join(',')}`);
              }}
            />
          </label>
        ))}
      </div>
      <p className="hint" data-testid="router-rule">
        {info.rule}. <em>{info.source}.</em>
        {!info.causal && <strong> Non-causal: a token’s experts depend on later tokens.</strong>}
      </p>
      <form
        className="iv-form"
        onSubmit={(e) => {
          e.preventDefault();
          add();
        }}
      >
        <select aria-label="Intervention kind" data-testid="iv-kind" {...explain('iv-kind')} value={kind} onChange={(e) => setKind(e.target.value as typeof kind)}>
          {INTERVENTION_KINDS.map((k) => (
            <option key={k} value={k} title={KIND_HELP[k]}>
              {k}
            </option>
          ))}
        </select>
        <input aria-label="Layers (i, i-j or *)" data-testid="iv-layers" {...explain('iv-layers')} placeholder={`layers (${focusLayer})`} value={layers} onChange={(e) => setLayers(e.target.value)} size={6} />
        <input
          aria-label={`Experts (e.g. 1+4${numExperts ? `; ids 0–${numExperts - 1}` : ''})`}
          aria-invalid={expertError ? true : undefined}
          aria-describedby={expertError ? `${selectId}-experts-error` : undefined}
          data-testid="iv-experts"
          {...explain('iv-experts')}
          placeholder={numExperts > 8 ? `experts 3+17 (0–${numExperts - 1})` : 'experts 1+4'}
          value={experts}
          onChange={(e) => setExperts(e.target.value)}
          size={numExperts > 8 ? 14 : 8}
        />
        {Object.keys(INTERVENTION_PARAMS[kind]).length > 0 && (
          <input aria-label={Object.keys(INTERVENTION_PARAMS[kind])[0]} data-testid="iv-value" {...explain('iv-value')} placeholder={`${Object.keys(INTERVENTION_PARAMS[kind])[0]} (${Object.values(INTERVENTION_PARAMS[kind])[0]})`} value={value} onChange={(e) => setValue(e.target.value)} size={7} />
        )}
        <button type="submit" data-testid="iv-add" {...explain('iv-add')}>
          Add
        </button>
      </form>
      {expertError && (
        <p className="hint iv-error" id={`${selectId}-experts-error`} role="alert" data-testid="iv-experts-error">
          {expertError}
        </p>
      )}
      <p className="hint">{KIND_HELP[kind]}</p>
      <ul className="iv-list" aria-label="Active interventions">
        {interventions.map((s, i) => (
          <li key={s} data-testid="intervention">
            <code>{s}</code>
            <button
              type="button"
              aria-label={`remove ${s}`}
              {...explain('iv-remove')}
              onClick={() => {
                removeIntervention(i);
                useLab.getState().run();
              }}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
    </Panel>
  );
}
