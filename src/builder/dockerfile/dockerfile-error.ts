// Errors from the Dockerfile front end: invalid_argument BerthErrors that know where in the file they happened.
// message: `Dockerfile:3:1: unknown instruction: FOO`; `dockerMessage` gives Docker's own phrasing
// (`dockerfile parse error on line 3: unknown instruction: FOO`) for clients that match on it.

import { BerthError } from '../../base/errors.ts';

/** 1-based line and column (column counts UTF-16 code units, tabs count as one). */
export interface Position {
  line: number;
  column: number;
}

export interface SourceRange {
  start: Position;
  end: Position;
}

export class DockerfileError extends BerthError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The message without location, e.g. `unknown instruction: FOO`. */
  readonly detail: string;
  constructor(file: string, pos: Position, detail: string) {
    super('invalid_argument', 'dockerfile_parse_error', `${file}:${pos.line}:${pos.column}: ${detail}`);
    this.name = 'DockerfileError';
    this.file = file;
    this.line = pos.line;
    this.column = pos.column;
    this.detail = detail;
  }
  /** Docker's phrasing: `dockerfile parse error on line 3: unknown instruction: FOO`. */
  get dockerMessage(): string {
    return `dockerfile parse error on line ${this.line}: ${this.detail}`;
  }
}

/** A failure inside a helper that does not know positions (invalid_argument); callers add them with `at()`. */
export class DetailError extends BerthError {
  constructor(message: string) {
    super('invalid_argument', 'invalid_argument', message);
    this.name = 'DetailError';
  }
}

export const fail = (detail: string): never => {
  throw new DetailError(detail);
};

/** Run `fn`; turn a DetailError into a DockerfileError at `pos`. */
export function at<T>(file: string, pos: Position, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DetailError) throw new DockerfileError(file, pos, e.message);
    throw e;
  }
}
