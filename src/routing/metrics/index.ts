// Public API of the analysis maths (DESIGN.md §6): pure functions over plain arrays, no DOM/ORT.
export * from './trace';
export * from './routing';
export * from './load';
export * from './coactivation';
export * from './alignment';
export * from './attribution';
export * from './consistency';
export * from './cache';
export * from './parallel';
export * from './stability';
export * from './coupling';
export * from './analyze';
export * from './cacheStats';
export * from './corpus';
export * from './compare';
export * from './ablation';
