import { useId } from 'react';
import { useLab } from '../state/store';

export function PromptBar() {
  const prompt = useLab((s) => s.prompt);
  const setPrompt = useLab((s) => s.setPrompt);
  const progress = useLab((s) => s.progress);
  const inputId = useId();
  return (
    <form className="prompt-bar" role="search" onSubmit={(e) => e.preventDefault()}>
      <label htmlFor={inputId}>Prompt</label>
      <input
        id={inputId}
        data-testid="prompt-input"
        type="text"
        value={prompt}
        placeholder="Type a sentence in any language and press Enter"
        onChange={(e) => setPrompt(e.target.value)}
        autoComplete="off"
        spellCheck={false}
      />
      <button type="submit">Run</button>
      <progress
        data-testid="progress"
        aria-label={progress?.label ?? 'Idle'}
        max={1}
        value={progress?.value ?? 0}
        hidden={progress === null}
      />
    </form>
  );
}
