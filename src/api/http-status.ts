// THE table from error categories to HTTP status. Nothing else in Berth picks a status code for an error.
import type { ErrorCategory } from '../base/errors.ts';
import { isBerthError } from '../base/errors.ts';

const STATUS: Record<ErrorCategory, number> = {
  invalid_argument: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  not_modified: 304,
  unavailable: 503,
  not_implemented: 501,
  internal: 500,
};

export function statusFor(e: unknown): number {
  return isBerthError(e) ? STATUS[e.category] : 500;
}
