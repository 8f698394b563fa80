// Vitest setup: jsdom has no canvas 2D context, and its getContext logs "not implemented" on
// every call. Answer null as a browser does when it has no context: every painter checks for it.
if (typeof HTMLCanvasElement !== 'undefined') HTMLCanvasElement.prototype.getContext = (() => null) as typeof HTMLCanvasElement.prototype.getContext;
