// Registry errors carry a distribution-spec code; the one code → HTTP status table is here, and the wire shape is
// {"errors":[{"code","message","detail"}]}.
import type { DistributionErrorBody, DistributionErrorCode } from '../spec/distribution.ts';

export const ERROR_STATUS: Record<DistributionErrorCode, number> = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  TOOMANYREQUESTS: 429,
  RANGE_INVALID: 416,
  PAGINATION_NUMBER_INVALID: 400,
};

const DEFAULT_MESSAGE: Record<DistributionErrorCode, string> = {
  BLOB_UNKNOWN: 'blob unknown to registry',
  BLOB_UPLOAD_INVALID: 'blob upload invalid',
  BLOB_UPLOAD_UNKNOWN: 'blob upload unknown to registry',
  DIGEST_INVALID: 'provided digest did not match uploaded content',
  MANIFEST_BLOB_UNKNOWN: 'manifest references a manifest or blob unknown to registry',
  MANIFEST_INVALID: 'manifest invalid',
  MANIFEST_UNKNOWN: 'manifest unknown to registry',
  NAME_INVALID: 'invalid repository name',
  NAME_UNKNOWN: 'repository name not known to registry',
  SIZE_INVALID: 'provided length did not match content length',
  UNAUTHORIZED: 'authentication required',
  DENIED: 'requested access to the resource is denied',
  UNSUPPORTED: 'the operation is unsupported',
  TOOMANYREQUESTS: 'too many requests',
  RANGE_INVALID: 'invalid content range',
  PAGINATION_NUMBER_INVALID: 'invalid number of results requested',
};

export class RegistryError extends Error {
  readonly code: DistributionErrorCode;
  readonly status: number;
  readonly detail: unknown;
  /** Extra response headers (WWW-Authenticate, Range, Retry-After). */
  readonly headers: Record<string, string>;
  constructor(
    code: DistributionErrorCode,
    message?: string,
    opts: { detail?: unknown; status?: number; headers?: Record<string, string> } = {},
  ) {
    super(message ?? DEFAULT_MESSAGE[code]);
    this.name = 'RegistryError';
    this.code = code;
    this.status = opts.status ?? ERROR_STATUS[code];
    this.detail = opts.detail;
    this.headers = opts.headers ?? {};
  }

  body(): DistributionErrorBody {
    const e: DistributionErrorBody['errors'][number] = { code: this.code, message: this.message };
    if (this.detail !== undefined) e.detail = this.detail;
    return { errors: [e] };
  }
}

export const regErr = (code: DistributionErrorCode, message?: string, detail?: unknown): RegistryError =>
  new RegistryError(code, message, { detail });

export const isRegistryError = (e: unknown, code?: DistributionErrorCode): e is RegistryError =>
  e instanceof RegistryError && (code === undefined || e.code === code);
