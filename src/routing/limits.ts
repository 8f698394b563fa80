// Sizes beyond which input is refused as absurd rather than attempted (DESIGN.md §9): each is far
// above any real model or capture (DeepSeek-V3: 61 layers, 256 experts, a 129 280-token vocabulary,
// hidden size 7 168) and low enough that a claim of that size cannot hang or exhaust memory.
export const LIMITS = {
  /** layers of a model, a trace or a capture's config */
  layers: 1024,
  /** experts per layer (physical slots of an SGLang map included) */
  experts: 65536,
  /** tokenizer vocabulary and manifest vocabSize */
  vocab: 1 << 24,
  /** hidden size, head dims */
  hidden: 1 << 17,
  /** attention heads */
  heads: 4096,
  /** maxContext of a bundle */
  context: 1 << 24,
} as const;

/** The largest of many numbers, without spreading them into arguments (which overflows the stack). */
export function maxOf(xs: Iterable<number>, init = -Infinity): number {
  let m = init;
  for (const x of xs) if (x > m) m = x;
  return m;
}
