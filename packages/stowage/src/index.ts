export { LOCAL_NAMESPACE_DIRECTORIES, openStores } from './open-stores.ts';
export type { Namespace, OpenStoresOptions, Stores } from './open-stores.ts';
export { parseEnvFile, readEnvFile } from './env-file.ts';
export { checkDeployment } from './deployment-checks.ts';
export type { CheckResult } from './deployment-checks.ts';
