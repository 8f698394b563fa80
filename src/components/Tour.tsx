import { useEffect, useId, useRef } from 'react';
import { useLab } from '../state/store';
import { tourRequested, useTour } from '../state/tour';
import { isViewId } from '../state/views';
import './teaching.css';
import { explain } from './explain';

export interface TourStep {
  /** the data-testid of what the step highlights: a view panel (VIEW_IDS) or the header's Train link */
  target: string;
  title: string;
  /** two sentences: what it shows, one thing to try */
  text: string;
  paper: string;
}

export const TOUR_STEPS: TourStep[] = [
  {
    target: 'routing-map',
    title: 'Routing map',
    text: 'Each column is a token of your prompt and each row a layer; a cell shows the experts the router sent that token to, one stripe per expert. Try: click a language under the prompt box and watch the map fill in layer by layer.',
    paper: 'Shazeer et al. 2017, Outrageously Large Neural Networks: the sparsely-gated MoE layer',
  },
  {
    target: 'router-scores',
    title: 'Router scores',
    text: 'The router’s softmax over every expert for the focused token and layer; the solid bars are the top-k experts that ran. Try: click cells in different layers and see where the router is sure and where two experts are neck and neck.',
    paper: 'Jiang et al. 2024, Mixtral of Experts: top-2 of 8 softmax routing',
  },
  {
    target: 'router-panel',
    title: 'Router and interventions',
    text: 'Swap the routing policy or mask, force or bias experts on a range of layers; the pass repeats from the first layer it changes. Try: mask expert 3 in layer 2 and watch the outlined cells in the map.',
    paper: 'Fayyaz et al. 2025, Steering MoE LLMs via Expert (De)Activation',
  },
  {
    target: 'next-token',
    title: 'Next token',
    text: 'The model’s ten likeliest next tokens and the prompt’s loss; with an intervention it also gives the KL divergence from the unmodified run. Try: mask an expert and see which predictions it was carrying.',
    paper: 'Lu et al. 2024, Not All Experts are Equal: expert pruning and skipping',
  },
  {
    target: 'expert-load',
    title: 'Expert load',
    text: 'Tokens per expert in the focused layer against the even line, with MaxVio and dropped tokens. Try: run prompts in two languages and compare which experts get busy.',
    paper:
      'Wang et al. 2024, Auxiliary-Loss-Free Load Balancing (MaxVio); Fedus et al. 2022, Switch Transformers',
  },
  {
    target: 'entropy-view',
    title: 'Routing entropy',
    text: 'How sure the router is for every token and layer: the entropy of its softmax and the margin between its top two experts. Try: find the layers where the router hesitates most.',
    paper: 'Lo et al. 2024, A Closer Look into Mixture-of-Experts in Large Language Models',
  },
  {
    target: 'alignment-view',
    title: 'Cross-lingual alignment',
    text: 'Per layer, how differently two languages are routed (Jensen–Shannon divergence of their mean routing); middle layers tend to share experts. Try: run the probe texts and steer a language towards English.',
    paper: 'Bandarkar et al. 2025, Multilingual Routing in Mixture-of-Experts',
  },
  {
    target: 'coupling-view',
    title: 'Router–expert coupling',
    text: 'Each router row is pushed through every expert as a proxy token: a strong diagonal means experts answer most to their own router row. Try: compute it for a middle layer and read its row and column dominance.',
    paper: 'Lv et al. 2025, Coupling Experts and Routers in MoE via an Auxiliary Loss (ERC)',
  },
  {
    target: 'mode-train',
    title: 'Train your own',
    text: 'The playground trains a tiny MoE in your browser and colours the plane by the expert each point goes to. Try: the “No balancing” experiment, where two experts die, then turn on loss-free balancing.',
    paper: 'Fedus et al. 2022, Switch Transformers; Wang et al. 2024, loss-free balancing',
  },
];

const HIGHLIGHT = 'tour-highlight';

/**
 * The guided tour: a non-modal dialog that walks the views one at a time, outlining the one it
 * talks about (opening it if it was collapsed). ←/→ move, Esc skips; finishing is remembered.
 * The highlight finds its target by test id in the document: the tour points at other components.
 */
export function Tour() {
  const { open, step, go, close, start } = useTour();
  const dialog = useRef<HTMLDivElement>(null);
  const titleId = useId();

  useEffect(() => {
    if (tourRequested(location.search)) start();
  }, [start]);

  const s = TOUR_STEPS[step];
  useEffect(() => {
    if (!open || !s) return;
    if (isViewId(s.target) && !useLab.getState().openViews.includes(s.target))
      useLab.getState().setViewOpen(s.target, true);
    const el = document.querySelector<HTMLElement>(`[data-testid="${s.target}"]`);
    el?.classList.add(HIGHLIGHT);
    el?.scrollIntoView?.({ block: 'nearest' });
    dialog.current?.focus();
    return () => el?.classList.remove(HIGHLIGHT);
  }, [open, s]);

  if (!open || !s) return null;
  const last = step === TOUR_STEPS.length - 1;
  const next = () => (last ? close(true) : go(step + 1));
  const back = () => step > 0 && go(step - 1);
  return (
    <div
      ref={dialog}
      className="tour"
      role="dialog"
      aria-modal="false"
      aria-labelledby={titleId}
      tabIndex={-1}
      data-testid="tour"
      data-step={step}
      onKeyDown={(e) => {
        if (e.key === 'ArrowRight') next();
        else if (e.key === 'ArrowLeft') back();
        else if (e.key === 'Escape') close(false);
        else return;
        e.preventDefault();
      }}
    >
      <p className="tour-count">
        Tour · {step + 1} of {TOUR_STEPS.length}
      </p>
      <h2 id={titleId}>{s.title}</h2>
      <p>{s.text}</p>
      <p className="tour-paper">
        <cite>{s.paper}</cite>
      </p>
      <div className="tour-buttons">
        <button type="button" onClick={back} disabled={step === 0} {...explain('tour-back')}>
          Back
        </button>
        <button type="button" data-testid="tour-next" onClick={next} {...explain('tour-next')}>
          {last ? 'Finish' : 'Next'}
        </button>
        <button
          type="button"
          data-testid="tour-skip"
          onClick={() => close(false)}
          {...explain('tour-skip')}
        >
          Skip tour
        </button>
      </div>
      <p className="tour-keys">← → to move, Esc to skip</p>
    </div>
  );
}

/** The header's Tour button; it says when this browser has finished the tour. */
export function TourButton() {
  const done = useTour((s) => s.done);
  const start = useTour((s) => s.start);
  return (
    <button
      type="button"
      className="tour-button"
      data-testid="tour-button"
      data-done={String(done)}
      {...explain('tour')}
      onClick={start}
    >
      {done ? 'Tour ✓' : 'Tour'}
    </button>
  );
}
