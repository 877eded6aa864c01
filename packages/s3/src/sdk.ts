import { createRequire } from 'node:module';
import type * as ClientS3 from '@aws-sdk/client-s3';
import type * as LibStorage from '@aws-sdk/lib-storage';
import type * as Presigner from '@aws-sdk/s3-request-presigner';
import type * as SmithyProtocols from '@smithy/core/protocols';
import type * as SmithyRetry from '@smithy/core/retry';

/*
 * The AWS SDK's packages are CommonJS. Imported as ES modules, each one is first scanned for its export names,
 * which here costs a process about 0.2 s of CPU and 7 MiB before its first request (an operator's CLI run pays it
 * every time); required, they load as they are. The upload and presigning helpers load on first use.
 */
const require = createRequire(import.meta.url);

export const clientS3 = require('@aws-sdk/client-s3') as typeof ClientS3;
export const smithyProtocols = require('@smithy/core/protocols') as typeof SmithyProtocols;
export const smithyRetry = require('@smithy/core/retry') as typeof SmithyRetry;

/** `@aws-sdk/lib-storage`, loaded when first asked for. */
export function libStorage(): typeof LibStorage {
  return require('@aws-sdk/lib-storage') as typeof LibStorage;
}

/** `@aws-sdk/s3-request-presigner`, loaded when first asked for. */
export function presigner(): typeof Presigner {
  return require('@aws-sdk/s3-request-presigner') as typeof Presigner;
}
