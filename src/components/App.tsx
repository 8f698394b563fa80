import { Header } from './Header';
import { ShapeLine } from './ShapeLine';
import { PromptBar } from './PromptBar';
import { ErrorBanner } from './ErrorBanner';
import { Notices } from './Notices';
import { RoutingMap } from './RoutingMap';
import { RouterScores } from './RouterScores';
import { ExpertLoad } from './ExpertLoad';
import { NextToken } from './NextToken';
import { RouterPanel } from './RouterPanel';
import { AlignmentView } from './AlignmentView';
import { TraceExport } from './TraceExport';
import { FlowView } from './FlowView';
import { CoActivationView } from './CoActivationView';
import { CacheView } from './CacheView';
import { AttributionView } from './AttributionView';
import { CouplingView } from './CouplingView';
import { CorpusView } from './CorpusView';
import { EntropyView } from './EntropyView';
import { Footer } from './Footer';
import { DropZone } from './DropZone';
import { useUrlSync } from '../state/useUrlSync';
import { useTrain } from '../state/train';
import { TrainPage } from './train/TrainPage';
import { Tour } from './Tour';
import { FirstVisitCaption } from './FirstVisitCaption';
import { ExplainTip } from './explain';

/** The lab, or the training playground (`?mode=train`). */
export function App() {
  const mode = useTrain((s) => s.mode);
  return (
    <>
      {mode === 'train' ? <TrainPage /> : <LabPage />}
      <ExplainTip />
    </>
  );
}

function LabPage() {
  useUrlSync();
  return (
    <div className="lab">
      <a className="skip-link" href="#main">
        Skip to the routing map
      </a>
      <Header />
      <ShapeLine />
      <ErrorBanner />
      <Notices />
      <PromptBar />
      <FirstVisitCaption />
      <main id="main" className="lab-main" tabIndex={-1}>
        <section className="lab-map" aria-label="Routing map">
          <RoutingMap />
          <RouterPanel />
          <TraceExport />
          <FlowView />
          <CacheView />
          <AttributionView />
          <CorpusView />
        </section>
        <aside className="lab-side" aria-label="Details">
          <RouterScores />
          <EntropyView />
          <ExpertLoad />
          <NextToken />
          <CoActivationView />
          <AlignmentView />
          <CouplingView />
        </aside>
      </main>
      <Footer />
      <DropZone />
      <Tour />
    </div>
  );
}
