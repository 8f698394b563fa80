import type { RefObject } from 'react';
import { downloadBlob, svgToPngBlob, svgToString } from './exportFigure';

/** SVG and PNG export of one view's figure. */
export function ExportButtons({ svg, name }: { svg: RefObject<SVGSVGElement | null>; name: string }) {
  return (
    <span className="export">
      <button type="button" onClick={() => svg.current && downloadBlob(new Blob([svgToString(svg.current)], { type: 'image/svg+xml' }), `${name}.svg`)}>
        SVG
      </button>
      <button type="button" onClick={async () => svg.current && downloadBlob(await svgToPngBlob(svg.current), `${name}.png`)}>
        PNG
      </button>
    </span>
  );
}
