import type { RefObject } from 'react';
import { downloadBlob } from './exportFigure';
import { explain } from './explain';

/** PNG export of a canvas figure, and its numbers as CSV. */
export function CanvasExport({ canvas, name, csv }: { canvas: RefObject<HTMLCanvasElement | null>; name: string; csv?: () => string }) {
  return (
    <span className="export">
      <button type="button" {...explain('export-png')} onClick={() => canvas.current?.toBlob((b) => b && downloadBlob(b, `${name}.png`), 'image/png')}>
        PNG
      </button>
      {csv && (
        <button type="button" {...explain('export-figure-csv')} onClick={() => downloadBlob(new Blob([csv()], { type: 'text/csv' }), `${name}.csv`)}>
          CSV
        </button>
      )}
    </span>
  );
}
