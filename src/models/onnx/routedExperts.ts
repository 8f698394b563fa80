// SwiGLU experts run only on the tokens routed to them. Same contract as the dense block
// (moe_in [B,T,D], gates [B,T,E] → out [B,T,D], norms [B,T,E]), but expert e sees just the rows
// whose gate for e is non-zero: with top-2 of 8 that is a quarter of the expert FLOPs, which were
// two thirds of a forward pass. An expert's norm is computed where it ran and is 0 elsewhere;
// to measure every expert on every token (coupling analyses), pass a gate of 1 everywhere.
import type { GraphBuilder } from './builder';

export interface ExpertMatrices {
  /** [D × I] gate projection (w1ᵀ) */
  gate: string;
  /** [D × I] up projection (w3ᵀ) */
  up: string;
  /** [I × D] down projection (w2ᵀ) */
  down: string;
}

/** Expert e on its rows xe [n, D] → [n, D], for experts other than plain SwiGLU (gpt-oss). */
export type ExpertFfn = (g: GraphBuilder, xe: string, e: number) => string;

export function routedExperts(g: GraphBuilder, x: string, gates: string, experts: ExpertMatrices[], D: number, ffn?: ExpertFfn): { out: string; norms: string } {
  const E = experts.length;
  const x2 = g.o('Reshape', [x, g.ints([-1, D])]); // [N, D]
  const g2 = g.o('Reshape', [gates, g.ints([-1, E])]); // [N, E]
  const zero = { tensor: { dims: [1], dataType: 1, floatData: [0] } };
  let acc = g.o('ConstantOfShape', [g.o('Shape', [x2])], { value: zero });
  let norms = g.o('ConstantOfShape', [g.o('Shape', [g2])], { value: zero });
  experts.forEach((w, e) => {
    const ge = g.o('Gather', [g2, g.intScalar(e)], { axis: 1 }); // [N]
    const rows = g.o('NonZero', [g.o('Not', [g.o('Equal', [ge, g.scalar(0)])])]); // [1, n]
    const idx = g.o('Squeeze', [rows, g.ints([0])]); // [n]
    const at = g.o('Unsqueeze', [idx, g.ints([1])]); // [n, 1]: ScatterND indices
    const xe = g.o('Gather', [x2, idx], { axis: 0 }); // [n, D]
    const swiglu = () => {
      const h1 = g.o('MatMul', [xe, w.gate]);
      return g.o('MatMul', [g.o('Mul', [g.o('Mul', [h1, g.o('Sigmoid', [h1])]), g.o('MatMul', [xe, w.up])]), w.down]);
    };
    const ye = ffn ? ffn(g, xe, e) : swiglu(); // [n, D]
    const weighted = g.o('Mul', [ye, g.o('Unsqueeze', [g.o('Gather', [ge, idx], { axis: 0 }), g.ints([1])])]);
    // A token may visit several experts: add to what earlier experts wrote at its row.
    acc = g.o('ScatterND', [acc, at, g.o('Add', [g.o('Gather', [acc, idx], { axis: 0 }), weighted])]);
    const ne = g.o('Sqrt', [g.o('ReduceSumSquare', [ye], { axes: [1], keepdims: 0 })]); // [n]
    const cell = g.o('Concat', [at, g.o('Add', [g.o('Mul', [at, g.ints([0])]), g.ints([e])])], { axis: 1 }); // [n, 2] = (row, e)
    norms = g.o('ScatterND', [norms, cell, ne]);
  });
  const shapeBT = g.o('Slice', [g.o('Shape', [x]), g.ints([0]), g.ints([2]), g.ints([0])]);
  return {
    out: g.o('Reshape', [acc, g.o('Shape', [x])]),
    norms: g.o('Reshape', [norms, g.o('Concat', [shapeBT, g.ints([E])], { axis: 0 })]),
  };
}

/** Expert e's [D × I] block of a side-by-side [D × E·I] matrix (columns e·I … e·I + I − 1). */
export function expertColumns(w: Float32Array, e: number, E: number, I: number, D: number): Float32Array {
  const out = new Float32Array(D * I);
  for (let d = 0; d < D; d++) out.set(w.subarray(d * E * I + e * I, d * E * I + (e + 1) * I), d * I);
  return out;
}

/** The inverse of expertColumns over all experts: [D × I] blocks → [D × E·I]. */
export function sideBySide(blocks: Float32Array[], I: number, D: number): Float32Array {
  const E = blocks.length;
  const out = new Float32Array(D * E * I);
  blocks.forEach((b, e) => {
    for (let d = 0; d < D; d++) out.set(b.subarray(d * I, (d + 1) * I), d * E * I + e * I);
  });
  return out;
}

/**
 * Registers each expert's matrices as its own weight (`<prefix>_w1_e<e>` …), so quantised
 * dtypes quantise them one by one and routedExperts can multiply by them directly.
 * `w1`/`w3` are [D × E·I] side by side, `w2` is [E × I × D].
 */
export function expertWeights(g: GraphBuilder, prefix: string, ex: { w1: Float32Array; w3: Float32Array; w2: Float32Array }, E: number, I: number, D: number): ExpertMatrices[] {
  return Array.from({ length: E }, (_, e) => ({
    gate: g.weight(`${prefix}_w1_e${e}`, expertColumns(ex.w1, e, E, I, D), [D, I]),
    up: g.weight(`${prefix}_w3_e${e}`, expertColumns(ex.w3, e, E, I, D), [D, I]),
    down: g.weight(`${prefix}_w2_e${e}`, ex.w2.slice(e * I * D, (e + 1) * I * D), [I, D]),
  }));
}
