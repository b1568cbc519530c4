export * from './recording-chain.js';
export * from './bearer-secrets.js';
export * from './vectors.js';
export * from './ssh-public-key.js';
export * from './ssh-key-proof.js';
