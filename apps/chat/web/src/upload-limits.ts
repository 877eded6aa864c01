import { formatBytes } from './format.ts';

/** What the client knows of the server's limits before it sends a byte. */
export interface UploadLimits {
  readonly maxFileUploadBytes: number;
  readonly quotaBytes: number;
  readonly usedBytes: number;
}

/**
 * Why a file of `size` bytes would be refused, or `undefined` when it fits. `pendingBytes` counts uploads already
 * under way, which will take quota before this one arrives. The server checks again; this only saves the wait.
 */
export function uploadProblem(name: string, size: number, limits: UploadLimits, pendingBytes = 0): string | undefined {
  if (size > limits.maxFileUploadBytes) {
    return `${name} is ${formatBytes(size)}, larger than the ${formatBytes(limits.maxFileUploadBytes)} upload limit.`;
  }
  const remaining = Math.max(0, limits.quotaBytes - limits.usedBytes - pendingBytes);
  if (size > remaining) {
    return `${name} (${formatBytes(size)}) would exceed your organization's upload quota: ` +
      `${formatBytes(limits.usedBytes)} of ${formatBytes(limits.quotaBytes)} used, ${formatBytes(remaining)} left.`;
  }
  return undefined;
}

/** Why an avatar, icon, logo or emoji image would be refused before upload, or `undefined`. */
export function imageProblem(name: string, size: number, type: string, maxImageBytes: number): string | undefined {
  if (type !== '' && !type.startsWith('image/')) return `${name} is not an image.`;
  if (type === 'image/svg+xml') return `${name} is an SVG; use a PNG, JPEG, GIF or WebP image.`;
  if (size > maxImageBytes) return `${name} is ${formatBytes(size)}; images may be at most ${formatBytes(maxImageBytes)}.`;
  return undefined;
}
