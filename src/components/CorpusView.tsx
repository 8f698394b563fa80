// The corpus view (issue 19, the page half of `moe-lab corpus`): pick or drop the CLI's inputs —
// .txt (each file one source, each non-empty line one sequence), .jsonl (a "text" field per line,
// an optional "source") and trace .json (captured routing, aggregated as captured), parsed by the
// CLI's own code (routing/metrics/corpusInputs.ts) — or use the bundle's probe texts, route them
// in the worker with the current router and interventions, and read per layer which experts each
// source prefers, an expert's top tokens and contexts, the expert atlas, and — with a router or
// interventions set — how far the run moved from the unmodified baseline.
import { useMemo, useState, type DragEvent } from 'react';
import { useLab } from '../state/store';
import { compareReports } from '../routing/metrics/corpusRun';
import { compareCorpusModels } from '../routing/metrics/corpusModels';
import { CorpusModels } from './CorpusModels';
import {
  addCorpusFile,
  CORPUS_EXTENSIONS,
  corpusInputsOf,
  emptyCorpusInputs,
} from '../routing/metrics/corpusInputs';
import type { CorpusLayer } from '../routing/metrics/corpus';
import { firstMoeLayer } from '../routing/run';
import { Panel } from './Panel';
import { disabledReason } from './needsModel';
import { CorpusHeatmap } from './CorpusHeatmap';
import { CorpusExpert } from './CorpusExpert';
import { ExpertAtlas } from './ExpertAtlas';
import { CorpusCompare, CorpusDrift } from './CorpusCompare';
import { CorpusAblation } from './CorpusAblation';
import { explain } from './explain';

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
  const [files, setFiles] = useState<{ name: string; text: string }[]>([]);
  // probe texts, articles and the layer shown live in the store: the URL holds them
  // (corpus=, corpusLayer=)
  const { probes, articles, layer: layerPick } = useLab((s) => s.corpusView);
  const setCorpusView = useLab((s) => s.setCorpusView);
  const setProbes = (p: boolean) => setCorpusView({ probes: p });
  const setArticles = (n: number) => setCorpusView({ articles: n });
  const setLayerPick = (l: number | null) => setCorpusView({ layer: l });
  const [picked, setPicked] = useState<{ layer: number; expert: number } | null>(null);
  /** why picked files were refused (file, line, field); the files picked before stay */
  const [fileErrors, setFileErrors] = useState<string[]>([]);

  const addFiles = async (list: FileList | null) => {
    const errors: string[] = [];
    const read: { name: string; text: string }[] = [];
    for (const f of [...(list ?? [])]) {
      const dot = f.name.lastIndexOf('.');
      if (!CORPUS_EXTENSIONS.includes(dot > 0 ? f.name.slice(dot).toLowerCase() : '')) {
        errors.push(`${f.name}: not a .txt, .jsonl or trace .json file`);
        continue;
      }
      try {
        const text = await readText(f);
        addCorpusFile(emptyCorpusInputs(), f.name, text); // parsed now: a bad file is refused here
        read.push({ name: f.name, text });
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    setFileErrors(errors);
    if (read.length)
      setFiles((old) => [...old.filter((o) => !read.some((r) => r.name === o.name)), ...read]);
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    e.stopPropagation(); // (the page's own drop zone opens bundles and traces)
    void addFiles(e.dataTransfer.files);
  };
  const run = () => {
    setPicked(null);
    const { sources, texts, traces } = corpusInputsOf(files);
    void runCorpus({
      sources,
      texts: texts.map(({ source, text }) => ({ source, text })),
      ...(traces.length ? { traces } : {}),
      ...(probes ? { probes: { articles } } : {}),
    });
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
  const models = useMemo(
    () =>
      report && previous && previous.model !== report.model
        ? compareCorpusModels(previous, report)
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
          Files (.txt: each line one sequence; .jsonl: a "text" per line, optional "source"; trace
          .json: routing as captured, nothing run):{' '}
          <input
            type="file"
            accept=".txt,.jsonl,.json,text/plain,application/json"
            multiple
            data-testid="corpus-files"
            {...explain('corpus-files')}
            onChange={(e) => void addFiles(e.currentTarget.files)}
          />
        </label>
        {fileErrors.map((m) => (
          <p key={m} className="picker-error" role="alert" data-testid="corpus-file-error">
            {m}
          </p>
        ))}
        {files.length > 0 && (
          <p className="placeholder" data-testid="corpus-file-list">
            {files.map((f) => f.name).join(', ')}{' '}
            <button
              type="button"
              data-testid="corpus-clear"
              {...explain('corpus-clear')}
              onClick={() => {
                setFiles([]);
                setFileErrors([]);
              }}
            >
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
            {...explain('corpus-probes')}
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
            data-testid="corpus-articles"
            {...explain('corpus-articles')}
          />{' '}
          articles per language
        </label>
        <div>
          <button
            type="button"
            onClick={run}
            disabled={!canRun}
            data-testid="corpus-run"
            {...explain('corpus-run')}
          >
            Route the corpus
          </button>{' '}
          {busy && (
            <button
              type="button"
              onClick={cancelCorpus}
              data-testid="corpus-cancel"
              {...explain('corpus-cancel')}
            >
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
              {...explain('corpus-layer')}
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
          {models && <CorpusModels c={models} />}
          <CorpusAblation sources={sources} maxN={Math.min(...moe.map((l) => l.numExperts))} />
        </div>
      )}
    </Panel>
  );
}
