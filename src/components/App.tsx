import { Header } from './Header';
import { PromptBar } from './PromptBar';
import { ErrorBanner } from './ErrorBanner';
import { Panel } from './Panel';
import { Footer } from './Footer';

export function App() {
  return (
    <div className="lab">
      <a className="skip-link" href="#main">
        Skip to the routing map
      </a>
      <Header />
      <ErrorBanner />
      <PromptBar />
      <main id="main" className="lab-main" tabIndex={-1}>
        <section className="lab-map" aria-label="Routing map">
          <Panel title="Routing map" testId="routing-map">
            <p className="placeholder">Type a prompt and press Enter to see which experts each token visits in each layer.</p>
          </Panel>
        </section>
        <aside className="lab-side" aria-label="Details">
          <Panel title="Router scores" testId="router-scores">
            <p className="placeholder">Router probabilities for the focused token and layer.</p>
          </Panel>
          <Panel title="Expert load" testId="expert-load">
            <p className="placeholder">Tokens per expert in the focused layer.</p>
          </Panel>
          <Panel title="Next token" testId="next-token">
            <p className="placeholder">The model's next-token distribution.</p>
          </Panel>
          <Panel title="Cross-lingual alignment" testId="alignment-view">
            <p className="placeholder">How routing lines up across languages, layer by layer.</p>
          </Panel>
        </aside>
      </main>
      <Footer />
    </div>
  );
}
