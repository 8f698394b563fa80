import { describe, expect, it } from 'vitest';
import { interventionExperts, parseExpertList, thinnedTicks, topExperts } from './scoreSummary';

describe('topExperts', () => {
  it('keeps the m most probable and summarises the rest (hand-computed)', () => {
    // 8 experts; top-3 are 5 (0.4), 1 (0.2), 6 (0.15); the rest 0.1 + 0.05 + 0.05 + 0.03 + 0.02
    const p = [0.1, 0.2, 0.05, 0.03, 0.05, 0.4, 0.15, 0.02];
    const s = topExperts(p, 3);
    expect(s.shown).toEqual([5, 1, 6]);
    expect(s.rest.count).toBe(5);
    expect(s.rest.total).toBeCloseTo(0.25, 12);
    expect(s.rest.max).toBeCloseTo(0.1, 12);
  });

  it('always keeps the pinned experts (selected, focused, intervened), in probability order', () => {
    const p = [0.1, 0.2, 0.05, 0.03, 0.05, 0.4, 0.15, 0.02];
    const s = topExperts(p, 3, [7, 3, 99]);
    // the two pinned ones plus the best one not pinned, 99 ignored (no such expert)
    expect(s.shown).toEqual([5, 3, 7]);
    expect(s.rest.count).toBe(5);
    expect(s.rest.total).toBeCloseTo(0.1 + 0.2 + 0.05 + 0.05 + 0.15, 12);
    expect(s.rest.max).toBeCloseTo(0.2, 12);
    // more pinned than m: all of them, nothing else
    expect(topExperts(p, 1, [0, 2]).shown).toEqual([0, 2]);
  });

  it('breaks ties by id and shows everything when m ≥ E', () => {
    expect(topExperts([0.25, 0.25, 0.25, 0.25], 2).shown).toEqual([0, 1]);
    const all = topExperts([0.5, 0.5], 16);
    expect(all.shown).toEqual([0, 1]);
    expect(all.rest).toEqual({ count: 0, total: 0, max: 0 });
  });
});

describe('interventionExperts', () => {
  it('collects the experts named in the layer, skipping other layers and bad specs', () => {
    expect(interventionExperts(['mask:layers=2,experts=17', 'force:layers=0-3,experts=3+200', 'mask:layers=5,experts=9', 'temp:layers=*,t=2', 'mask:layers=x'], 2)).toEqual([3, 17, 200]);
  });
});

describe('parseExpertList', () => {
  it('accepts + , and spaces and checks ids against E', () => {
    expect(parseExpertList('3+17', 32)).toEqual({ experts: [3, 17] });
    expect(parseExpertList(' 3, 17 4', 32)).toEqual({ experts: [3, 17, 4] });
    expect(parseExpertList('3+32', 32)).toEqual({ error: 'expert 32 does not exist (ids 0–31)' });
    expect(parseExpertList('3+3', 32)).toEqual({ error: 'expert 3 is listed twice' });
    expect(parseExpertList('a', 32)).toEqual({ error: '"a" is not an expert id' });
    expect(parseExpertList('  ', 32)).toEqual({ error: 'no expert given' });
  });
});

describe('thinnedTicks', () => {
  it('labels at most n positions in power-of-two steps', () => {
    expect(thinnedTicks(8, 16)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(thinnedTicks(256, 16)).toEqual(Array.from({ length: 16 }, (_, i) => i * 16));
    expect(thinnedTicks(48, 16).length).toBeLessThanOrEqual(16);
    expect(thinnedTicks(0, 16)).toEqual([]);
  });
});
