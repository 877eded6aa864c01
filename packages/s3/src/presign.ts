import type { PutObjectCommand, PutObjectCommandInput, PutObjectCommandOutput } from '@aws-sdk/client-s3';
import type { BuildMiddleware } from '@smithy/types';

/** Request headers that carry a checksum of the body, or name its algorithm. */
function isChecksumHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith('x-amz-checksum-') || lower === 'x-amz-sdk-checksum-algorithm' || lower === 'content-md5';
}

/**
 * The command with every body checksum taken off its request before it is signed. Under the SDK's default checksum
 * setting, a presigned PutObject would carry the CRC32 of the empty body the URL was made with, which S3 then holds
 * the browser's upload to (and refuses): a presigned upload can carry no checksum of bytes it does not have.
 */
export function withoutChecksums(command: PutObjectCommand): PutObjectCommand {
  const strip: BuildMiddleware<PutObjectCommandInput, PutObjectCommandOutput> = (next) => (args) => {
    const request = args.request as { headers?: Record<string, string> };
    for (const name of Object.keys(request.headers ?? {})) {
      if (isChecksumHeader(name)) delete request.headers?.[name];
    }
    return next(args);
  };
  // Build step, low priority: after the checksum middleware (build, normal) has added its headers.
  command.middlewareStack.add(strip, { step: 'build', priority: 'low', name: 'stowageWithoutChecksums' });
  return command;
}
