/** The codes an API error response carries (see API.md for when each is used). */
export type ApiErrorCode =
  | 'BadRequest'
  | 'InvalidImage'
  | 'Unauthenticated'
  | 'InvalidCredentials'
  | 'CsrfFailed'
  | 'Forbidden'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'FileTooLarge'
  | 'QuotaExceeded'
  | 'RangeNotSatisfiable'
  | 'StoreFull'
  | 'StoreUnavailable'
  | 'Internal';

/**
 * A refusal the HTTP layer turns into `{ error: { code, message } }` with `status`. Storage failures stay
 * `StorageError`s until the edge, where they are mapped to one of these.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: ApiErrorCode;

  constructor(status: number, code: ApiErrorCode, message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.status = status;
    this.code = code;
  }
}

/** What every hidden or missing thing answers, so the two cannot be told apart. */
export function notFound(): ApiError {
  return new ApiError(404, 'NotFound', 'not found');
}

export function badRequest(message: string, cause?: unknown): ApiError {
  return new ApiError(400, 'BadRequest', message, { cause });
}
