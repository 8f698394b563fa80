// @vitest-environment jsdom
// The prompt bar as a user drives it: type and press Enter (or Run), Stop while a run is going,
// the progress bar's label, and the example prompts. The engine is a fake that records the
// commands the store's actions send it (a run with the prompt in the store when it came).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { EXAMPLES, PromptBar } from './PromptBar';
import { MOCK_MANIFEST } from './__fixtures__/mockRun';
import { connectFakeEngine, type EngineCall } from './__fixtures__/fakeEngine';
import { useLab } from '../state/store';

let calls: EngineCall[];
beforeEach(() => {
  // The real engine client reads the prompt from the store when asked to run: record that prompt
  // in place of runPrompt's (empty) arguments.
  calls = connectFakeEngine({ runPrompt: () => void calls[calls.length - 1].push(useLab.getState().prompt) });
});
afterEach(() => {
  cleanup();
  useLab.setState(useLab.getInitialState());
});

const input = () => screen.getByTestId('prompt-input') as HTMLInputElement;
const button = (id: string) => screen.getByTestId(id) as HTMLButtonElement;
/** only the runPrompt calls (each with the prompt in the store when it came) */
const runs = () => calls.filter((c) => c[0] === 'runPrompt');

/**
 * Enter in a text field: jsdom has no implicit submission, so do what the HTML spec says a browser
 * does: submit the form through its default (first submit) button, and nothing when that button
 * is disabled.
 */
function pressEnter(el: HTMLInputElement) {
  fireEvent.keyDown(el, { key: 'Enter', code: 'Enter' });
  const submit = el.form!.querySelector<HTMLButtonElement>('button[type="submit"]');
  if (submit && !submit.disabled) el.form!.requestSubmit(submit);
}

describe('PromptBar', () => {
  it('typing stores the prompt; Enter runs it once through the engine', () => {
    useLab.setState({ manifest: MOCK_MANIFEST });
    render(<PromptBar />);
    fireEvent.change(input(), { target: { value: 'Alle Menschen sind frei.' } });
    expect(useLab.getState().prompt).toBe('Alle Menschen sind frei.');
    expect(input().value).toBe('Alle Menschen sind frei.');
    expect(calls).toEqual([]); // typing alone runs nothing
    pressEnter(input());
    expect(calls).toEqual([['runPrompt', 'Alle Menschen sind frei.']]);
    // the Run button does the same
    fireEvent.click(button('run'));
    expect(runs()).toHaveLength(2);
  });

  it('Run is disabled until a model has loaded, so Enter runs nothing before then', () => {
    render(<PromptBar />);
    expect(button('run').disabled).toBe(true);
    fireEvent.change(input(), { target: { value: 'Hello' } });
    pressEnter(input());
    expect(calls).toEqual([]);
    act(() => useLab.setState({ manifest: MOCK_MANIFEST }));
    expect(button('run').disabled).toBe(false);
    pressEnter(input());
    expect(calls).toEqual([['runPrompt', 'Hello']]);
  });

  it('Stop is disabled while idle and cancels the run while one is going', () => {
    useLab.setState({ manifest: MOCK_MANIFEST });
    render(<PromptBar />);
    expect(button('stop').disabled).toBe(true);
    fireEvent.click(button('stop'));
    expect(calls).toEqual([]);
    act(() => useLab.setState({ running: true }));
    expect(button('stop').disabled).toBe(false);
    fireEvent.click(button('stop'));
    expect(calls).toEqual([['cancel']]);
    act(() => useLab.setState({ running: false }));
    expect(button('stop').disabled).toBe(true);
  });

  it('shows the progress bar with its label and value only while there is progress', () => {
    render(<PromptBar />);
    const bar = screen.getByTestId('progress') as HTMLProgressElement;
    expect(bar.hidden).toBe(true);
    expect(bar.getAttribute('aria-label')).toBe('Idle');
    act(() => useLab.setState({ progress: { label: 'Creating session layer1.moe.onnx', value: 0.375 } }));
    expect(bar.hidden).toBe(false);
    expect(bar.getAttribute('aria-label')).toBe('Creating session layer1.moe.onnx');
    expect(bar.getAttribute('title')).toBe('Creating session layer1.moe.onnx');
    expect(bar.value).toBe(0.375);
    expect(bar.max).toBe(1);
    act(() => useLab.setState({ progress: null }));
    expect(bar.hidden).toBe(true);
  });

  it('an example prompt fills the box and runs it', () => {
    useLab.setState({ manifest: MOCK_MANIFEST, prompt: 'something typed before' });
    render(<PromptBar />);
    const examples = screen.getByLabelText('Example prompts').querySelectorAll('button');
    expect(Array.from(examples, (b) => b.textContent)).toEqual(['en', 'de', 'fr', 'es', 'ja', 'zh']);
    expect(Array.from(examples, (b) => b.lang)).toEqual(['en', 'de', 'fr', 'es', 'ja', 'zh']);
    const ja = EXAMPLES.find((x) => x.lang === 'ja')!.text;
    expect(ja).toBe('すべての人間は、生まれながらにして自由であり、かつ、尊厳と権利とについて平等である。');
    fireEvent.click(examples[4]);
    expect(useLab.getState().prompt).toBe(ja);
    expect(input().value).toBe(ja);
    // the prompt is in the store before the engine is asked to run it
    expect(calls).toEqual([['runPrompt', ja]]);
    fireEvent.click(examples[1]);
    expect(calls).toEqual([
      ['runPrompt', ja],
      ['runPrompt', 'Alle Menschen sind frei und gleich an Würde und Rechten geboren.'],
    ]);
  });
});
