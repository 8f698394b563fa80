// One tooltip for a whole figure (a canvas or an SVG with hit-testing): placed at a point in the
// figure's wrapper (position: relative), instead of a <title> per mark.

export interface Tip {
  /** px from the wrapper's left and top edges */
  x: number;
  y: number;
  text: string;
}

export function ChartTip({ tip, testId = 'chart-tip' }: { tip: Tip | null; testId?: string }) {
  if (!tip) return null;
  return (
    <div className="chart-tip" role="status" data-testid={testId} style={{ left: tip.x + 12, top: tip.y + 12 }}>
      {tip.text}
    </div>
  );
}
