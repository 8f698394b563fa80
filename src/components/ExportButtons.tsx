import type { RefObject } from 'react';
import { downloadBlob, svgToPngBlob, svgToString } from './exportFigure';
import { explain } from './explain';

/** SVG and PNG export of one view's figure. */
export function ExportButtons({ svg, name }: { svg: RefObject<SVGSVGElement | null>; name: string }) {
  return (
    <span className="export">
      <button type="button" {...explain('export-svg')} onClick={() => svg.current && downloadBlob(new Blob([svgToString(svg.current)], { type: 'image/svg+xml' }), `${name}.svg`)}>
        SVG
      </button>
      <button type="button" {...explain('export-png')} onClick={async () => svg.current && downloadBlob(await svgToPngBlob(svg.current), `${name}.png`)}>
        PNG
      </button>
    </span>
  );
}
