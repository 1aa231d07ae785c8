/** The replicated MVCC state machine: see docs/kv.md. */
export * from './bytes.js';
export * from './codec.js';
export * from './commands.js';
export * from './errors.js';
export { KvLimits } from './limits.js';
export { type KvStats, KvStore } from './store.js';
export * from './types.js';
export { validateCommand, validateDeleteRange, validatePut, validateRange, validateTxn } from './validate.js';
export { type WatchBatch, WatchCancelReasons, WatchHub, type WatchRequest } from './watch-hub.js';
