import { useEffect } from 'react';
import { subscribeTrainUrl, useTrain } from '../../state/train';
import { RoutingMap } from '../RoutingMap';
import { ExpertLoad } from '../ExpertLoad';
import { Notices } from '../Notices';
import { PresetPicker, TrainControls, TrainTransport } from './TrainControls';
import { CouplingMatrixView, LoadView, RegionsView, SeriesView } from './TrainPlots';
import { explain } from '../explain';
import './train.css';

/**
 * The training playground (`?mode=train`): a tiny MoE of MLP experts learns a 2-D task in a worker
 * while the page draws how its router carves up the plane, the load, and the coupling.
 */
export function TrainPage() {
  useEffect(subscribeTrainUrl, []);
  return (
    <div className="lab train-page">
      <header className="lab-header">
        <h1>MoE Routing Lab · Training playground</h1>
        <nav className="header-controls">
          <a href="./" data-testid="mode-lab" {...explain('mode-lab')}>
            ← Lab
          </a>
        </nav>
      </header>
      <Notices />
      <main id="main" className="train-main" tabIndex={-1}>
        <Intro />
        <PresetPicker />
        <TrainTransport />
        <div className="train-grid">
          <TrainControls />
          <div className="train-views">
            <RegionsView />
            <SeriesView />
            <LoadView />
            <CouplingMatrixView />
          </div>
        </div>
        <SequenceViews />
      </main>
    </div>
  );
}

function Intro() {
  const seq = useTrain((s) => s.config.task === 'languages');
  return (
    <p className="train-intro">
      {seq
        ? 'A router sends each token to one of E small MLP experts, whose gated outputs predict the next token. Press Play and watch each language settle on its experts, or pick a paper’s experiment.'
        : 'A router sends each point of the plane to one of E small MLP experts; their gated outputs are mixed into a prediction. Press Play and watch the experts carve up the plane, or pick a paper’s experiment.'}
    </p>
  );
}

/**
 * The sequence task's sample text through the lab's own views: the routing map (one MoE layer,
 * a column per letter) and the expert load, redrawn with every snapshot.
 */
function SequenceViews() {
  const seq = useTrain((s) => s.config.task === 'languages');
  if (!seq) return null;
  return (
    <section className="train-sequence" aria-label="Sample text in the lab's views">
      <p className="train-note">
        A sample text (two words per language, taking turns) routed by the MoE as it trains, drawn
        by the lab’s routing map and expert load views.
      </p>
      <RoutingMap />
      <ExpertLoad />
    </section>
  );
}
