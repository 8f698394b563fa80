// Public API of the pure routing core.
export * from './types';
export { InputError, readJson, checkJsonDepth, MAX_JSON_DEPTH, MAX_JSON_BYTES } from './safeJson';
export { createRng, mixSeed, type Rng } from './rng';
export { softmaxRows, softmaxRow, topkRow } from './softmax';
export { SpecError, parseIntervention, checkInterventionFits, MAX_SPEC_LENGTH, formatIntervention, layerInRange, interventionsAt, INTERVENTION_KINDS, INTERVENTION_PARAMS } from './spec';
export { applyLogitInterventions, foldSlots, denseGates, type IntervenedLogits } from './interventions';
export { POLICY_CATALOGUE, POLICY_NAMES, type PolicyInfo, type ParamSpec } from './policies/catalogue';
export { createPolicy, parsePolicySpec, type PolicyContext } from './policies/create';
export { tsallisEntropy } from './policies/basic';
export { hash32 } from './policies/static';
