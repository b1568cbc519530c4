const MAX_LENGTH = 2048;
const PLACEHOLDER_ORIGIN = 'http://postern.invalid';

/**
 * Where to send the browser after sign-in: only a path on this site. Absolute URLs,
 * scheme-relative `//host` and `/\host` forms (browsers treat `\` like `/`), control characters
 * and anything that would resolve to another origin fall back to `/` — an open redirect would
 * let a phishing link borrow Postern's sign-in.
 */
export function safeRedirectPath(candidate: unknown): string {
  if (typeof candidate !== 'string' || candidate.length === 0 || candidate.length > MAX_LENGTH) return '/';
  // eslint-disable-next-line no-control-regex
  if (!candidate.startsWith('/') || /[\\\u0000-\u001f\u007f]/.test(candidate)) return '/';
  if (candidate.startsWith('//')) return '/';
  let resolved: URL;
  try {
    resolved = new URL(candidate, PLACEHOLDER_ORIGIN);
  } catch {
    return '/';
  }
  if (resolved.origin !== PLACEHOLDER_ORIGIN) return '/';
  return `${resolved.pathname}${resolved.search}${resolved.hash}`;
}
