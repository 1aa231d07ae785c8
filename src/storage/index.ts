export * from './codec.js';
export * from './crc.js';
export * from './disk-storage.js';
export * from './errors.js';
export * from './limits.js';
export * from './snapshot-chunks.js';
export * from './tail-cache.js';
export * from './probe.js';
