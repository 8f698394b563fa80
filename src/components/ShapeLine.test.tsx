// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { layerRanges, ShapeLine, shapeText } from './ShapeLine';
import { loadBigRun, SHAPES } from './__fixtures__/bigRun';
import { loadMockDenseRun } from './__fixtures__/mockRun';
import { useLab } from '../state/store';

afterEach(() => {
  cleanup();
  useLab.setState(useLab.getInitialState());
});

describe('ShapeLine', () => {
  it('names runs of dense layers', () => {
    expect(layerRanges([0, 1, 2])).toBe('0–2');
    expect(layerRanges([0, 2, 3, 7])).toBe('0, 2–3, 7');
    expect(shapeText({ layers: 61, dense: [0, 1, 2], experts: 256, topK: 8, tokens: 512 })).toBe('61 layers (layers 0–2 dense) × 256 experts, top-8 · 512 tokens');
    expect(shapeText({ layers: 1, dense: [], experts: 4, topK: 1, tokens: 1 })).toBe('1 layer × 4 experts, top-1 · 1 token');
  });

  it('a DeepSeek-V3-shaped run: the model name and its shape in one line', () => {
    loadBigRun(SHAPES.deepseekV3, 64);
    render(<ShapeLine />);
    expect(screen.getByTestId('run-shape').textContent).toBe('DeepSeek-V3-shaped test run: 61 layers (layers 0–2 dense) × 256 experts, top-8 · 64 tokens');
  });

  it('an imported trace: the shape from its layers (no manifest), the file name as text', () => {
    loadMockDenseRun();
    useLab.setState({ manifest: null, imported: { name: '<i>cap</i>.npy', urls: [], engine: 'vllm', hasLogits: false, hasGates: false, trace: {} } });
    render(<ShapeLine />);
    expect(screen.getByTestId('run-shape').textContent).toBe('Trace <i>cap</i>.npy: 3 layers (layer 0 dense) × 4 experts, top-2 · 4 tokens');
    expect(document.querySelector('.shape-line i')).toBeNull();
  });

  it('shows nothing before a model or trace', () => {
    render(<ShapeLine />);
    expect(screen.queryByTestId('run-shape')).toBeNull();
  });
});
