/** Exit codes of the `stowage` command, as its help text states them. */
export const EXIT_OK: number = 0;
/** The command ran and something failed: a check, an object that could not be copied, a difference found. */
export const EXIT_FAILED: number = 1;
/** The command line or the settings are wrong; nothing was done. */
export const EXIT_USAGE: number = 2;
/** Stopped by SIGINT or SIGTERM. */
export const EXIT_INTERRUPTED: number = 130;
