// Errors carry a stable category; the api tier maps categories to HTTP status in one table
// (src/api/http-status.ts). Nothing below api knows about HTTP.

export type ErrorCategory =
  | 'invalid_argument' // 400
  | 'unauthorized' // 401
  | 'forbidden' // 403
  | 'not_found' // 404
  | 'conflict' // 409
  | 'not_modified' // 304
  | 'unavailable' // 503
  | 'not_implemented' // 501
  | 'internal'; // 500

export class BerthError extends Error {
  readonly category: ErrorCategory;
  /** Stable machine-readable code, e.g. "container_not_found". */
  readonly code: string;
  constructor(category: ErrorCategory, code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BerthError';
    this.category = category;
    this.code = code;
  }
}

export const invalidArgument = (message: string, code = 'invalid_argument') =>
  new BerthError('invalid_argument', code, message);
export const notFound = (message: string, code = 'not_found') => new BerthError('not_found', code, message);
export const conflict = (message: string, code = 'conflict') => new BerthError('conflict', code, message);
export const notModified = (message: string, code = 'not_modified') => new BerthError('not_modified', code, message);
export const internal = (message: string, cause?: unknown) =>
  new BerthError('internal', 'internal', message, { cause });
export const notImplemented = (message: string) => new BerthError('not_implemented', 'not_implemented', message);
export const forbidden = (message: string, code = 'forbidden') => new BerthError('forbidden', code, message);

export function isBerthError(e: unknown, category?: ErrorCategory): e is BerthError {
  return e instanceof BerthError && (category === undefined || e.category === category);
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
