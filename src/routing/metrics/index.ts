// Public API of the analysis maths.
export * from './load';
export * from './coactivation';
export * from './alignment';
