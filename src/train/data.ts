// The tasks, drawn fresh every step from the seeded RNG (an endless data set, so a seed replays
// the same batches): points in [-1, 1]² with a class each, and the sequence task `languages`:
// next-token prediction in a mixture of synthetic languages, each with its own alphabet and
// bigram statistics (the input is the current token, one-hot).
import { createRng, type Rng } from '../routing/rng';
import type { Task } from './config';

/** A batch: x [T × d] row-major (d = TASK_DIMS[task]), y [T] class ids. */
export interface Batch {
  x: Float64Array;
  y: Int32Array;
}

/** The synthetic languages: their names and alphabets (disjoint; the vocabulary is their concatenation). */
export const LANGUAGES: { name: string; letters: string[] }[] = [
  { name: 'Latin', letters: [...'abcdefgh'] },
  { name: 'Greek', letters: [...'αβγδεζηθ'] },
  { name: 'Cyrillic', letters: [...'бгджзлпф'] },
];
export const LETTERS = LANGUAGES[0].letters.length;
export const VOCAB = LANGUAGES.length * LETTERS;
/** Input width of the sequence task: the token one-hot, then its alphabet's one-hot. */
export const TOKEN_DIM = VOCAB + LANGUAGES.length;

/**
 * Each language's bigram table [LETTERS × LETTERS]: row a is P(next | a), peaked (weights
 * exp(2·N(0,1))). Fixed (seed 7 for every run): the languages are the task, the run's seed is not.
 */
export const BIGRAMS: Float64Array[] = (() => {
  const rng = createRng(7);
  return LANGUAGES.map(() => {
    const P = new Float64Array(LETTERS * LETTERS);
    for (let a = 0; a < LETTERS; a++) {
      let s = 0;
      for (let b = 0; b < LETTERS; b++) s += P[a * LETTERS + b] = Math.exp(2 * rng.normal());
      for (let b = 0; b < LETTERS; b++) P[a * LETTERS + b] /= s;
    }
    return P;
  });
})();

/** The loss floor of the sequence task: the mean entropy (nats) of the bigram rows. */
export const LANGUAGES_ENTROPY = (() => {
  let h = 0;
  for (const P of BIGRAMS) for (const p of P) if (p > 0) h -= p * Math.log(p);
  return h / (LANGUAGES.length * LETTERS);
})();

/** Input width of each task. */
export const TASK_DIMS: Record<Task, number> = {
  clusters: 2,
  spirals: 2,
  checkerboard: 2,
  xor: 2,
  languages: TOKEN_DIM,
};

/** Number of classes of each task. */
export const TASK_CLASSES: Record<Task, number> = {
  clusters: 4,
  spirals: 2,
  checkerboard: 2,
  xor: 2,
  languages: VOCAB,
};

const CLUSTER_CENTRES = [
  [-0.5, -0.5],
  [0.5, -0.5],
  [-0.5, 0.5],
  [0.5, 0.5],
];

/** One point of a task and its class. */
function samplePoint(task: Task, rng: Rng): [number, number, number] {
  switch (task) {
    case 'clusters': {
      const c = Math.floor(rng.next() * 4);
      const [cx, cy] = CLUSTER_CENTRES[c];
      return [cx + 0.18 * rng.normal(), cy + 0.18 * rng.normal(), c];
    }
    case 'spirals': {
      // Two interleaved arms, as in TensorFlow Playground, scaled into the unit square.
      const c = rng.next() < 0.5 ? 0 : 1;
      const r = rng.next();
      const t = 1.75 * r * 2 * Math.PI + c * Math.PI;
      return [
        0.9 * r * Math.sin(t) + 0.03 * rng.normal(),
        0.9 * r * Math.cos(t) + 0.03 * rng.normal(),
        c,
      ];
    }
    case 'checkerboard': {
      const x = 2 * rng.next() - 1;
      const y = 2 * rng.next() - 1;
      return [x, y, (Math.floor((x + 1) * 2) + Math.floor((y + 1) * 2)) % 2];
    }
    case 'xor': {
      const x = 2 * rng.next() - 1;
      const y = 2 * rng.next() - 1;
      return [x, y, x * y >= 0 ? 1 : 0];
    }
    case 'languages':
      throw new Error('samplePoint: "languages" is a sequence task, not points of the plane');
  }
}

/** A token of a random language (uniform), and the next token drawn from that language's bigrams. */
function sampleBigram(rng: Rng): [number, number] {
  const l = Math.floor(rng.next() * LANGUAGES.length);
  const a = Math.floor(rng.next() * LETTERS);
  const u = rng.next();
  let b = 0;
  for (
    let acc = BIGRAMS[l][a * LETTERS];
    acc <= u && b < LETTERS - 1;
    acc += BIGRAMS[l][a * LETTERS + ++b]
  );
  return [l * LETTERS + a, l * LETTERS + b];
}

/**
 * The inputs of tokens [n × TOKEN_DIM]: the token's one-hot followed by its alphabet's one-hot,
 * as a real embedding carries the script a token is written in. The shared alphabet feature is
 * what lets a router learn "this language → that expert" instead of one token at a time.
 */
export function oneHot(tokens: ArrayLike<number>): Float64Array {
  const x = new Float64Array(tokens.length * TOKEN_DIM);
  for (let t = 0; t < tokens.length; t++) {
    x[t * TOKEN_DIM + tokens[t]] = 1;
    x[t * TOKEN_DIM + VOCAB + Math.floor(tokens[t] / LETTERS)] = 1;
  }
  return x;
}

/**
 * A fixed sample text of the sequence task for the routing map: `words` words of `letters` letters
 * per language, the languages taking turns, each word a walk on its language's bigrams (seed 11).
 */
export function sampleText(words = 2, letters = 5): number[] {
  const rng = createRng(11);
  const out: number[] = [];
  for (let w = 0; w < words; w++)
    LANGUAGES.forEach((_, l) => {
      let a = Math.floor(rng.next() * LETTERS);
      for (let i = 0; i < letters; i++) {
        out.push(l * LETTERS + a);
        const u = rng.next();
        let b = 0;
        for (
          let acc = BIGRAMS[l][a * LETTERS];
          acc <= u && b < LETTERS - 1;
          acc += BIGRAMS[l][a * LETTERS + ++b]
        );
        a = b;
      }
    });
  return out;
}

/** A token's letter. */
export const letterOf = (v: number): string =>
  LANGUAGES[Math.floor(v / LETTERS)].letters[v % LETTERS];

export function sampleBatch(task: Task, T: number, rng: Rng): Batch {
  if (task === 'languages') {
    const cur = new Int32Array(T);
    const y = new Int32Array(T);
    for (let t = 0; t < T; t++) [cur[t], y[t]] = sampleBigram(rng);
    return { x: oneHot(cur), y };
  }
  const x = new Float64Array(T * 2);
  const y = new Int32Array(T);
  for (let t = 0; t < T; t++) {
    const [a, b, c] = samplePoint(task, rng);
    x[2 * t] = a;
    x[2 * t + 1] = b;
    y[t] = c;
  }
  return { x, y };
}

/** The centres of a G × G grid over [-1, 1]², row-major from the top-left (y = +1) corner: [G² × 2]. */
export function gridPoints(G: number): Float64Array {
  const x = new Float64Array(G * G * 2);
  for (let r = 0; r < G; r++)
    for (let c = 0; c < G; c++) {
      x[2 * (r * G + c)] = -1 + (2 * c + 1) / G;
      x[2 * (r * G + c) + 1] = 1 - (2 * r + 1) / G;
    }
  return x;
}
