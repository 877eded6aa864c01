export { FaultInjectingStore, unavailable } from './fault-injecting-store.ts';
export type { Fault, FaultCall, FaultOperation, FaultPlan } from './fault-injecting-store.ts';
