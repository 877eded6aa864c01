/** A request the server refused (its JSON `error`), or one that never got an answer (`status` 0). */
export class ApiFailure extends Error {
  override readonly name = 'ApiFailure';
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Turns an error response's text into an `ApiFailure` carrying the server's own message, meant for people. */
export function failureFromResponse(status: number, text: string): ApiFailure {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    const { code, message } = parsed.error ?? {};
    if (typeof code === 'string' && typeof message === 'string') return new ApiFailure(status, code, message);
  } catch {
    // Not JSON (a proxy's error page, say): fall through to a generic message.
  }
  return new ApiFailure(status, 'Http', `the server answered ${status}`);
}

/** What to show a person for any error. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
