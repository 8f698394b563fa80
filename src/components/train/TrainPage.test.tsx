// @vitest-environment jsdom
// The training playground page over the real trainer, run in-thread: the transport buttons and
// their readouts (the test hooks train-step / train-loss), presets, settings, upcycling, the URL.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { TrainPage } from './TrainPage';
import { connectTrainer, initTrain, inThreadTrainer, useTrain } from '../../state/train';
import { TRAIN_DEFAULTS } from '../../train/config';
import { presetById } from '../../train/presets';
import { Trainer } from '../../train/trainer';
import { App } from '../App';
import { initFromUrl } from '../../state/useUrlSync';
import { useLab } from '../../state/store';

beforeEach(() => {
  connectTrainer(inThreadTrainer);
  history.replaceState(null, '', '/?mode=train');
});
afterEach(() => {
  act(() => useTrain.getState().pause());
  cleanup();
  connectTrainer(inThreadTrainer);
  useTrain.setState(useTrain.getInitialState());
  useLab.setState(useLab.getInitialState());
});

const text = (id: string) => screen.getByTestId(id).textContent;
const shares = () => screen.getByTestId('train-regions-experts').getAttribute('data-shares');

/** The losses of the first n steps of a config, straight from the trainer. */
const losses = (c: typeof TRAIN_DEFAULTS, n: number) => {
  const t = new Trainer(c);
  return Array.from({ length: n }, () => t.train().loss.toFixed(4));
};

describe('TrainPage', () => {
  it('?mode=train renders the playground instead of the lab, at step 0', () => {
    act(() => initTrain(''));
    render(<App />);
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe(
      'MoE Routing Lab · Training playground',
    );
    expect(text('train-step')).toBe('0');
    expect(text('train-loss')).toBe('—');
    expect(text('train-expert-count')).toBe('4');
    expect(screen.queryByTestId('routing-map')).toBeNull();
  });

  it('opened from the URL: a bad setting is ignored with a notice naming it, the rest kept', () => {
    history.replaceState(null, '', '/?mode=train&train=E%3A99%2Ctask%3Axor');
    act(() => initFromUrl());
    render(<App />);
    expect(screen.getByTestId('notices').textContent).toContain(
      'ignored part of URL field train="E:99,task:xor": E must be an integer in [1, 32], got "99"',
    );
    expect(useTrain.getState().config).toEqual({ ...TRAIN_DEFAULTS, task: 'xor' });
    expect(text('train-expert-count')).toBe('4');
  });

  it('Step trains one step: the step count and the loss are the trainer’s', () => {
    act(() => initTrain(''));
    render(<TrainPage />);
    const want = losses(TRAIN_DEFAULTS, 3);
    fireEvent.click(screen.getByTestId('train-step-button'));
    expect([text('train-step'), text('train-loss')]).toEqual(['1', want[0]]);
    fireEvent.click(screen.getByTestId('train-step-button'));
    fireEvent.click(screen.getByTestId('train-step-button'));
    expect([text('train-step'), text('train-loss')]).toEqual(['3', want[2]]);
    fireEvent.click(screen.getByTestId('train-reset'));
    expect(text('train-step')).toBe('0');
  });

  it('a preset shows what to look for, writes its settings into the URL, and its regions change as it trains', () => {
    act(() => initTrain(''));
    render(<TrainPage />);
    fireEvent.change(screen.getByTestId('train-preset'), { target: { value: 'dead-experts' } });
    expect(text('train-look')).toContain('With α = 0 two of the four experts die');
    expect(location.search).toBe('?mode=train&train=task%3Axor%2Cseed%3A2');
    const before = shares();
    act(() => useTrain.getState().step(300));
    expect(text('train-step')).toBe('300');
    expect(shares()).not.toBe(before);
    // Two experts died: they hold 0% and 3% of the plane (measured), the other two the rest.
    expect(shares()).toBe('0.4931,0.4738,0.0331,0.0000');
    expect(Number(text('train-loss'))).toBeLessThan(0.2);
    expect(losses(presetById('dead-experts')!.config, 300).at(-1)).toBe(text('train-loss'));
  });

  it('changing a setting restarts the run with it; a balancing method brings its weight', () => {
    act(() => initTrain('task:spirals'));
    render(<TrainPage />);
    act(() => useTrain.getState().step(5));
    fireEvent.change(screen.getByTestId('train-experts'), { target: { value: '6' } });
    expect([text('train-step'), text('train-expert-count')]).toEqual(['0', '6']);
    expect(location.search).toBe('?mode=train&train=task%3Aspirals%2CE%3A6');
    // A value out of range (or a cleared field) is kept as typed, marked invalid, and not applied.
    const E = screen.getByTestId('train-experts') as HTMLInputElement;
    fireEvent.change(E, { target: { value: '' } });
    expect([E.value, E.getAttribute('aria-invalid'), useTrain.getState().config.experts]).toEqual([
      '',
      'true',
      6,
    ]);
    fireEvent.change(E, { target: { value: '99' } });
    expect([E.value, useTrain.getState().config.experts]).toEqual(['99', 6]);
    fireEvent.blur(E);
    expect([E.value, E.getAttribute('aria-invalid')]).toEqual(['6', 'false']);
    expect(screen.queryByTestId('train-weight')).toBeNull();
    fireEvent.change(screen.getByTestId('train-balance'), { target: { value: 'lossfree' } });
    expect((screen.getByTestId('train-weight') as HTMLInputElement).value).toBe('0.01');
    expect(screen.getByLabelText('u')).toBe(screen.getByTestId('train-weight'));
    expect(useTrain.getState().config).toEqual({
      ...TRAIN_DEFAULTS,
      task: 'spirals',
      experts: 6,
      balance: 'lossfree',
      weight: 0.01,
    });
  });

  it('upcycle doubles the experts: the legend and the coupling matrix grow', () => {
    act(() => initTrain(''));
    render(<TrainPage />);
    act(() => useTrain.getState().step(10));
    fireEvent.click(screen.getByTestId('train-upcycle'));
    expect(text('train-expert-count')).toBe('8');
    expect(screen.getByRole('list', { name: 'Experts' }).querySelectorAll('li')).toHaveLength(8);
    expect(screen.getByTestId('train-coupling-matrix').getAttribute('aria-label')).toBe(
      'Coupling matrix M, 8×8',
    );
  });

  it('the sequence task shows each language’s tokens by expert; the preset ends one expert per language', () => {
    act(() => initTrain(''));
    render(<TrainPage />);
    fireEvent.change(screen.getByTestId('train-preset'), { target: { value: 'languages' } });
    expect(screen.queryByTestId('train-regions-experts')).toBeNull();
    const table = screen.getByTestId('train-tokens');
    expect(Array.from(table.querySelectorAll('th'), (th) => th.textContent)).toEqual([
      'Latin',
      'Greek',
      'Cyrillic',
    ]);
    expect(table.querySelectorAll('td')).toHaveLength(24);
    expect(table.querySelector('td')!.textContent).toBe('a');
    act(() => useTrain.getState().step(1500));
    expect(screen.getByTestId('train-tokens').getAttribute('data-rows')).toBe(
      '00000000|22222222|11111111',
    );
    // The sample text (two 5-letter words per language, taking turns) in the lab's routing map:
    // one MoE layer, a cell per letter, each language on its own expert.
    const cells = screen.getAllByTestId('routing-cell');
    expect(cells).toHaveLength(30);
    expect(cells.map((c) => c.getAttribute('data-experts')).join('')).toBe(
      '000002222211111'.repeat(2),
    );
    expect(screen.getByTestId('expert-load')).toBeTruthy();
  });

  it('hash routing has no coupling matrix', () => {
    act(() => initTrain('router:hash'));
    render(<TrainPage />);
    expect(screen.getByTestId('train-coupling').textContent).toContain(
      'Hash routing has no router rows to couple.',
    );
  });

  it('Play trains on its own until Pause', async () => {
    act(() => initTrain(''));
    render(<TrainPage />);
    fireEvent.click(screen.getByTestId('train-play'));
    // No click after Play: the steps come from the page's own loop. A loaded machine runs fewer
    // frames a second, so wait (generously) for the count to pass the threshold rather than
    // expecting it within waitFor's default second.
    await waitFor(() => expect(Number(text('train-step'))).toBeGreaterThan(10), {
      timeout: 20_000,
      interval: 50,
    });
    fireEvent.click(screen.getByTestId('train-pause'));
    const n = text('train-step');
    // Paused: the count stays put over several frames' time.
    await new Promise((r) => setTimeout(r, 300));
    expect(text('train-step')).toBe(n);
    expect(screen.getByTestId('train-play')).toBeTruthy();
  });
});
