export { describeObjectStore } from './describe-object-store.ts';
export type { ContractCapabilities } from './capabilities.ts';
