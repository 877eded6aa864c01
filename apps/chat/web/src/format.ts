const UNITS = ['KiB', 'MiB', 'GiB', 'TiB'] as const;

/** A size as a person reads it: "512 bytes", "1.5 MiB" (binary units, as the server's messages use). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return bytes === 1 ? '1 byte' : `${bytes} bytes`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${UNITS[unit] ?? 'TiB'}`;
}

/** A message time: the clock time today, else the date and time, in the reader's locale. */
export function formatTime(iso: string, now: Date = new Date()): string {
  const time = new Date(iso);
  const sameDay = time.toDateString() === now.toDateString();
  return sameDay
    ? time.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : time.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
