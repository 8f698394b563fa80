// Shared helpers for browser tests that drive the worker through harness.html.
import { execFileSync } from 'node:child_process';
import { expect, type Page } from '@playwright/test';
import type { WorkerReply } from '../src/gpu/protocol';
import type { LayerEvent } from '../src/routing/run';

export const FIXTURE_TEXT = 'Hello world, the router.';

export interface NodeTrace {
  backend: string;
  tokens: { id: number; text: string }[];
  layers: { index: number; selected: number[][]; routerLogits: number[][] }[];
}

/** The CLI's trace of the same text (onnxruntime-node), the reference the browser must match. */
export function nodeTrace(model: string, text: string, extra: string[] = []): NodeTrace {
  const out = execFileSync('node', ['tools/moe-lab.mjs', 'trace', '--model', model, '--text', text, ...extra], { encoding: 'utf8' });
  return JSON.parse(out);
}

export async function openHarness(page: Page): Promise<void> {
  await page.goto('harness.html');
  await page.waitForFunction(() => typeof window.__moeHarness !== 'undefined');
}

export async function load(page: Page, model: string, preferBackend?: 'wasm' | 'webgpu'): Promise<WorkerReply> {
  return page.evaluate(
    async ({ model, preferBackend }) =>
      (await window.__moeHarness.call({ type: 'load', source: { kind: 'url', url: new URL(model, document.baseURI).href }, preferBackend, ortBase: window.__ortBase })).final,
    { model, preferBackend },
  );
}

export async function forward(page: Page, text: string, router = 'native', interventions: string[] = [], baseline = false) {
  return page.evaluate(
    async ({ text, router, interventions, baseline }) => {
      const r = await window.__moeHarness.call({ type: 'forward', text, router, interventions, baseline });
      // Typed arrays do not survive evaluate(): send plain arrays back.
      const layers = r.stream
        .filter((m): m is Extract<typeof m, { type: 'layer' }> => m.type === 'layer')
        .map((m) => ({ pass: m.pass, layer: m.event.layer, selected: m.event.selected, routerLogits: Array.from(m.event.routerLogits), E: m.event.E }));
      return { final: r.final, layers };
    },
    { text, router, interventions, baseline },
  );
}

export type BrowserLayer = Pick<LayerEvent, 'layer' | 'selected' | 'E'> & { pass: string; routerLogits: number[] };

/** Every streamed layer picks the reference's experts, its router logits within `tol` of the reference's. */
export function expectLayersMatch(layers: Pick<BrowserLayer, 'layer' | 'selected' | 'routerLogits'>[], ref: NodeTrace, tol: number): void {
  for (const l of layers) {
    expect(l.selected).toEqual(ref.layers[l.layer].selected);
    const flat = ref.layers[l.layer].routerLogits.flat();
    const err = Math.max(...l.routerLogits.map((v, i) => Math.abs(v - flat[i])));
    expect(err).toBeLessThan(tol);
  }
}
