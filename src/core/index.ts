export * from './clock.js';
export * from './errors.js';
export * from './ids.js';
export * from './limits.js';
export * from './random.js';
export * from './duration.js';
export * from './failpoints.js';
