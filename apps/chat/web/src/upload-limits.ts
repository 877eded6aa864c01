import { formatBytes } from './format.ts';

/** What the client knows of the server's limits before it sends a byte. */
export interface UploadLimits {
  readonly maxFileUploadBytes: number;
  readonly quotaBytes: number;
  readonly usedBytes: number;
  /** The per-user quota, or `null` (or absent, from an older server) when only the organization's applies. */
  readonly userQuotaBytes?: number | null;
  readonly userUsedBytes?: number;
}

/** From this share of a quota used, the page warns. */
export const QUOTA_WARNING_SHARE = 0.9;

/** One quota as the page shows it: uploads under way count as used, so used plus left is always the quota. */
export interface QuotaState {
  readonly whose: 'your' | "your organization's";
  readonly quotaBytes: number;
  /** Stored bytes plus those of uploads under way. */
  readonly usedBytes: number;
  readonly uploadingBytes: number;
  readonly leftBytes: number;
  readonly nearlyFull: boolean;
}

function quotaState(
  whose: QuotaState['whose'],
  quotaBytes: number,
  storedBytes: number,
  uploadingBytes: number,
): QuotaState {
  const usedBytes = storedBytes + uploadingBytes;
  const leftBytes = Math.max(0, quotaBytes - usedBytes);
  return {
    whose,
    quotaBytes,
    usedBytes,
    uploadingBytes,
    leftBytes,
    nearlyFull: usedBytes >= quotaBytes * QUOTA_WARNING_SHARE,
  };
}

/** Every quota an upload counts against, the one with the least left first. */
export function quotaStates(limits: UploadLimits, pendingBytes = 0): QuotaState[] {
  const states = [quotaState("your organization's", limits.quotaBytes, limits.usedBytes, pendingBytes)];
  if (limits.userQuotaBytes !== undefined && limits.userQuotaBytes !== null) {
    states.push(quotaState('your', limits.userQuotaBytes, limits.userUsedBytes ?? 0, pendingBytes));
  }
  return states.sort((a, b) => a.leftBytes - b.leftBytes);
}

/** "8.0 MiB of 10.0 MiB used (2.0 MiB of it uploading now), 2.0 MiB left": the same figures everywhere. */
export function describeQuota(state: QuotaState): string {
  const uploading = state.uploadingBytes > 0 ? ` (${formatBytes(state.uploadingBytes)} of it uploading now)` : '';
  return `${formatBytes(state.usedBytes)} of ${formatBytes(state.quotaBytes)} used${uploading}, ${formatBytes(state.leftBytes)} left`;
}

/** The warning to show once a quota is 90% used, or `undefined`. */
export function quotaWarning(limits: UploadLimits, pendingBytes = 0): string | undefined {
  const tightest = quotaStates(limits, pendingBytes).find((state) => state.nearlyFull);
  if (tightest === undefined) return undefined;
  const whose = tightest.whose === 'your' ? 'Your upload quota' : "Your organization's upload quota";
  return `${whose} is nearly full: ${describeQuota(tightest)}.`;
}

/**
 * Why a file of `size` bytes would be refused, or `undefined` when it fits. `pendingBytes` counts uploads already
 * under way, which will take quota before this one arrives. The server checks again; this only saves the wait.
 */
export function uploadProblem(name: string, size: number, limits: UploadLimits, pendingBytes = 0): string | undefined {
  if (size > limits.maxFileUploadBytes) {
    return `${name} is ${formatBytes(size)}, larger than the ${formatBytes(limits.maxFileUploadBytes)} upload limit.`;
  }
  const full = quotaStates(limits, pendingBytes).find((state) => size > state.leftBytes);
  if (full !== undefined) {
    const whose = full.whose === 'your' ? 'your personal' : "your organization's";
    return `${name} (${formatBytes(size)}) would exceed ${whose} upload quota: ${describeQuota(full)}.`;
  }
  return undefined;
}

/** Why an avatar, icon, logo or emoji image would be refused before upload, or `undefined`. */
export function imageProblem(name: string, size: number, type: string, maxImageBytes: number): string | undefined {
  if (type !== '' && !type.startsWith('image/')) return `${name} is not an image.`;
  if (type === 'image/svg+xml') return `${name} is an SVG; use a PNG, JPEG, GIF or WebP image.`;
  if (size > maxImageBytes)
    return `${name} is ${formatBytes(size)}; images may be at most ${formatBytes(maxImageBytes)}.`;
  return undefined;
}
