// The corpus view (issue 19, the page half of `moe-lab corpus`): pick or drop .txt files (each file
// one source, each non-empty line one sequence) or use the bundle's probe texts, route them in the
// worker with the current router and interventions, and read per layer which experts each source
// prefers, an expert's top tokens and contexts, the expert atlas, and — with a router or
// interventions set — how far the run moved from the unmodified baseline.
import { useMemo, useState, type DragEvent } from 'react';
import { useLab } from '../state/store';
import { compareReports, corpusTextsOf } from '../routing/metrics/corpusRun';
import type { CorpusLayer } from '../routing/metrics/corpus';
import { firstMoeLayer } from '../routing/run';
import { Panel } from './Panel';
import { disabledReason } from './needsModel';
import { CorpusHeatmap } from './CorpusHeatmap';
import { CorpusExpert } from './CorpusExpert';
import { ExpertAtlas } from './ExpertAtlas';
import { CorpusCompare, CorpusDrift } from './CorpusCompare';
import { CorpusAblation } from './CorpusAblation';

/** A picked file's text (FileReader: also where Blob.text is missing). */
function readText(f: Blob): Promise<string> {
  return new Promise((ok, fail) => {
    const r = new FileReader();
    r.onload = () => ok(String(r.result));
    r.onerror = () => fail(r.error ?? new Error('unreadable'));
    r.readAsText(f);
  });
}

export function CorpusView() {
  const manifest = useLab((s) => s.manifest);
  const imported = useLab((s) => s.imported);
  const result = useLab((s) => s.analyses.corpus);
  const busy = useLab((s) => s.analysisBusy.corpus === true);
  const runCorpus = useLab((s) => s.runCorpus);
  const cancelCorpus = useLab((s) => s.cancelCorpus);
  const pin = useLab((s) => s.pin);
  const setError = useLab((s) => s.setError);
  const [files, setFiles] = useState<{ name: string; text: string }[]>([]);
  const [probes, setProbes] = useState(false);
  const [articles, setArticles] = useState(10);
  const [layerPick, setLayerPick] = useState<number | null>(null);
  const [picked, setPicked] = useState<{ layer: number; expert: number } | null>(null);

  const addFiles = async (list: FileList | null) => {
    const fs = [...(list ?? [])].filter((f) => f.name.toLowerCase().endsWith('.txt'));
    if (list?.length && !fs.length)
      setError(
        `corpus: pick .txt files (each file one source, each line one sequence), got ${[...list].map((f) => f.name).join(', ')}`,
      );
    const read = await Promise.all(
      fs.map(async (f) => ({ name: f.name, text: await readText(f) })),
    );
    setFiles((old) => [...old.filter((o) => !read.some((r) => r.name === o.name)), ...read]);
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    e.stopPropagation(); // (the page's own drop zone opens bundles and traces)
    void addFiles(e.dataTransfer.files);
  };
  const run = () => {
    setPicked(null);
    void runCorpus({ ...corpusTextsOf(files), ...(probes ? { probes: { articles } } : {}) });
  };

  const report = result?.report;
  const sources = report?.sources.map((s) => s.name) ?? [];
  const moe = (report?.layers ?? []).filter(
    (l): l is Extract<CorpusLayer, { kind: 'moe' }> => l.kind === 'moe',
  );
  const layerIndex = layerPick ?? picked?.layer ?? (manifest ? firstMoeLayer(manifest.layers) : 0);
  const layer = moe.find((l) => l.index === layerIndex) ?? moe[0];
  const expert = layer && picked?.layer === layer.index ? layer.experts[picked.expert] : undefined;
  const select = (l: number, e: number) => {
    setPicked({ layer: l, expert: e });
    setLayerPick(l);
    pin({ layer: l, expert: e }); // the rest of the lab (router scores, interventions) follows
  };
  const previous = result?.previous;
  const drift = useMemo(
    () =>
      report && previous && previous.model === report.model
        ? {
            rows: compareReports(previous, report),
            label: `${previous.router}${previous.interventions.length ? ` with ${previous.interventions.join(' ')}` : ''}, ${previous.tokens} tokens`,
          }
        : null,
    [report, previous],
  );
  const canRun = (files.length > 0 || probes) && !busy;

  return (
    <Panel
      title="Corpus"
      testId="corpus-view"
      disabled={manifest ? disabledReason(imported, 'model') : 'Load a model to route a corpus.'}
    >
      <div
        className="corpus-inputs"
        onDragOver={(e) => {
          e.preventDefault();
          e.stopPropagation(); // (no "drop a bundle" overlay over this view)
        }}
        onDrop={onDrop}
        data-testid="corpus-drop"
      >
        <label>
          Text files (each file one source, each line one sequence):{' '}
          <input
            type="file"
            accept=".txt,text/plain"
            multiple
            data-testid="corpus-files"
            onChange={(e) => void addFiles(e.currentTarget.files)}
          />
        </label>
        {files.length > 0 && (
          <p className="placeholder" data-testid="corpus-file-list">
            {files.map((f) => f.name).join(', ')}{' '}
            <button type="button" onClick={() => setFiles([])}>
              Clear
            </button>
          </p>
        )}
        <label>
          <input
            type="checkbox"
            checked={probes}
            disabled={!manifest?.probes}
            onChange={(e) => setProbes(e.currentTarget.checked)}
            data-testid="corpus-probes"
          />{' '}
          the bundle's probe texts
          {manifest?.probes ? '' : ' (this model ships none)'}, first{' '}
          <input
            type="number"
            min={1}
            max={1000}
            value={articles}
            onChange={(e) => setArticles(Math.max(1, Number(e.currentTarget.value) || 1))}
            style={{ width: '4em' }}
            aria-label="Probe articles per language"
          />{' '}
          articles per language
        </label>
        <div>
          <button type="button" onClick={run} disabled={!canRun} data-testid="corpus-run">
            Route the corpus
          </button>{' '}
          {busy && (
            <button type="button" onClick={cancelCorpus} data-testid="corpus-cancel">
              Cancel
            </button>
          )}
        </div>
      </div>
      {report && layer && (
        <div className="corpus-result" data-testid="corpus-result">
          <p className="placeholder" data-testid="corpus-summary">
            {report.tokens} tokens (
            {report.sources.map((s) => `${s.name}: ${s.sequences} seq, ${s.tokens} tok`).join('; ')}
            ), router {report.router}
            {report.interventions.length ? ` with ${report.interventions.join(' ')}` : ''};{' '}
            {report.run.tokensPerSecond} tokens/s.
          </p>
          {report.notices.map((n) => (
            <p key={n} className="placeholder">
              {n}
            </p>
          ))}
          <label>
            Layer{' '}
            <select
              value={layer.index}
              onChange={(e) => setLayerPick(Number(e.currentTarget.value))}
              data-testid="corpus-layer"
            >
              {moe.map((l) => (
                <option key={l.index} value={l.index}>
                  {l.index} (specialisation{' '}
                  {Object.values(l.specialisation)
                    .map((x) => (x === null ? '–' : x.toFixed(2)))
                    .join(' / ')}
                  )
                </option>
              ))}
            </select>
          </label>
          <CorpusHeatmap
            layer={layer}
            sources={sources}
            selected={expert ? expert.id : null}
            onSelect={(e) => select(layer.index, e)}
          />
          {expert && (
            <CorpusExpert
              layer={layer.index}
              expert={expert}
              sources={sources}
              uniform={layer.topK / layer.numExperts}
            />
          )}
          <h3>Expert atlas</h3>
          <ExpertAtlas report={report} selected={picked} onSelect={select} />
          {report.compare && <CorpusCompare rows={report.compare} />}
          {drift && <CorpusDrift rows={drift.rows} previous={drift.label} />}
          <CorpusAblation sources={sources} maxN={Math.min(...moe.map((l) => l.numExperts))} />
        </div>
      )}
    </Panel>
  );
}
