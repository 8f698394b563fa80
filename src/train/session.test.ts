// The playground session: commands in, snapshots out, with a fake clock and scheduler.
import { describe, expect, it } from 'vitest';
import { TRAIN_DEFAULTS } from './config';
import { MAX_HISTORY, REGION_GRID, TrainSession, type TrainSnapshot } from './session';

function harness(snapshotMs = 100) {
  const posts: TrainSnapshot[] = [];
  let clock = 0;
  const queue: (() => void)[] = [];
  const s = new TrainSession((p) => posts.push(p), {
    snapshotMs,
    now: () => clock,
    schedule: (fn) => queue.push(fn),
  });
  /** Run n scheduled ticks, the clock moving `ms` per tick. */
  const ticks = (n: number, ms = 16) => {
    for (let i = 0; i < n && queue.length; i++) {
      clock += ms;
      queue.shift()!();
    }
  };
  return { s, posts, ticks, queue };
}

describe('TrainSession', () => {
  it('configure posts step 0 with the regions grid and the coupling matrix', () => {
    const { s, posts } = harness();
    s.handle({ type: 'configure', config: TRAIN_DEFAULTS });
    expect(posts).toHaveLength(1);
    const p = posts[0];
    expect([p.step, p.running, p.experts, p.classes, p.last]).toEqual([0, false, 4, 4, null]);
    expect(p.regions.experts).toHaveLength(REGION_GRID * REGION_GRID);
    expect(p.coupling).toHaveLength(16);
  });

  it('step runs n steps and posts once; play posts at most every snapshotMs; pause stops', () => {
    const { s, posts, ticks, queue } = harness(100);
    s.handle({ type: 'configure', config: TRAIN_DEFAULTS });
    s.handle({ type: 'step', n: 3 });
    expect(posts.map((p) => p.step)).toEqual([0, 3]);
    expect(posts[1].history.step).toEqual([1, 2, 3]);
    s.handle({ type: 'play' });
    // play runs its first tick (2 steps) and posts (running: true); 16 ms ticks → a post every 7th tick
    expect(posts.map((p) => [p.step, p.running])).toEqual([
      [0, false],
      [3, false],
      [5, true],
    ]);
    ticks(14);
    expect(posts.slice(3).map((p) => p.step)).toEqual([5 + 2 * 7, 5 + 2 * 14]);
    s.handle({ type: 'pause' });
    ticks(5);
    expect(posts.at(-1)!.running).toBe(false);
    expect(posts.at(-1)!.step).toBe(33);
    expect(queue).toHaveLength(0);
  });

  it('reset starts the same seed again: the same first steps', () => {
    const { s, posts } = harness();
    s.handle({ type: 'configure', config: TRAIN_DEFAULTS });
    s.handle({ type: 'step', n: 5 });
    const first = posts.at(-1)!.history.loss;
    s.handle({ type: 'reset' });
    expect(posts.at(-1)!.step).toBe(0);
    s.handle({ type: 'step', n: 5 });
    expect(posts.at(-1)!.history.loss).toEqual(first);
  });

  it('upcycle doubles the experts and records the step', () => {
    const { s, posts } = harness();
    s.handle({ type: 'configure', config: { ...TRAIN_DEFAULTS, experts: 2, topk: 1 } });
    s.handle({ type: 'step', n: 4 });
    s.handle({ type: 'upcycle' });
    expect([
      posts.at(-1)!.experts,
      posts.at(-1)!.upcycledAt,
      posts.at(-1)!.coupling.length,
    ]).toEqual([4, [4], 16]);
    s.handle({ type: 'step' });
    expect(posts.at(-1)!.last!.load).toHaveLength(4);
  });

  it('the sequence task posts the routing of each token of the vocabulary (G = 0)', () => {
    const { s, posts } = harness();
    s.handle({ type: 'configure', config: { ...TRAIN_DEFAULTS, task: 'languages', experts: 3 } });
    const p = posts[0];
    expect([p.regions.G, p.regions.experts.length, p.regions.classes.length, p.classes]).toEqual([
      0, 24, 24, 24,
    ]);
    expect(p.regions.experts.every((e) => e >= 0 && e < 3)).toBe(true);
  });

  it('thins the history to at most MAX_HISTORY points, evenly', () => {
    const { s, posts } = harness();
    s.handle({ type: 'configure', config: { ...TRAIN_DEFAULTS, batch: 4 } });
    s.handle({ type: 'step', n: MAX_HISTORY * 2 + 10 });
    const h = posts.at(-1)!.history;
    expect(h.stride).toBe(4);
    expect(h.step.length).toBeLessThan(MAX_HISTORY);
    expect(h.step.slice(0, 3)).toEqual([4, 8, 12]);
    expect(h.loss).toHaveLength(h.step.length);
    expect(h.load).toHaveLength(h.step.length);
  });
});
