import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { App } from './components/App';
import './components/app.css';
import { commands, crashWorkerForTest, startEngine } from './state/engine/index';
import { connectEngine } from './state/actions';
import { initFromUrl } from './state/useUrlSync';
import { startsEngine } from './state/boot';

// Test-only API, present only on the e2e route (?e2e=1).
if (new URLSearchParams(location.search).has('e2e')) Object.assign(window, { __moeLabTest: { crashWorker: crashWorkerForTest } });

// The engine's runtime (ORT's WebAssembly) and the URL's model load while the page renders; the
// training playground starts neither (initFromUrl starts its trainer instead).
connectEngine(commands);
if (startsEngine(location.search)) startEngine();
initFromUrl();

const queryClient = new QueryClient({
  defaultOptions: { queries: { retry: false, refetchOnWindowFocus: false, staleTime: Infinity } },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
