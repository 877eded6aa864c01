export { nodeHashFactory, nodeSha256 } from './sha256.ts';
