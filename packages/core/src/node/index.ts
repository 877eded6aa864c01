export { nodeSha256 } from './sha256.ts';
