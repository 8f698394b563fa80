import { useLab } from '../state/store';
import { showsFirstVisit } from '../state/firstVisit';
import './teaching.css';

/** One line over the first visit's example run: what the page is showing, and what to do next. */
export function FirstVisitCaption() {
  const show = useLab((s) => showsFirstVisit(s.prompt) && !s.imported);
  const name = useLab((s) => s.manifest?.name ?? s.modelId);
  if (!show) return null;
  return (
    <p className="first-visit-caption" data-testid="first-visit-caption">
      You are looking at <b>{name}</b> routing an example sentence: each column of the map is a
      token, each row a layer, each cell the experts the router sent it to. Type your own sentence,
      click a language, or take the Tour.
    </p>
  );
}
