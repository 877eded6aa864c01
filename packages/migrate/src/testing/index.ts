export { FaultInjectingStore, unavailable } from './fault-injecting-store.ts';
export type { FaultPlan } from './fault-injecting-store.ts';
