import { describe, expect, it } from 'vitest';
import { StorageError } from './errors.ts';
import type { Environment, S3StorageSettings } from './settings.ts';
import {
  DEFAULT_MAX_FILE_UPLOAD_MIB,
  S3_STORAGE_CLASSES,
  bucketNameProblem,
  parseBoolean,
  parsePositiveInteger,
  parseStorageSettings,
} from './settings.ts';

const MIB = 1024 * 1024;
const S3_BASE: Environment = { S3_AUTH_UPLOADS_BUCKET: 'chat-uploads', S3_AVATAR_BUCKET: 'chat-avatars' };

/** Parses, expecting InvalidSettings whose message starts with `variable`; returns the message. */
function invalidSettings(env: Environment, variable: string): string {
  let caught: unknown;
  try {
    parseStorageSettings(env);
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${variable} to be rejected`).toBeInstanceOf(StorageError);
  const error = caught as StorageError;
  expect(error.code).toBe('InvalidSettings');
  expect(error.message.startsWith(`${variable} `), error.message).toBe(true);
  return error.message;
}

function s3(env: Environment): S3StorageSettings {
  const settings = parseStorageSettings(env);
  if (settings.backend !== 's3') throw new Error('expected S3 settings');
  return settings;
}

describe('parseStorageSettings: local storage', () => {
  it('selects local storage when LOCAL_UPLOADS_DIR is set, with the 100 MiB default limit', () => {
    expect(parseStorageSettings({ LOCAL_UPLOADS_DIR: '/srv/stowage/uploads' })).toEqual({
      backend: 'local',
      localUploadsDir: '/srv/stowage/uploads',
      maxFileUploadBytes: 100 * MIB,
    });
    expect(DEFAULT_MAX_FILE_UPLOAD_MIB).toBe(100);
  });

  it('trims white space around values', () => {
    const settings = parseStorageSettings({ LOCAL_UPLOADS_DIR: '  uploads  ', MAX_FILE_UPLOAD_SIZE: ' 25 ' });
    expect(settings).toEqual({ backend: 'local', localUploadsDir: 'uploads', maxFileUploadBytes: 25 * MIB });
  });

  it('rejects a LOCAL_UPLOADS_DIR containing NUL', () => {
    expect(invalidSettings({ LOCAL_UPLOADS_DIR: 'up\u0000loads' }, 'LOCAL_UPLOADS_DIR')).toMatch(/NUL/u);
  });

  it.each([
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
  ])('rejects LOCAL_UPLOADS_DIR together with %s, naming both', (variable) => {
    const message = invalidSettings({ LOCAL_UPLOADS_DIR: 'uploads', [variable]: 'x' }, 'LOCAL_UPLOADS_DIR');
    expect(message).toContain(variable);
  });

  it('lists every conflicting S3 variable at once', () => {
    const message = invalidSettings({ LOCAL_UPLOADS_DIR: 'uploads', ...S3_BASE, S3_KEY: 'k' }, 'LOCAL_UPLOADS_DIR');
    expect(message).toContain('S3_AUTH_UPLOADS_BUCKET, S3_AVATAR_BUCKET, S3_KEY');
  });

  it('ignores blank S3 variables beside LOCAL_UPLOADS_DIR (blank means unset)', () => {
    expect(parseStorageSettings({ LOCAL_UPLOADS_DIR: 'uploads', S3_KEY: '', S3_REGION: '   ' }).backend).toBe('local');
  });
});

describe('parseStorageSettings: MAX_FILE_UPLOAD_SIZE', () => {
  it('reads MiB as in Zulip', () => {
    expect(parseStorageSettings({ LOCAL_UPLOADS_DIR: 'u', MAX_FILE_UPLOAD_SIZE: '1' }).maxFileUploadBytes).toBe(MIB);
    expect(parseStorageSettings({ ...S3_BASE, MAX_FILE_UPLOAD_SIZE: '2048' }).maxFileUploadBytes).toBe(2048 * MIB);
  });

  it.each(['0', '-1', '1.5', '1e3', 'abc', '10MB', '0x10', '9007199254740993', '8796093022208'])(
    'rejects %j',
    (value) => {
      invalidSettings({ LOCAL_UPLOADS_DIR: 'u', MAX_FILE_UPLOAD_SIZE: value }, 'MAX_FILE_UPLOAD_SIZE');
    },
  );

  it('accepts the largest size whose byte count is still exact', () => {
    const largest = Math.floor(Number.MAX_SAFE_INTEGER / MIB);
    const settings = parseStorageSettings({ LOCAL_UPLOADS_DIR: 'u', MAX_FILE_UPLOAD_SIZE: String(largest) });
    expect(Number.isSafeInteger(settings.maxFileUploadBytes)).toBe(true);
  });
});

describe('parseStorageSettings: S3 storage', () => {
  it('selects S3 when LOCAL_UPLOADS_DIR is unset or blank, with defaults for everything optional', () => {
    const expected: S3StorageSettings = {
      backend: 's3',
      maxFileUploadBytes: 100 * MIB,
      s3: {
        uploadsBucket: 'chat-uploads',
        avatarsBucket: 'chat-avatars',
        endpointUrl: undefined,
        region: undefined,
        addressingStyle: 'auto',
        skipChecksum: false,
        keepsInterruptedUploads: false,
        uploadsStorageClass: undefined,
        avatarPublicUrlPrefix: undefined,
        credentials: undefined,
      },
    };
    expect(parseStorageSettings(S3_BASE)).toEqual(expected);
    expect(parseStorageSettings({ ...S3_BASE, LOCAL_UPLOADS_DIR: '  ' })).toEqual(expected);
  });

  it('reads every S3 variable', () => {
    const settings = s3({
      ...S3_BASE,
      S3_ENDPOINT_URL: 'http://127.0.0.1:9000',
      S3_REGION: 'eu-west-3',
      S3_ADDRESSING_STYLE: 'path',
      S3_SKIP_CHECKSUM: 'true',
      S3_KEEPS_INTERRUPTED_UPLOADS: 'yes',
      S3_UPLOADS_STORAGE_CLASS: 'STANDARD_IA',
      S3_AVATAR_PUBLIC_URL_PREFIX: 'https://cdn.example.com/avatars/',
      S3_KEY: 'AKIDEXAMPLE',
      S3_SECRET_KEY: 'secret',
    });
    expect(settings.s3).toEqual({
      uploadsBucket: 'chat-uploads',
      avatarsBucket: 'chat-avatars',
      endpointUrl: 'http://127.0.0.1:9000',
      region: 'eu-west-3',
      addressingStyle: 'path',
      skipChecksum: true,
      keepsInterruptedUploads: true,
      uploadsStorageClass: 'STANDARD_IA',
      avatarPublicUrlPrefix: 'https://cdn.example.com/avatars/',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    });
  });

  it('requires both buckets, naming the missing one', () => {
    expect(invalidSettings({}, 'S3_AUTH_UPLOADS_BUCKET')).toMatch(/must be set when LOCAL_UPLOADS_DIR is not/u);
    invalidSettings({ S3_AUTH_UPLOADS_BUCKET: 'chat-uploads' }, 'S3_AVATAR_BUCKET');
    invalidSettings({ S3_AVATAR_BUCKET: 'chat-avatars' }, 'S3_AUTH_UPLOADS_BUCKET');
    invalidSettings({ ...S3_BASE, S3_AVATAR_BUCKET: ' ' }, 'S3_AVATAR_BUCKET');
  });

  it.each([
    'ab',
    'a'.repeat(64),
    'Chat-Uploads',
    'chat_uploads',
    '-chat',
    'chat-',
    '.chat',
    'chat..uploads',
    '192.168.1.1',
    'chat uploads',
  ])('rejects the bucket name %j in either variable', (name) => {
    invalidSettings({ ...S3_BASE, S3_AUTH_UPLOADS_BUCKET: name }, 'S3_AUTH_UPLOADS_BUCKET');
    invalidSettings({ ...S3_BASE, S3_AVATAR_BUCKET: name }, 'S3_AVATAR_BUCKET');
  });

  it('rejects one bucket for both uses: avatars are public, uploads private', () => {
    expect(
      invalidSettings({ S3_AUTH_UPLOADS_BUCKET: 'same-bucket', S3_AVATAR_BUCKET: 'same-bucket' }, 'S3_AVATAR_BUCKET'),
    ).toMatch(/must differ from S3_AUTH_UPLOADS_BUCKET/u);
  });

  it('requires S3_KEY and S3_SECRET_KEY together, naming the missing one', () => {
    invalidSettings({ ...S3_BASE, S3_KEY: 'AKIDEXAMPLE' }, 'S3_SECRET_KEY');
    invalidSettings({ ...S3_BASE, S3_SECRET_KEY: 'secret' }, 'S3_KEY');
  });

  it.each(['US-EAST-1', 'us east 1', 'us_east_1', 'eu-west-3/'])('rejects the region %j', (region) => {
    invalidSettings({ ...S3_BASE, S3_REGION: region }, 'S3_REGION');
  });

  it.each([
    ['no scheme (not a URL)', '127.0.0.1:9000', /is not a URL/u],
    ['a scheme other than http(s)', 'ftp://127.0.0.1:9000', /http or https/u],
    ['credentials in the URL', 'http://user:pass@127.0.0.1:9000', /credentials/u],
  ])('rejects an S3_ENDPOINT_URL with %s', (_why, url, message) => {
    expect(invalidSettings({ ...S3_BASE, S3_ENDPOINT_URL: url }, 'S3_ENDPOINT_URL')).toMatch(message);
  });

  it.each([
    ['no scheme', 'cdn.example.com/avatars'],
    ['a file URL', 'file:///var/avatars'],
    ['credentials', 'https://a:b@cdn.example.com'],
  ])('rejects an S3_AVATAR_PUBLIC_URL_PREFIX with %s', (_why, url) => {
    invalidSettings({ ...S3_BASE, S3_AVATAR_PUBLIC_URL_PREFIX: url }, 'S3_AVATAR_PUBLIC_URL_PREFIX');
  });

  it('accepts each addressing style and rejects others', () => {
    for (const style of ['auto', 'virtual', 'path'] as const)
      expect(s3({ ...S3_BASE, S3_ADDRESSING_STYLE: style }).s3.addressingStyle).toBe(style);
    for (const style of ['PATH', 'dns', 'virtual-host'])
      invalidSettings({ ...S3_BASE, S3_ADDRESSING_STYLE: style }, 'S3_ADDRESSING_STYLE');
  });

  it('reads S3_SKIP_CHECKSUM as a boolean and rejects anything else', () => {
    for (const yes of ['1', 'true', 'TRUE', 'yes', 'On'])
      expect(s3({ ...S3_BASE, S3_SKIP_CHECKSUM: yes }).s3.skipChecksum).toBe(true);
    for (const no of ['0', 'false', 'No', 'off', ''])
      expect(s3({ ...S3_BASE, S3_SKIP_CHECKSUM: no }).s3.skipChecksum).toBe(false);
    for (const bad of ['maybe', '2', 'y', 'enabled'])
      invalidSettings({ ...S3_BASE, S3_SKIP_CHECKSUM: bad }, 'S3_SKIP_CHECKSUM');
  });

  it('reads S3_KEEPS_INTERRUPTED_UPLOADS as a boolean, false when unset, and rejects anything else', () => {
    expect(s3({ ...S3_BASE, S3_KEEPS_INTERRUPTED_UPLOADS: 'on' }).s3.keepsInterruptedUploads).toBe(true);
    expect(s3({ ...S3_BASE, S3_KEEPS_INTERRUPTED_UPLOADS: 'off' }).s3.keepsInterruptedUploads).toBe(false);
    expect(s3(S3_BASE).s3.keepsInterruptedUploads).toBe(false);
    invalidSettings({ ...S3_BASE, S3_KEEPS_INTERRUPTED_UPLOADS: 'sometimes' }, 'S3_KEEPS_INTERRUPTED_UPLOADS');
  });

  it('accepts every S3 storage class and rejects others', () => {
    for (const storageClass of S3_STORAGE_CLASSES) {
      expect(s3({ ...S3_BASE, S3_UPLOADS_STORAGE_CLASS: storageClass }).s3.uploadsStorageClass).toBe(storageClass);
    }
    for (const bad of ['standard_ia', 'FAST', 'STANDARD IA'])
      invalidSettings({ ...S3_BASE, S3_UPLOADS_STORAGE_CLASS: bad }, 'S3_UPLOADS_STORAGE_CLASS');
  });
});

describe('the value parsers', () => {
  it('parseBoolean falls back only for an absent value, and names the variable otherwise', () => {
    expect(parseBoolean('FLAG', undefined, true)).toBe(true);
    expect(parseBoolean('FLAG', 'off', true)).toBe(false);
    expect(() => parseBoolean('FLAG', 'sure', false)).toThrow(/^FLAG must be true or false/u);
  });

  it('parsePositiveInteger falls back only for an absent value, and names the variable otherwise', () => {
    expect(parsePositiveInteger('COUNT', undefined, 6)).toBe(6);
    expect(parsePositiveInteger('COUNT', '12', 6)).toBe(12);
    expect(() => parsePositiveInteger('COUNT', '0', 6)).toThrow(/^COUNT must be a positive whole number/u);
  });

  it('bucketNameProblem explains each of S3 naming rules', () => {
    expect(bucketNameProblem('my-bucket.v2')).toBeUndefined();
    expect(bucketNameProblem('ab')).toMatch(/3 to 63/u);
    expect(bucketNameProblem('Bad')).toMatch(/lower-case/u);
    expect(bucketNameProblem('a..b')).toMatch(/adjacent dots/u);
    expect(bucketNameProblem('10.0.0.1')).toMatch(/IP address/u);
  });
});
