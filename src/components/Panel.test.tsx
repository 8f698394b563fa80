// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { ExpertLoad } from './ExpertLoad';
import { Panel } from './Panel';
import { loadMockRun } from './__fixtures__/mockRun';
import { useLab } from '../state/store';
import { VIEW_IDS } from '../state/views';

beforeEach(loadMockRun);
afterEach(() => {
  cleanup();
  useLab.setState(useLab.getInitialState());
});

describe('Panel', () => {
  it('collapses and expands its view from the heading; the open set is in the store (and so the URL)', () => {
    render(<ExpertLoad />);
    const panel = screen.getByTestId('expert-load');
    const toggle = screen.getByTestId('panel-toggle');
    expect(panel.dataset.open).toBe('true');
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(document.querySelectorAll('rect.bar')).toHaveLength(4);
    fireEvent.click(toggle);
    expect(panel.dataset.open).toBe('false');
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(document.querySelector<HTMLElement>('.panel-body')!.hidden).toBe(true); // content hidden
    expect(screen.getByRole('heading').textContent).toBe('Expert load — layer 0');
    expect(useLab.getState().openViews).toEqual(VIEW_IDS.filter((v) => v !== 'expert-load'));
    fireEvent.click(toggle);
    expect(useLab.getState().openViews).toEqual([...VIEW_IDS]);
    expect(document.querySelectorAll('rect.bar')).toHaveLength(4);
  });

  it('a panel that is not one of the named views has a plain heading and stays open', () => {
    render(
      <Panel title="Other" testId="other-panel">
        <p>content</p>
      </Panel>,
    );
    expect(screen.queryByTestId('panel-toggle')).toBeNull();
    expect(screen.getByText('content')).toBeTruthy();
  });
});
