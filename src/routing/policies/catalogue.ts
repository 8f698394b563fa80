// The router catalogue (DESIGN.md §4): every policy with its parameters, defaults, bounds, a
// one-line rule and its source, so the CLI parser and the UI's controls come from one table.
export interface ParamSpec {
  name: string;
  default: number;
  min: number;
  max: number;
  integer?: boolean;
  /** true when min itself is excluded */
  exclusiveMin?: boolean;
  help: string;
}

export interface PolicyInfo {
  name: string;
  params: ParamSpec[];
  rule: string;
  source: string;
  causal: boolean;
}

const k = (def = 2): ParamSpec => ({ name: 'k', default: def, min: 1, max: 64, integer: true, help: 'experts per token' });
const seed: ParamSpec = { name: 'seed', default: 0, min: 0, max: 2 ** 31, integer: true, help: 'random seed' };

export const POLICY_CATALOGUE: PolicyInfo[] = [
  { name: 'native', params: [], rule: "exactly the model's own router, as its manifest describes", source: 'Mixtral, Qwen-MoE, OLMoE, Granite, PhiMoE, DeepSeek-V3', causal: true },
  { name: 'topk', params: [k(), { name: 'renorm', default: 1, min: 0, max: 1, integer: true, help: '1: renormalise the k gates to sum 1' }], rule: 'p = softmax(z); the k most likely experts; gates renormalised (toggle)', source: 'Switch Transformer; Mixtral', causal: true },
  { name: 'capacity', params: [k(1), { name: 'cf', default: 1, min: 0, max: 16, exclusiveMin: true, help: 'capacity factor' }], rule: 'top-k, then at most C = ceil(cf·T·k/E) tokens per expert in token order; overflow dropped (residual only)', source: 'Switch Transformer; DeepSpeed-MoE', causal: true },
  { name: 'expert-choice', params: [{ name: 'c', default: 1, min: 0, max: 16, exclusiveMin: true, help: 'capacity factor: each expert takes round(c·T/E) tokens' }], rule: 'each expert picks its top round(c·T/E) tokens by p; non-causal', source: 'Zhou et al. 2022, Mixture-of-Experts with Expert Choice Routing', causal: false },
  { name: 'topp', params: [{ name: 'p', default: 0.4, min: 0, max: 1, exclusiveMin: true, help: 'probability mass to exceed' }], rule: 'smallest set of experts whose probability mass exceeds p; raw probabilities as gates', source: 'Huang et al. 2024, Harder Tasks Need More Experts: Dynamic Routing in MoE Models', causal: true },
  { name: 'null', params: [{ name: 'm', default: 8, min: 1, max: 64, integer: true, help: 'null experts' }, k(4), { name: 'offset', default: 0, min: -20, max: 20, help: 'null logit = mean(z) + offset' }], rule: 'm zero-output null experts join the top-k; gates renormalised over the true experts; a token may use none', source: 'Zeng et al. 2024, AdaMoE', causal: true },
  { name: 'kmeans', params: [k(), { name: 'tau', default: 10, min: 0, max: 1000, exclusiveMin: true, help: 'cosine temperature of the gates' }], rule: 'top-k by cos(h, μ_e); centroids μ_e start at the router rows and follow the running mean of their tokens', source: 'Routers Learn the Geometry of Their Experts (k-means routing)', causal: true },
  { name: 'cosine', params: [k(), { name: 'tau', default: 10, min: 0, max: 1000, exclusiveMin: true, help: 'temperature τ' }], rule: 'p = softmax(τ·cos(h, a_e)) with anchors a_e = router rows; top-k', source: 'Chi et al. 2022 (X-MoE); Equifinality', causal: true },
  { name: 'hash', params: [], rule: 'e = hash(token id) mod E, gate 1', source: 'Roller et al. 2021, Hash Layers', causal: true },
  { name: 'random', params: [k(), seed], rule: 'a fixed random token-id → expert table from the seed; uniform gates', source: 'THOR; SMoE-Dropout; Equifinality', causal: true },
  { name: 'balance-bias', params: [k(), { name: 'u', default: 0.001, min: 0, max: 10, help: 'bias update rate' }, { name: 'block', default: 16, min: 1, max: 4096, integer: true, help: 'tokens per bias update' }], rule: 'select TopK(z + b), gate with the unbiased scores; after each block b_e += u·sign(mean load − load_e)', source: 'Wang et al. 2024, Loss-Free Balancing; DeepSeek-V3', causal: true },
  { name: 'sample', params: [k(), { name: 'T', default: 1, min: 0, max: 100, exclusiveMin: true, help: 'sampling temperature' }, seed], rule: 'Gumbel top-k sampling of z/T; gates = renormalised softmax of the chosen', source: 'MoE-GRPO (exploration by sampled routing)', causal: true },
  { name: 'tsallis', params: [k(), { name: 'q', default: 2, min: 0, max: 10, exclusiveMin: true, help: 'Tsallis entropic index' }, { name: 'threshold', default: 0.9, min: 0, max: 1, help: 'dense when S_q(p) > threshold × its maximum' }], rule: 'dense soft routing when the Tsallis entropy of p is high, top-k otherwise', source: 'DynMoLE (Tsallis-entropy hybrid routing)', causal: true },
  { name: 'dense', params: [], rule: 'every expert with gate p (soft MoE upper bound)', source: 'dense soft mixture', causal: true },
];

export const POLICY_NAMES = POLICY_CATALOGUE.map((p) => p.name);
