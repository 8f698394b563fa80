// Optimisers over a list of parameter tensors: plain SGD and Adam (Kingma & Ba 2015, bias-corrected).
import type { Optimiser } from './config';

export interface Optimizer {
  /** one update of every tensor from its gradient (same order and lengths as at creation) */
  step(params: Float64Array[], grads: Float64Array[]): void;
}

export function createOptimizer(
  kind: Optimiser,
  lr: number,
  sizes: number[],
  b1 = 0.9,
  b2 = 0.999,
  eps = 1e-8,
): Optimizer {
  if (kind === 'sgd')
    return {
      step(params, grads) {
        params.forEach((p, j) => {
          const g = grads[j];
          for (let i = 0; i < p.length; i++) p[i] -= lr * g[i];
        });
      },
    };
  const m = sizes.map((n) => new Float64Array(n));
  const v = sizes.map((n) => new Float64Array(n));
  let t = 0;
  return {
    step(params, grads) {
      t++;
      const c1 = 1 - b1 ** t;
      const c2 = 1 - b2 ** t;
      params.forEach((p, j) => {
        const g = grads[j];
        const mj = m[j];
        const vj = v[j];
        for (let i = 0; i < p.length; i++) {
          mj[i] = b1 * mj[i] + (1 - b1) * g[i];
          vj[i] = b2 * vj[i] + (1 - b2) * g[i] * g[i];
          p[i] -= (lr * (mj[i] / c1)) / (Math.sqrt(vj[i] / c2) + eps);
        }
      });
    },
  };
}
