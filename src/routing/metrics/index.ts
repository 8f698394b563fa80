// Public API of the analysis maths.
export * from './load';
export * from './coactivation';
export * from './alignment';
export * from './trace';
export * from './consistency';
export * from './cache';
export * from './parallel';
export * from './stability';
export * from './coupling';
export * from './analyze';
export * from './attribution';
