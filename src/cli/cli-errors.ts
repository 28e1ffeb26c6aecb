// Errors that decide the CLI's exit status, mirroring docker's cli.StatusError.

/** Ends the command with `code`; `message` (if any) goes to stderr as-is. */
export class StatusError extends Error {
  readonly code: number;
  constructor(code: number, message = '') {
    super(message);
    this.name = 'StatusError';
    this.code = code;
  }
}

/** A bad flag or argument: printed with the command's usage line, exit 125 (docker's flag-error status). */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

/** Wrong number of positional arguments: docker prints "'docker stop' requires ..." and exits 1. */
export class ArgCountError extends Error {
  /** cobra words the footer "See ..." for minimum-count failures and "Run ..." otherwise. */
  readonly footerVerb: 'See' | 'Run';
  constructor(message: string, footerVerb: 'See' | 'Run' = 'Run') {
    super(message);
    this.name = 'ArgCountError';
    this.footerVerb = footerVerb;
  }
}
