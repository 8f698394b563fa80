import { useId } from 'react';
import { useLab } from '../state/store';
import { explain } from './explain';

/** Parallel example prompts (UDHR article 1 style sentences) in several languages. */
export const EXAMPLES: { lang: string; text: string }[] = [
  { lang: 'en', text: 'All human beings are born free and equal in dignity and rights.' },
  { lang: 'de', text: 'Alle Menschen sind frei und gleich an Würde und Rechten geboren.' },
  { lang: 'fr', text: 'Tous les êtres humains naissent libres et égaux en dignité et en droits.' },
  { lang: 'es', text: 'Todos los seres humanos nacen libres e iguales en dignidad y derechos.' },
  { lang: 'ja', text: 'すべての人間は、生まれながらにして自由であり、かつ、尊厳と権利とについて平等である。' },
  { lang: 'zh', text: '人人生而自由，在尊严和权利上一律平等。' },
];

export function PromptBar() {
  const prompt = useLab((s) => s.prompt);
  const setPrompt = useLab((s) => s.setPrompt);
  const progress = useLab((s) => s.progress);
  const running = useLab((s) => s.running);
  const ready = useLab((s) => s.manifest !== null);
  const inputId = useId();
  return (
    <form
      className="prompt-bar"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        useLab.getState().run();
      }}
    >
      <label htmlFor={inputId}>Prompt</label>
      <input
        id={inputId}
        data-testid="prompt-input"
        {...explain('prompt')}
        type="text"
        value={prompt}
        placeholder="Type a sentence in any language and press Enter"
        onChange={(e) => setPrompt(e.target.value)}
        autoComplete="off"
        spellCheck={false}
      />
      <button type="submit" disabled={!ready} data-testid="run" {...explain('run')}>
        Run
      </button>
      {/* always there (disabled when idle): showing it only while running shifted the bar at every run */}
      <button type="button" data-testid="stop" {...explain('stop')} onClick={() => useLab.getState().cancel()} disabled={!running}>
        Stop
      </button>
      <progress data-testid="progress" aria-label={progress?.label ?? 'Idle'} title={progress?.label} max={1} value={progress?.value ?? 0} hidden={progress === null} />
      <span className="examples" aria-label="Example prompts">
        {EXAMPLES.map((x) => (
          <button
            key={x.lang}
            type="button"
            lang={x.lang}
            {...explain('example')}
            onClick={() => {
              setPrompt(x.text);
              useLab.getState().run();
            }}
          >
            {x.lang}
          </button>
        ))}
      </span>
    </form>
  );
}
