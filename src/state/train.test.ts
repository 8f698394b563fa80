// The playground's URL fields (`mode=`, `train=`) in the page's URL codec, and the address the
// playground writes back.
import { describe, expect, it } from 'vitest';
import { formatUrlState, parseUrlState, URL_DEFAULTS } from './urlState';
import { trainUrl } from './train';
import { TRAIN_DEFAULTS } from '../train/config';

describe('mode= and train= URL fields', () => {
  it('read and write the playground and its settings; the lab writes neither', () => {
    const { state, notices } = parseUrlState('?mode=train&train=task%3Axor%2CE%3A6');
    expect(notices).toEqual([]);
    expect([state.mode, state.train]).toEqual(['train', 'task:xor,E:6']);
    expect(formatUrlState(state)).toBe('?mode=train&train=task%3Axor%2CE%3A6');
    expect(formatUrlState(URL_DEFAULTS)).toBe('');
  });
  it('name a bad mode and each bad setting', () => {
    const { state, notices } = parseUrlState('?mode=play&train=E%3A99%2Ctask%3Axor');
    expect(state.mode).toBe('lab');
    expect(notices).toEqual([
      'ignored URL field mode="play": mode must be lab or train, got "play"',
      'ignored part of URL field train="E:99,task:xor": E must be an integer in [1, 32], got "99"',
    ]);
  });
  it('trainUrl gives the playground address of a config', () => {
    expect(trainUrl(TRAIN_DEFAULTS)).toBe('?mode=train');
    expect(trainUrl({ ...TRAIN_DEFAULTS, task: 'xor', seed: 2 })).toBe(
      '?mode=train&train=task%3Axor%2Cseed%3A2',
    );
  });
});
