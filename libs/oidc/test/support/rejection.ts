import { expect } from '@jest/globals';
import { TokenRejectedError, type TokenRejectionCode } from '../../src/index.js';

/** Asserts the refusal and its code, and that the token never leaks into the message. */
export async function expectRejected(
  verification: Promise<unknown>,
  code: TokenRejectionCode,
  token?: string,
): Promise<TokenRejectedError> {
  const error = await verification.then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(TokenRejectedError);
  const rejection = error as TokenRejectedError;
  expect({ code: rejection.code, message: rejection.message }).toEqual({ code, message: expect.any(String) });
  if (token) {
    const signature = token.split('.')[2];
    expect(rejection.message).not.toContain(token);
    if (signature) expect(rejection.message).not.toContain(signature);
  }
  return rejection;
}
