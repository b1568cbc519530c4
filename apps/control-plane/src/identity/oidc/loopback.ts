/**
 * True for a plain-http URL whose host is the loopback interface (127.0.0.0/8, ::1, localhost).
 * Only such URLs may go without TLS: traffic to them never leaves the machine.
 */
export function isLoopbackHttp(url: string | URL): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'http:') return false;
  const host = parsed.hostname;
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}
