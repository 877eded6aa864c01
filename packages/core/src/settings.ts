import { StorageError } from './errors.ts';

/** Zulip's default `MAX_FILE_UPLOAD_SIZE`, in MiB. */
export const DEFAULT_MAX_FILE_UPLOAD_MIB = 100;

export type S3AddressingStyle = 'auto' | 'virtual' | 'path';

/** The S3 storage classes PutObject accepts. */
export const S3_STORAGE_CLASSES = [
  'STANDARD',
  'REDUCED_REDUNDANCY',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'GLACIER',
  'DEEP_ARCHIVE',
  'OUTPOSTS',
  'GLACIER_IR',
  'SNOW',
  'EXPRESS_ONEZONE',
] as const;
export type S3StorageClass = (typeof S3_STORAGE_CLASSES)[number];

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface S3Settings {
  /** Private bucket for message attachments (`S3_AUTH_UPLOADS_BUCKET`). */
  readonly uploadsBucket: string;
  /** Public bucket for avatars, realm icons and logos, emoji (`S3_AVATAR_BUCKET`). */
  readonly avatarsBucket: string;
  /** `S3_ENDPOINT_URL`: set for any S3-compatible service; absent means AWS. */
  readonly endpointUrl: string | undefined;
  readonly region: string | undefined;
  readonly addressingStyle: S3AddressingStyle;
  /** `S3_SKIP_CHECKSUM`: send only the checksums an operation requires (for S3-compatible services). */
  readonly skipChecksum: boolean;
  /**
   * `S3_KEEPS_INTERRUPTED_UPLOADS`: the server stores what an interrupted PutObject carried, as s3rver does (S3
   * stores nothing). Streamed uploads then go up as a multipart upload of one part, completed only when whole.
   */
  readonly keepsInterruptedUploads?: boolean | undefined;
  readonly uploadsStorageClass: S3StorageClass | undefined;
  readonly avatarPublicUrlPrefix: string | undefined;
  /** `S3_KEY` and `S3_SECRET_KEY`; absent means the SDK's default credential chain (instance role). */
  readonly credentials: S3Credentials | undefined;
}

interface CommonSettings {
  /** `MAX_FILE_UPLOAD_SIZE` in bytes (the variable is in MiB, as in Zulip). */
  readonly maxFileUploadBytes: number;
}

export interface LocalStorageSettings extends CommonSettings {
  readonly backend: 'local';
  /** `LOCAL_UPLOADS_DIR`: holds `files/` (uploads) and `avatars/`. */
  readonly localUploadsDir: string;
}

export interface S3StorageSettings extends CommonSettings {
  readonly backend: 's3';
  readonly s3: S3Settings;
}

export type StorageSettings = LocalStorageSettings | S3StorageSettings;

export type Environment = Readonly<Record<string, string | undefined>>;

function invalid(variable: string, problem: string): StorageError {
  return new StorageError('InvalidSettings', `${variable} ${problem}`);
}

/** The variable's value with surrounding white space removed; unset and blank are both `undefined`. */
function read(env: Environment, variable: string): string | undefined {
  const value = env[variable]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

export function parseBoolean(variable: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  const lower = value.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(lower)) return true;
  if (['0', 'false', 'no', 'off'].includes(lower)) return false;
  throw invalid(variable, `must be true or false (or 1/0, yes/no, on/off), not ${JSON.stringify(value)}`);
}

export function parsePositiveInteger(variable: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/u.test(value) || Number(value) === 0 || !Number.isSafeInteger(Number(value))) {
    throw invalid(variable, `must be a positive whole number, not ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/** S3's bucket naming rules (general purpose buckets). */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'must be 3 to 63 characters long';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/u.test(name)) {
    return 'may hold only lower-case letters, digits, dots and hyphens, and must start and end with a letter or digit';
  }
  if (name.includes('..')) return 'must not contain two adjacent dots';
  if (/^\d+\.\d+\.\d+\.\d+$/u.test(name)) return 'must not look like an IP address';
  return undefined;
}

function bucket(env: Environment, variable: string): string {
  const name = read(env, variable);
  if (name === undefined) throw invalid(variable, 'must be set when LOCAL_UPLOADS_DIR is not (S3 storage)');
  const problem = bucketNameProblem(name);
  if (problem !== undefined)
    throw invalid(variable, `${JSON.stringify(name)} is not a valid bucket name: it ${problem}`);
  return name;
}

function httpUrl(variable: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch (cause) {
    throw new StorageError('InvalidSettings', `${variable} is not a URL: ${JSON.stringify(value)}`, { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(variable, `must be an http or https URL, not ${JSON.stringify(value)}`);
  }
  if (url.username !== '' || url.password !== '') throw invalid(variable, 'must not contain credentials');
  return value;
}

function oneOf<T extends string>(variable: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  const match = allowed.find((candidate) => candidate === value);
  if (match === undefined)
    throw invalid(variable, `must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`);
  return match;
}

const S3_ONLY_VARIABLES = [
  'S3_AUTH_UPLOADS_BUCKET',
  'S3_AVATAR_BUCKET',
  'S3_ENDPOINT_URL',
  'S3_REGION',
  'S3_ADDRESSING_STYLE',
  'S3_SKIP_CHECKSUM',
  'S3_KEEPS_INTERRUPTED_UPLOADS',
  'S3_UPLOADS_STORAGE_CLASS',
  'S3_AVATAR_PUBLIC_URL_PREFIX',
  'S3_KEY',
  'S3_SECRET_KEY',
] as const;

/**
 * Reads Zulip's upload settings from an environment: local storage when `LOCAL_UPLOADS_DIR` is set, else S3.
 * Every invalid or contradictory value throws `InvalidSettings` naming the variable and the problem.
 */
export function parseStorageSettings(env: Environment): StorageSettings {
  const maxFileUploadBytes =
    parsePositiveInteger('MAX_FILE_UPLOAD_SIZE', read(env, 'MAX_FILE_UPLOAD_SIZE'), DEFAULT_MAX_FILE_UPLOAD_MIB) *
    1024 *
    1024;
  // A byte count past 2^53 is no longer exact, so size comparisons against it would silently be wrong.
  if (!Number.isSafeInteger(maxFileUploadBytes)) {
    throw invalid(
      'MAX_FILE_UPLOAD_SIZE',
      `is too large: at most ${Math.floor(Number.MAX_SAFE_INTEGER / (1024 * 1024))} (MiB)`,
    );
  }
  const localUploadsDir = read(env, 'LOCAL_UPLOADS_DIR');
  if (localUploadsDir !== undefined) {
    const conflicting = S3_ONLY_VARIABLES.filter((variable) => read(env, variable) !== undefined);
    if (conflicting.length > 0) {
      throw invalid(
        'LOCAL_UPLOADS_DIR',
        `selects local storage, but S3 settings are set too (${conflicting.join(', ')}): unset one or the other`,
      );
    }
    if (localUploadsDir.includes('\0')) throw invalid('LOCAL_UPLOADS_DIR', 'must not contain a NUL character');
    return { backend: 'local', localUploadsDir, maxFileUploadBytes };
  }

  const uploadsBucket = bucket(env, 'S3_AUTH_UPLOADS_BUCKET');
  const avatarsBucket = bucket(env, 'S3_AVATAR_BUCKET');
  if (uploadsBucket === avatarsBucket) {
    throw invalid(
      'S3_AVATAR_BUCKET',
      `must differ from S3_AUTH_UPLOADS_BUCKET (both are ${JSON.stringify(uploadsBucket)}): avatars are public, uploads private`,
    );
  }
  const accessKeyId = read(env, 'S3_KEY');
  const secretAccessKey = read(env, 'S3_SECRET_KEY');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw invalid(
      accessKeyId === undefined ? 'S3_KEY' : 'S3_SECRET_KEY',
      'must be set together with its pair (or neither, to use the default credential chain)',
    );
  }
  const region = read(env, 'S3_REGION');
  if (region !== undefined && !/^[a-z0-9-]+$/u.test(region)) {
    throw invalid('S3_REGION', `must look like "us-east-1", not ${JSON.stringify(region)}`);
  }
  return {
    backend: 's3',
    maxFileUploadBytes,
    s3: {
      uploadsBucket,
      avatarsBucket,
      endpointUrl: httpUrl('S3_ENDPOINT_URL', read(env, 'S3_ENDPOINT_URL')),
      region,
      addressingStyle:
        oneOf('S3_ADDRESSING_STYLE', read(env, 'S3_ADDRESSING_STYLE'), ['auto', 'virtual', 'path']) ?? 'auto',
      skipChecksum: parseBoolean('S3_SKIP_CHECKSUM', read(env, 'S3_SKIP_CHECKSUM'), false),
      keepsInterruptedUploads: parseBoolean(
        'S3_KEEPS_INTERRUPTED_UPLOADS',
        read(env, 'S3_KEEPS_INTERRUPTED_UPLOADS'),
        false,
      ),
      uploadsStorageClass: oneOf('S3_UPLOADS_STORAGE_CLASS', read(env, 'S3_UPLOADS_STORAGE_CLASS'), S3_STORAGE_CLASSES),
      avatarPublicUrlPrefix: httpUrl('S3_AVATAR_PUBLIC_URL_PREFIX', read(env, 'S3_AVATAR_PUBLIC_URL_PREFIX')),
      credentials:
        accessKeyId !== undefined && secretAccessKey !== undefined ? { accessKeyId, secretAccessKey } : undefined,
    },
  };
}
