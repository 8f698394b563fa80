// The training playground's slice of the page state: its settings (mirrored into `?mode=train&
// train=…`), the latest snapshot from the trainer, and the actions the components call. The
// trainer runs in a worker (trainWorker.ts); tests plug in the same session in-thread.
import { create } from 'zustand';
import {
  configProblem,
  parseTrainSpec,
  formatTrainSpec,
  TRAIN_DEFAULTS,
  type TrainConfig,
} from '../train/config';
import { presetById } from '../train/presets';
import { TrainSession, type TrainCommand, type TrainSnapshot } from '../train/session';
import { URL_DEFAULTS, writeUrl } from './urlState';
import { useLab } from './store';

export type { TrainSnapshot };

/** Something that runs the training session: the worker, or the session itself in tests. */
export interface TrainDriver {
  send(cmd: TrainCommand): void;
  dispose(): void;
}
export type TrainDriverFactory = (onSnapshot: (s: TrainSnapshot) => void) => TrainDriver;

export interface TrainState {
  /** which page is on screen (`?mode=train`) */
  mode: 'lab' | 'train';
  config: TrainConfig;
  /** the preset last applied, while its settings are unchanged */
  presetId: string | null;
  snapshot: TrainSnapshot | null;
  /** steps per animation tick while playing */
  speed: number;
  error: string | null;

  setConfig(patch: Partial<TrainConfig>): void;
  applyPreset(id: string): void;
  play(): void;
  pause(): void;
  step(n?: number): void;
  reset(): void;
  upcycle(): void;
  setSpeed(stepsPerTick: number): void;
}

/** The session in this thread (tests; and the fallback where there is no Worker). */
export const inThreadTrainer: TrainDriverFactory = (on) => {
  const s = new TrainSession(on);
  return { send: (c) => s.handle(c), dispose: () => s.handle({ type: 'pause' }) };
};

const workerTrainer: TrainDriverFactory = (on) => {
  if (typeof Worker === 'undefined') return inThreadTrainer(on);
  const w = new Worker(new URL('./trainWorker.ts', import.meta.url), { type: 'module' });
  w.onmessage = (e: MessageEvent<TrainSnapshot>) => on(e.data);
  return { send: (c) => w.postMessage(c), dispose: () => w.terminate() };
};

let factory: TrainDriverFactory = workerTrainer;
let driver: TrainDriver | null = null;

/** Use another trainer (tests: inThreadTrainer); the next command starts it. */
export function connectTrainer(f: TrainDriverFactory): void {
  driver?.dispose();
  driver = null;
  factory = f;
}

/**
 * A snapshot into the page: the playground's slice, and for the sequence task its sample text as
 * the lab's own pass (one MoE layer), so the routing map and expert load views draw it.
 */
function receive(snapshot: TrainSnapshot): void {
  useTrain.setState({ snapshot });
  const q = snapshot.sequence;
  if (!q) return;
  const layers = [q.event];
  useLab.setState({
    modified: {
      layers,
      settled: layers,
      summary: {
        tokens: q.tokens,
        loss: q.loss,
        next: [],
        from: 0,
        ms: 0,
        router: snapshot.config.router,
        interventions: [],
        notices: [],
      },
    },
  });
}

function send(cmd: TrainCommand): void {
  if (!driver) {
    driver = factory(receive);
    driver.send({ type: 'configure', config: useTrain.getState().config });
    driver.send({ type: 'speed', stepsPerTick: useTrain.getState().speed });
    if (cmd.type === 'configure') return;
  }
  driver.send(cmd);
}

export const useTrain = create<TrainState>()((set, get) => ({
  mode: 'lab',
  config: { ...TRAIN_DEFAULTS },
  presetId: null,
  snapshot: null,
  speed: 2,
  error: null,

  setConfig(patch) {
    const config = { ...get().config, ...patch };
    if (patch.experts !== undefined && config.topk > config.experts) config.topk = config.experts;
    const bad = configProblem(config);
    if (bad) return set({ error: bad });
    set({ config, presetId: null, error: null });
    send({ type: 'configure', config });
  },
  applyPreset(id) {
    const p = presetById(id);
    if (!p) return set({ error: `unknown preset "${id}"` });
    set({ config: { ...p.config }, presetId: id, error: null });
    send({ type: 'configure', config: p.config });
  },
  play: () => send({ type: 'play' }),
  pause: () => send({ type: 'pause' }),
  step: (n = 1) => send({ type: 'step', n }),
  reset: () => send({ type: 'reset' }),
  upcycle: () => send({ type: 'upcycle' }),
  setSpeed(speed) {
    set({ speed });
    send({ type: 'speed', stepsPerTick: speed });
  },
}));

/** Open the playground with the URL's settings (already checked by the URL codec) and start the trainer. */
export function initTrain(spec: string): void {
  useTrain.setState({ mode: 'train', config: parseTrainSpec(spec) });
  send({ type: 'configure', config: useTrain.getState().config });
}

/** The playground's address: `?mode=train` plus the settings that differ from the defaults. */
export function trainUrl(config: TrainConfig): string {
  const spec = formatTrainSpec(config);
  return `?mode=train${spec ? `&train=${encodeURIComponent(spec)}` : ''}`;
}

/** Mirror the settings into the URL on every change (replacing the history entry). */
export function subscribeTrainUrl(): () => void {
  return useTrain.subscribe((now, prev) => {
    if (now.mode === 'train' && now.config !== prev.config)
      writeUrl({ ...URL_DEFAULTS, mode: 'train', train: formatTrainSpec(now.config) });
  });
}
