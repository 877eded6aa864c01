import type { StorageSettings } from '@stowage/core';
import { LocalStore } from '@stowage/local';
import { checkDeployment } from 'stowage';
import type { CheckResult } from 'stowage';
import type { ChatStores } from './chat-stores.ts';

/** The settings an operator changes when a namespace's store fails its start-up check. */
function settingsOf(settings: StorageSettings, namespace: CheckResult['namespace']): string {
  if (settings.backend === 'local') return 'LOCAL_UPLOADS_DIR';
  const bucket = namespace === 'avatars' ? 'S3_AVATAR_BUCKET' : 'S3_AUTH_UPLOADS_BUCKET';
  return `${bucket}, S3_ENDPOINT_URL, S3_REGION and S3_KEY/S3_SECRET_KEY`;
}

/**
 * What the app does with its stores before it listens. Local stores lose the temporary files of uploads a crash
 * cut: at start-up no upload of this process is live, and the local backend has one app writing to it (Zulip's
 * layout), so every temporary is a leftover. Then each store is checked (`stowage check`'s probe); a failure is a
 * warning naming the setting to look at, and the app still starts: requests meet 503 until the store is back.
 * Resolves to the failed checks.
 */
export async function prepareStores(
  settings: StorageSettings,
  stores: ChatStores,
  warn: (line: string) => void,
): Promise<CheckResult[]> {
  for (const store of [stores.deployment?.uploads, stores.deployment?.avatars]) {
    if (!(store instanceof LocalStore)) continue;
    try {
      const swept = await store.cleanup(0);
      if (swept.temporaries > 0)
        warn(`removed ${swept.temporaries} temporary files of uploads cut short by an earlier stop (${store.name})`);
    } catch (error) {
      warn(
        `cannot sweep ${store.name}: ${error instanceof Error ? error.message : String(error)} (check LOCAL_UPLOADS_DIR)`,
      );
    }
  }
  const failed: CheckResult[] = [];
  if (stores.deployment === undefined) return failed;
  for await (const result of checkDeployment(settings, stores.deployment)) {
    if (result.status !== 'fail') continue;
    failed.push(result);
    warn(
      `the ${result.namespace} store failed its start-up check "${result.check}": ${result.detail}; check ${settingsOf(settings, result.namespace)}`,
    );
  }
  return failed;
}
