// Test helper (Node only): the PyTorch fixture checkpoint and its reference outputs.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Checkpoint } from './checkpoint';

export const FIXTURE_DIR = 'training/fixtures/tiny-mixtral';

/** Read a checkpoint folder, optionally patching fields of its config.json. */
export function readCheckpoint(dir: string, configPatch: Record<string, unknown> = {}): Checkpoint {
  const files = new Map<string, Uint8Array>();
  for (const n of readdirSync(dir)) files.set(n, new Uint8Array(readFileSync(join(dir, n))));
  const cfg = JSON.parse(new TextDecoder().decode(files.get('config.json')));
  files.set('config.json', new TextEncoder().encode(JSON.stringify({ ...cfg, ...configPatch })));
  return Checkpoint.fromFiles({ get: (n) => files.get(n), names: () => [...files.keys()] });
}

export interface ReferenceCase {
  name: string;
  text?: string;
  input_ids: number[];
  router_logits: number[][][];
  router_probs: number[][][];
  selected: number[][][];
  gates: number[][][];
  expert_out_norms: number[][][];
  hidden_out: number[][][];
  logits: number[][];
  loss: number[];
}

export function readReference(): { cases: ReferenceCase[] } {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, 'reference.json'), 'utf8'));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** A family fixture's reference (training/families/make_fixtures.py): dense layers hold null. */
export interface FamilyCase {
  name: string;
  text: string | null;
  input_ids: number[];
  router_logits: (number[][] | null)[];
  selected: (number[][] | null)[];
  gates: (number[][] | null)[];
  hidden_out: number[][][];
  logits: number[][];
  loss: number[];
}

export interface FamilyReference {
  seed: number;
  layer_kinds: ('moe' | 'dense')[];
  cases: FamilyCase[];
}

export const familyDir = (family: string) => `training/fixtures/tiny-${family}`;

export function readFamilyReference(family: string): FamilyReference {
  return JSON.parse(readFileSync(join(familyDir(family), 'reference.json'), 'utf8'));
}
