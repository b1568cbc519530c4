import { InvalidArgumentError } from '../platform/errors/domain-error.js';
import type { NotificationKind } from './notification.types.js';

const MAX_URL_LENGTH = 2048;

/**
 * Checks an endpoint URL at the edge: absolute, `https:` (plain `http:` only when
 * POSTERN_NOTIFICATIONS_ALLOW_HTTP allows it, for local receivers), no user:password part, at
 * most 2048 characters. Messages never repeat the URL: a Slack webhook URL is a secret.
 */
export function checkEndpointUrl(value: string, allowHttp: boolean): URL {
  const text = value.trim();
  if (text.length === 0 || text.length > MAX_URL_LENGTH || !URL.canParse(text)) {
    throw new InvalidArgumentError(`url must be an absolute URL of at most ${MAX_URL_LENGTH} characters`);
  }
  const url = new URL(text);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allowHttp)) {
    throw new InvalidArgumentError(
      allowHttp
        ? 'url must start with https:// or http://'
        : 'url must start with https:// (POSTERN_NOTIFICATIONS_ALLOW_HTTP=true allows http:// for local testing)',
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidArgumentError('url must not contain a user name or password');
  }
  if (url.hostname === '') throw new InvalidArgumentError('url must name a host');
  return url;
}

/** What admins see of an endpoint's URL: all of a webhook's, only the origin of a Slack URL. */
export function displayUrl(kind: NotificationKind, url: URL): string {
  return kind === 'SLACK' ? `${url.origin}/…` : url.href;
}
