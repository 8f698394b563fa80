// The training playground's settings, and their one-field URL form (`train=task:xor,E:6,…`: only
// the settings that differ from the defaults). Pure: the page's URL codec calls these.

export const TASKS = ['clusters', 'spirals', 'checkerboard', 'xor', 'languages'] as const;
export type Task = (typeof TASKS)[number];

export const ROUTERS = ['softmax', 'sigmoid', 'expert-choice', 'kmeans', 'hash'] as const;
export type RouterKind = (typeof ROUTERS)[number];

/** none · auxiliary loss (weight α) · loss-free bias (rate u) · ERC loss (weight β) */
export const BALANCES = ['none', 'aux', 'lossfree', 'erc'] as const;
export type Balance = (typeof BALANCES)[number];

export const OPTIMISERS = ['adam', 'sgd'] as const;
export type Optimiser = (typeof OPTIMISERS)[number];

export interface TrainConfig {
  task: Task;
  seed: number;
  /** number of experts E */
  experts: number;
  /** experts per token (expert choice: the average, c = k·T/E tokens per expert) */
  topk: number;
  /** hidden width of each expert's two hidden layers */
  width: number;
  router: RouterKind;
  balance: Balance;
  /** α (aux), u (loss-free) or β (ERC), by `balance` */
  weight: number;
  /** capacity factor: each expert takes at most ⌈cf·k·T/E⌉ assignments; 0 = unlimited */
  capacity: number;
  lr: number;
  batch: number;
  /** std of the Gaussian noise added to the router's logits while training (noisy top-k) */
  noise: number;
  optimiser: Optimiser;
  /** divide the top-k gates by their sum (Mixtral, DeepSeek-V3) instead of using the scores as they are (Switch) */
  renorm: boolean;
  /** duplicate the experts (upcycling) when this step is reached; 0 = never */
  upcycleAt: number;
}

export const TRAIN_DEFAULTS: TrainConfig = {
  task: 'clusters',
  seed: 1,
  experts: 4,
  topk: 1,
  width: 8,
  router: 'softmax',
  balance: 'none',
  weight: 0,
  capacity: 0,
  lr: 0.02,
  batch: 32,
  noise: 0,
  optimiser: 'adam',
  renorm: false,
  upcycleAt: 0,
};

/** The weight a balancing method starts with when picked (α, u, β). */
export const BALANCE_WEIGHT: Record<Balance, number> = {
  none: 0,
  aux: 0.1,
  lossfree: 0.01,
  erc: 1,
};

type Key = keyof TrainConfig;
interface Row {
  key: Key;
  /** the short name in the URL */
  name: string;
  parse(v: string): TrainConfig[Key];
}

const oneOf =
  <T extends string>(name: string, list: readonly T[]) =>
  (v: string): T => {
    if (!(list as readonly string[]).includes(v))
      throw new Error(`${name} must be one of ${list.join(', ')}, got "${v}"`);
    return v as T;
  };
const intIn = (name: string, lo: number, hi: number) => (v: string) => {
  if (!/^\d+$/.test(v) || Number(v) < lo || Number(v) > hi)
    throw new Error(`${name} must be an integer in [${lo}, ${hi}], got "${v}"`);
  return Number(v);
};
const numIn = (name: string, lo: number, hi: number) => (v: string) => {
  const x = v.trim() === '' ? NaN : Number(v);
  if (!Number.isFinite(x) || x < lo || x > hi)
    throw new Error(`${name} must be a number in [${lo}, ${hi}], got "${v}"`);
  return x;
};

const ROWS: Row[] = [
  { key: 'task', name: 'task', parse: oneOf('task', TASKS) },
  { key: 'seed', name: 'seed', parse: intIn('seed', 0, 2 ** 31) },
  { key: 'experts', name: 'E', parse: intIn('E', 1, 32) },
  { key: 'topk', name: 'k', parse: intIn('k', 1, 8) },
  { key: 'width', name: 'w', parse: intIn('w', 1, 64) },
  { key: 'router', name: 'router', parse: oneOf('router', ROUTERS) },
  { key: 'balance', name: 'bal', parse: oneOf('bal', BALANCES) },
  { key: 'weight', name: 'wt', parse: numIn('wt', 0, 100) },
  { key: 'capacity', name: 'cf', parse: numIn('cf', 0, 16) },
  { key: 'lr', name: 'lr', parse: numIn('lr', 0, 10) },
  { key: 'batch', name: 'B', parse: intIn('B', 1, 1024) },
  { key: 'noise', name: 'noise', parse: numIn('noise', 0, 10) },
  { key: 'optimiser', name: 'opt', parse: oneOf('opt', OPTIMISERS) },
  {
    key: 'renorm',
    name: 'renorm',
    parse: (v) => {
      if (v !== '0' && v !== '1') throw new Error(`renorm must be 0 or 1, got "${v}"`);
      return v === '1';
    },
  },
  { key: 'upcycleAt', name: 'up', parse: intIn('up', 0, 1_000_000) },
];

/** Check a whole config: k ≤ E. Returns the message naming the field, or null. */
export function configProblem(c: TrainConfig): string | null {
  if (c.topk > c.experts) return `k must be ≤ E (${c.experts}), got ${c.topk}`;
  return null;
}

/**
 * `task:xor,E:6` → a config (defaults for what is absent). Each bad part is reported through
 * `warn` and left at its default; the rest is kept.
 */
export function parseTrainSpec(
  spec: string,
  warn: (message: string) => void = () => {},
): TrainConfig {
  const c: TrainConfig = { ...TRAIN_DEFAULTS };
  for (const part of spec.split(',').filter(Boolean)) {
    const [name, value, ...rest] = part.split(':');
    const row = ROWS.find((r) => r.name === name);
    if (!row || value === undefined || rest.length) {
      warn(`unknown setting "${part}" (settings: ${ROWS.map((r) => r.name).join(', ')})`);
      continue;
    }
    try {
      (c as unknown as Record<string, unknown>)[row.key] = row.parse(value);
    } catch (e) {
      warn((e as Error).message);
    }
  }
  const bad = configProblem(c);
  if (bad) {
    warn(bad);
    c.topk = Math.min(c.topk, c.experts);
  }
  return c;
}

/** A config → its spec: the settings that differ from TRAIN_DEFAULTS, in table order. */
export function formatTrainSpec(c: TrainConfig): string {
  return ROWS.filter((r) => c[r.key] !== TRAIN_DEFAULTS[r.key])
    .map((r) => `${r.name}:${typeof c[r.key] === 'boolean' ? (c[r.key] ? 1 : 0) : c[r.key]}`)
    .join(',');
}
