/**
 * A sign-in that cannot complete, with an HTTP status and a message safe to show the person
 * signing in: never a token, an authorization code, or a stack trace.
 */
export class SignInError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 502,
    message: string,
  ) {
    super(message);
    this.name = 'SignInError';
  }
}

export const START_AGAIN = 'start again at /auth/login';
