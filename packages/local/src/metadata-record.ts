/**
 * What the store keeps beside a data file. `key` and `version` tie the record to exactly one version of one
 * data file: a record whose version differs from the file's is stale and ignored.
 */
export interface MetadataRecord {
  readonly key: string;
  readonly version: string;
  readonly size: number;
  /** Base64 SHA-256 of the data file's bytes. */
  readonly sha256: string;
  readonly contentType: string;
  readonly contentDisposition?: string | undefined;
  readonly cacheControl?: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
}

const FORMAT = 1;

export function serializeRecord(record: MetadataRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ format: FORMAT, ...record }));
}

function isStringMap(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((item) => typeof item === 'string')
  );
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * The record in `text` when it is well formed and describes `key` at `version`; otherwise `undefined` (a record
 * torn by a crash, written by a newer format, or left from another version is not trusted).
 */
export function parseRecord(text: string, key: string, version: string): MetadataRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const fields = parsed as Record<string, unknown>;
  if (fields['format'] !== FORMAT || fields['key'] !== key || fields['version'] !== version) return undefined;
  const { size, sha256, contentType, metadata } = fields;
  if (
    typeof size !== 'number' ||
    typeof sha256 !== 'string' ||
    typeof contentType !== 'string' ||
    !isStringMap(metadata)
  ) {
    return undefined;
  }
  return {
    key,
    version,
    size,
    sha256,
    contentType,
    contentDisposition: optionalString(fields['contentDisposition']),
    cacheControl: optionalString(fields['cacheControl']),
    metadata,
  };
}
