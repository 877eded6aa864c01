import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { S3Settings } from '@stowage/core';
import { addS3CompatibleGuard, checksumConfig } from './checksum-profile.ts';
import type { S3ChecksumProfile } from './checksum-profile.ts';

/** Knobs of a client built from settings; the defaults suit both AWS and a server on the local network. */
export interface S3ClientOptions {
  /** Checksum profile; defaults to `s3ChecksumProfile(settings)`. */
  readonly checksumProfile?: S3ChecksumProfile | undefined;
  /** Time allowed to open a TCP connection; defaults to 3 s, so an unreachable endpoint fails fast. */
  readonly connectionTimeoutMs?: number | undefined;
  /** Time a connection may go without any byte moving before the request fails; defaults to 20 s. */
  readonly socketTimeoutMs?: number | undefined;
  /** Concurrent connections to the endpoint; defaults to 50. */
  readonly maxSockets?: number | undefined;
}

const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_CONNECTION_TIMEOUT_MS = 3_000;
export const DEFAULT_SOCKET_TIMEOUT_MS = 20_000;
export const DEFAULT_MAX_SOCKETS = 50;

/** The region the settings name, or `us-east-1` (which S3-compatible servers accept in signatures). */
export function s3Region(settings: Pick<S3Settings, 'region'>): string {
  return settings.region ?? DEFAULT_REGION;
}

/**
 * Whether requests address the bucket in the path. `auto` means virtual-hosted on AWS (path style is deprecated
 * there) and path style on any other endpoint, since their host names rarely resolve per bucket.
 */
export function usesPathStyle(settings: Pick<S3Settings, 'addressingStyle' | 'endpointUrl'>): boolean {
  if (settings.addressingStyle === 'path') return true;
  if (settings.addressingStyle === 'virtual') return false;
  return settings.endpointUrl !== undefined;
}

/**
 * `aws` for AWS itself (no endpoint URL) unless `S3_SKIP_CHECKSUM` is set; `s3-compatible` for any other endpoint
 * or when checksums are to be skipped, as Zulip's `S3_SKIP_CHECKSUM` intends.
 */
export function s3ChecksumProfile(settings: Pick<S3Settings, 'endpointUrl' | 'skipChecksum'>): S3ChecksumProfile {
  return settings.endpointUrl === undefined && !settings.skipChecksum ? 'aws' : 's3-compatible';
}

/** The endpoint requests go to, for messages and public URLs. */
export function s3EndpointUrl(settings: Pick<S3Settings, 'endpointUrl' | 'region'>): string {
  return settings.endpointUrl ?? `https://s3.${s3Region(settings)}.amazonaws.com`;
}

/**
 * An `S3Client` for the settings: endpoint, region, addressing style, the checksum profile, static credentials or
 * the SDK's default chain (environment, profile, instance role), a keep-alive
 * connection pool, and timeouts so a dead endpoint fails within seconds and a silent one within `socketTimeoutMs`. `maxAttempts` is 1 because `S3Store` runs the SDK's retry strategy itself around each request.
 */
export function createS3Client(settings: S3Settings, options: S3ClientOptions = {}): S3Client {
  const profile = options.checksumProfile ?? s3ChecksumProfile(settings);
  const maxSockets = options.maxSockets ?? DEFAULT_MAX_SOCKETS;
  const client = new S3Client({
    region: s3Region(settings),
    ...(settings.endpointUrl === undefined ? {} : { endpoint: settings.endpointUrl }),
    forcePathStyle: usesPathStyle(settings),
    ...(settings.credentials === undefined ? {} : { credentials: { ...settings.credentials } }),
    ...checksumConfig(profile),
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
      socketTimeout: options.socketTimeoutMs ?? DEFAULT_SOCKET_TIMEOUT_MS,
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
    }),
  });
  if (profile === 's3-compatible') addS3CompatibleGuard(client);
  return client;
}
