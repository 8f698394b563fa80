import { useLab } from '../state/store';
import { currentTrace, currentTraceCsv } from '../state/traceExport';
import { downloadBlob } from './exportFigure';
import { explain } from './explain';

/** Download the current run as trace JSON (the CLI's format) or CSV. */
export function TraceExport() {
  const ready = useLab((s) => s.modified.summary !== null);
  if (!ready) return null;
  return (
    <div className="trace-export">
      <span>Export trace:</span>
      <button type="button" data-testid="export-json" {...explain('export-json')} onClick={() => downloadBlob(new Blob([JSON.stringify(currentTrace(useLab.getState()))], { type: 'application/json' }), 'trace.json')}>
        JSON
      </button>
      <button type="button" data-testid="export-csv" {...explain('export-csv')} onClick={() => downloadBlob(new Blob([currentTraceCsv(useLab.getState()) ?? ''], { type: 'text/csv' }), 'trace.csv')}>
        CSV
      </button>
    </div>
  );
}
