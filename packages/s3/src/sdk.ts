import { createRequire } from 'node:module';
import type * as ClientS3 from '@aws-sdk/client-s3';
import type * as LibStorage from '@aws-sdk/lib-storage';
import type * as Presigner from '@aws-sdk/s3-request-presigner';
import type * as SmithyProtocols from '@smithy/core/protocols';
import type * as SmithyRetry from '@smithy/core/retry';

/*
 * The AWS SDK's packages are CommonJS. Imported as ES modules, each one is first scanned for its export names,
 * which here costs a process about 0.2 s of CPU and 7 MiB before its first request (an operator's CLI run pays it
 * every time); required, they load as they are. Each loads on first use: a store on its lean requests (see
 * `leanRequestsFromSettings`) never needs the client package, which costs 0.16 s of CPU and 20 MiB to load.
 */
const require = createRequire(import.meta.url);

let clientS3Module: typeof ClientS3 | undefined;
let smithyProtocolsModule: typeof SmithyProtocols | undefined;

/** `@aws-sdk/client-s3`, loaded when first asked for. */
export function clientS3(): typeof ClientS3 {
  clientS3Module ??= require('@aws-sdk/client-s3') as typeof ClientS3;
  return clientS3Module;
}

/** `@smithy/core/protocols`, loaded when first asked for. */
export function smithyProtocols(): typeof SmithyProtocols {
  smithyProtocolsModule ??= require('@smithy/core/protocols') as typeof SmithyProtocols;
  return smithyProtocolsModule;
}

/** `@smithy/core/retry` (52 ms of CPU and 10 MiB to load here), loaded when first asked for: at the first failure. */
export function smithyRetry(): typeof SmithyRetry {
  return require('@smithy/core/retry') as typeof SmithyRetry;
}

/** Whether `@aws-sdk/client-s3` has been loaded by this module. */
export function clientS3Loaded(): boolean {
  return clientS3Module !== undefined;
}

/** `@aws-sdk/lib-storage`, loaded when first asked for. */
export function libStorage(): typeof LibStorage {
  return require('@aws-sdk/lib-storage') as typeof LibStorage;
}

/** `@aws-sdk/s3-request-presigner`, loaded when first asked for. */
export function presigner(): typeof Presigner {
  return require('@aws-sdk/s3-request-presigner') as typeof Presigner;
}
