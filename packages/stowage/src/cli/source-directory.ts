import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { StorageError } from '@stowage/core';
import { LOCAL_NAMESPACE_DIRECTORIES, NAMESPACES } from '../open-stores.ts';
import type { Namespace } from '../open-stores.ts';
import type { StoreSpec } from './store-spec.ts';

function entries(directory: string): string[] | undefined {
  try {
    return statSync(directory).isDirectory() ? readdirSync(directory) : undefined;
  } catch {
    return undefined;
  }
}

function mustExist(directory: string, spec: StoreSpec): void {
  if (entries(directory) === undefined) {
    throw new StorageError(
      'InvalidSettings',
      `the source directory ${directory} (${spec.text}) does not exist or is not a directory`,
    );
  }
}

/**
 * Refuses a local migration source that cannot be what the operator meant: a directory that does not exist, or one
 * where a Zulip uploads directory would hold files and this holds none. Copying nothing from a mistyped path and
 * reporting success would let the operator cut over to an empty store. Throws `InvalidSettings` naming the
 * directory; S3 sources are left to the migration.
 */
export function assertSourceHoldsObjects(spec: StoreSpec, namespace: Namespace | undefined): void {
  if (spec.kind === 'directory') {
    mustExist(spec.path, spec);
    if (entries(spec.path)?.length === 0)
      throw new StorageError(
        'InvalidSettings',
        `the source directory ${spec.path} (${spec.text}) is empty: nothing to copy`,
      );
    return;
  }
  if (spec.kind !== 'deployment' || spec.settings.backend !== 'local') return;
  const root = spec.settings.localUploadsDir;
  mustExist(root, spec);
  const wanted = namespace === undefined ? NAMESPACES : [namespace];
  const directories = wanted.map((name) => join(root, LOCAL_NAMESPACE_DIRECTORIES[name]));
  if (directories.every((directory) => (entries(directory)?.length ?? 0) === 0)) {
    const names = wanted.map((name) => `${LOCAL_NAMESPACE_DIRECTORIES[name]}/`).join(' and ');
    throw new StorageError(
      'InvalidSettings',
      `the source directory ${root} (${spec.text}) holds no files in ${names}: is it the LOCAL_UPLOADS_DIR of the chat server?`,
    );
  }
}
