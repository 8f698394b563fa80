// A playground run driven by commands (configure, play, pause, step, reset, upcycle) that posts
// snapshots for the page: at most every `snapshotMs` while playing, and at once after any other
// command. The worker (src/state/trainWorker.ts) wraps it; tests drive it in-thread. No DOM.
import type { TrainConfig } from './config';
import { Trainer, type StepStats } from './trainer';
import { letterOf, sampleText } from './data';
import type { LayerEvent } from '../routing/run';

export type TrainCommand =
  | { type: 'configure'; config: TrainConfig }
  | { type: 'play' }
  | { type: 'pause' }
  | { type: 'step'; n?: number }
  | { type: 'reset' }
  | { type: 'upcycle' }
  | { type: 'speed'; stepsPerTick: number };

/** Per-step series, thinned to at most MAX_HISTORY points (every `stride`-th step). */
export interface TrainHistory {
  step: number[];
  loss: number[];
  task: number[];
  accuracy: number[];
  maxVio: number[];
  entropy: number[];
  dropped: number[];
  /** share of assignments per expert at each kept step (its length grows when upcycling) */
  load: number[][];
  stride: number;
}

export interface TrainSnapshot {
  step: number;
  running: boolean;
  experts: number;
  classes: number;
  config: TrainConfig;
  last: StepStats | null;
  history: TrainHistory;
  /**
   * Where the router sends the inputs, with the prediction: for the 2-D tasks a G × G grid over
   * [-1, 1]² (row-major from the top-left); for the sequence task every token of the vocabulary
   * (G = 0), experts its top choice and classes the next token predicted
   */
  regions: { G: number; experts: number[]; classes: number[] };
  /** ERC's matrix [E × E] row-major (proxy i × expert j); empty for hash routing */
  coupling: number[];
  /** steps at which the experts were upcycled */
  upcycledAt: number[];
  /** the sequence task's sample text routed as one MoE layer, for the lab's routing views; else null */
  sequence: { tokens: { id: number; text: string }[]; event: LayerEvent; loss: number[] } | null;
}

/** The sequence task's sample text (two 5-letter words per language, the languages taking turns). */
const SAMPLE_TEXT = sampleText();

export const MAX_HISTORY = 600;
export const REGION_GRID = 40;

const emptyHistory = (): TrainHistory => ({
  step: [],
  loss: [],
  task: [],
  accuracy: [],
  maxVio: [],
  entropy: [],
  dropped: [],
  load: [],
  stride: 1,
});

export interface SessionOptions {
  snapshotMs?: number;
  now?: () => number;
  /** schedule the next tick (setTimeout by default) */
  schedule?: (fn: () => void) => void;
}

export class TrainSession {
  private trainer: Trainer | null = null;
  private config: TrainConfig | null = null;
  private history = emptyHistory();
  private last: StepStats | null = null;
  private running = false;
  private upcycledAt: number[] = [];
  private lastPost = -Infinity;
  private stepsPerTick = 2;
  /** bumps on every reset so a tick scheduled before it stops */
  private generation = 0;
  private readonly snapshotMs: number;
  private readonly now: () => number;
  private readonly schedule: (fn: () => void) => void;

  constructor(
    private readonly post: (s: TrainSnapshot) => void,
    o: SessionOptions = {},
  ) {
    this.snapshotMs = o.snapshotMs ?? 100;
    this.now = o.now ?? (() => Date.now());
    this.schedule = o.schedule ?? ((fn) => setTimeout(fn, 16));
  }

  handle(cmd: TrainCommand): void {
    switch (cmd.type) {
      case 'configure':
        this.config = { ...cmd.config };
        this.restart();
        break;
      case 'reset':
        this.restart();
        break;
      case 'play':
        if (!this.trainer || this.running) return;
        this.running = true;
        this.tick(this.generation);
        break;
      case 'pause':
        this.running = false;
        break;
      case 'step':
        if (!this.trainer) return;
        for (let i = 0; i < (cmd.n ?? 1); i++) this.trainOne();
        break;
      case 'upcycle':
        if (this.trainer?.upcycle()) this.upcycledAt.push(this.trainer.step);
        break;
      case 'speed':
        this.stepsPerTick = Math.max(1, Math.floor(cmd.stepsPerTick));
        return;
    }
    this.emit();
  }

  private restart(): void {
    if (!this.config) return;
    this.generation++;
    this.trainer = new Trainer(this.config);
    this.history = emptyHistory();
    this.last = null;
    this.upcycledAt = [];
    this.running = false;
  }

  private trainOne(): void {
    const t = this.trainer!;
    const before = t.experts;
    const s = t.train();
    if (t.experts !== before) this.upcycledAt.push(s.step - 1);
    this.last = s;
    this.record(s);
  }

  private record(s: StepStats): void {
    const h = this.history;
    if (s.step % h.stride !== 0) return;
    h.step.push(s.step);
    h.loss.push(s.loss);
    h.task.push(s.task);
    h.accuracy.push(s.accuracy);
    h.maxVio.push(s.maxVio);
    h.entropy.push(s.entropy);
    h.dropped.push(s.dropped);
    h.load.push(s.load);
    if (h.step.length < MAX_HISTORY) return;
    // Keep every other point and double the stride: the plots keep the whole run at a fixed cost.
    h.stride *= 2;
    const keep = h.step.map((step) => step % h.stride === 0);
    for (const key of [
      'step',
      'loss',
      'task',
      'accuracy',
      'maxVio',
      'entropy',
      'dropped',
      'load',
    ] as const) {
      const a = h[key] as unknown[];
      const kept = a.filter((_, i) => keep[i]);
      a.length = 0;
      a.push(...kept);
    }
  }

  private tick(gen: number): void {
    if (!this.running || gen !== this.generation) return;
    for (let i = 0; i < this.stepsPerTick; i++) this.trainOne();
    if (this.now() - this.lastPost >= this.snapshotMs) this.emit();
    this.schedule(() => this.tick(gen));
  }

  private emit(): void {
    const t = this.trainer;
    if (!t || !this.config) return;
    this.lastPost = this.now();
    const seq = this.config.task === 'languages';
    const r = seq ? t.tokenRouting() : t.regions(REGION_GRID);
    const h = this.history;
    this.post({
      step: t.step,
      running: this.running,
      experts: t.experts,
      classes: t.params.C,
      config: { ...this.config },
      last: this.last,
      history: {
        ...h,
        step: [...h.step],
        loss: [...h.loss],
        task: [...h.task],
        accuracy: [...h.accuracy],
        maxVio: [...h.maxVio],
        entropy: [...h.entropy],
        dropped: [...h.dropped],
        load: [...h.load],
      },
      regions: {
        G: seq ? 0 : REGION_GRID,
        experts: Array.from(r.experts),
        classes: Array.from(r.classes),
      },
      coupling: Array.from(t.coupling()),
      upcycledAt: [...this.upcycledAt],
      sequence: seq
        ? {
            tokens: SAMPLE_TEXT.map((id) => ({ id, text: letterOf(id) })),
            ...t.routeSequence(SAMPLE_TEXT),
          }
        : null,
    });
  }
}
