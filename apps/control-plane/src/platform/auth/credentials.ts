/** Cookie set by the sign-in flow (authorization code + PKCE) for the dashboard. */
export const SESSION_COOKIE = 'postern_session';

/** The bearer token of a request, else its session cookie. */
export function tokenOf(
  headers: Record<string, string | string[] | undefined>,
  cookies?: Record<string, string | undefined>,
): string | undefined {
  return bearerToken(headers['authorization']) ?? cookies?.[SESSION_COOKIE] ?? sessionCookie(headers['cookie']);
}

export function bearerToken(header: unknown): string | undefined {
  return typeof header === 'string' ? /^Bearer (\S+)$/.exec(header)?.[1] : undefined;
}

/** The `postern_session` cookie of a raw Cookie header. */
export function sessionCookie(raw: string | string[] | undefined): string | undefined {
  if (typeof raw !== 'string') return undefined;
  for (const part of raw.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE) return decodeURIComponent(value.join('='));
  }
  return undefined;
}
