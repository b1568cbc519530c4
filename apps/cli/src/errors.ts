/**
 * Exit codes (documented in `postern --help` and docs/cli.md):
 * 0 done · 1 failed · 2 usage · 3 not signed in or token refused · 4 no access / not allowed ·
 * 5 a request was rejected or expired · 130 interrupted.
 */
export const EXIT = { failed: 1, usage: 2, signIn: 3, denied: 4, refused: 5, interrupted: 130 } as const;

/** A failure the user can act on: printed as `postern: <message>` without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
    this.name = 'UsageError';
  }
}

export const LOGIN_AGAIN = 'run `postern login` again';
