import { describe, expect, it } from 'vitest';
import { startsEngine } from './boot';
import { parseUrlState } from './urlState';

describe('startsEngine: the boot decision of main.tsx', () => {
  const cases: [string, boolean][] = [
    ['', true],
    ['?q=Hallo+Welt', true],
    ['?mode=lab', true],
    ['?mode=train', false],
    ['?mode=train&train=task%3Axor%2CE%3A6', false],
    ['?q=x&mode=train', false],
    // the first mode counts, as in the URL codec
    ['?mode=train&mode=lab', false],
    ['?mode=lab&mode=train', true],
    // a bad mode is ignored with a notice: the lab, which needs the engine
    ['?mode=TRAIN', true],
  ];
  it.each(cases)('%s → %s', (search, starts) => {
    expect(startsEngine(search)).toBe(starts);
  });
  it('agrees with the page the URL codec opens (the playground never needs the engine)', () => {
    for (const [search] of cases)
      expect(startsEngine(search)).toBe(parseUrlState(search).state.mode !== 'train');
  });
});
