export * from './backoff.js';
export * from './envelope.js';
export * from './frame.js';
export * from './limits.js';
export * from './memory-transport.js';
export * from './peer-transport.js';
export * from './peer-url.js';
export * from './transport.js';
