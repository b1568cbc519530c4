// Access tokens for the development IdP's people (alice, bob, carol): the authorization code flow
// with PKCE, as the `postern` CLI's public client, walking oidc-provider's development login and
// consent pages with fetch and a cookie jar.
import { createHash, randomBytes } from 'node:crypto';
import { POSTERN_AUDIENCE, type DevIdp } from '../../../../libs/testing/src/idp/dev-idp.js';

import { devIdpEnv } from '@postern/testing';

export { POSTERN_DATA_PLANE_AUDIENCE } from '../../../../libs/testing/src/idp/dev-idp.js';
/** The control-plane settings that trust the development IdP (one copy, in libs/testing). */
export { devIdpEnv };

const REDIRECT_URI = 'http://127.0.0.1/callback';

/** An access token for the API, or for `resource` (POSTERN_DATA_PLANE_AUDIENCE: a database password). */
export async function accessTokenFor(idp: DevIdp, login: string, resource = POSTERN_AUDIENCE): Promise<string> {
  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URL(`${idp.issuer}/auth`);
  for (const [key, value] of Object.entries({
    client_id: idp.clients.cli.clientId,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'openid email profile groups',
    state: randomBytes(8).toString('hex'),
    nonce: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    resource,
  })) {
    authorize.searchParams.set(key, value);
  }
  const browser = new Browser();
  let page = await browser.follow(authorize.href);
  for (let step = 0; step < 4 && !page.url.startsWith(REDIRECT_URI); step += 1) {
    const isLogin = /name="prompt" value="login"/.test(page.body);
    page = await browser.submit(page, isLogin ? { login, password: 'any' } : {});
  }
  const code = new URL(page.url).searchParams.get('code');
  if (!code) throw new Error(`no authorization code for ${login}: ${page.body.slice(0, 200)}`);
  const response = await fetch(`${idp.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      client_id: idp.clients.cli.clientId,
      code_verifier: verifier,
      resource,
    }),
  });
  const body = (await response.json()) as { access_token?: string; error_description?: string };
  if (!body.access_token) throw new Error(`token exchange failed for ${login}: ${body.error_description}`);
  return body.access_token;
}

interface Page {
  url: string;
  body: string;
}

/** Just enough of a browser: cookies by name (one host), redirects, and the page's form. */
class Browser {
  private readonly cookies = new Map<string, string>();

  async follow(url: string, init?: { method: 'POST'; form: URLSearchParams }): Promise<Page> {
    let next = url;
    let request = init;
    for (let hops = 0; hops < 12; hops += 1) {
      // The redirect to the client's callback is not followed: nothing listens there.
      if (next.startsWith(REDIRECT_URI)) return { url: next, body: '' };
      const response = await fetch(next, {
        method: request?.method ?? 'GET',
        redirect: 'manual',
        headers: {
          cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '),
          ...(request ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        ...(request ? { body: request.form } : {}),
      });
      for (const header of response.headers.getSetCookie()) {
        const [pair = ''] = header.split(';');
        const at = pair.indexOf('=');
        const value = pair.slice(at + 1);
        if (/expires=Thu, 01 Jan 1970/i.test(header) || value === '') this.cookies.delete(pair.slice(0, at));
        else this.cookies.set(pair.slice(0, at), value);
      }
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) {
        return { url: next, body: await response.text() };
      }
      await response.arrayBuffer();
      next = new URL(location, next).href;
      request = undefined;
    }
    throw new Error(`too many redirects from ${url}`);
  }

  async submit(page: Page, fields: Record<string, string>): Promise<Page> {
    const form = /<form([^>]*)>([\s\S]*?)<\/form>/i.exec(page.body);
    if (!form) throw new Error(`no form on ${page.url}: ${page.body.slice(0, 200)}`);
    const action = /action="([^"]*)"/i.exec(form[1]!)?.[1] ?? page.url;
    const values = new URLSearchParams();
    for (const input of form[2]!.matchAll(/<input([^>]*)>/gi)) {
      const name = /name="([^"]*)"/i.exec(input[1]!)?.[1];
      const value = /value="([^"]*)"/i.exec(input[1]!)?.[1];
      if (name && value !== undefined) values.set(name, value.replace(/&amp;/g, '&'));
    }
    for (const [name, value] of Object.entries(fields)) values.set(name, value);
    return this.follow(new URL(action.replace(/&amp;/g, '&'), page.url).href, { method: 'POST', form: values });
  }
}

/** The same, with the roles of the approval tests: `postern-admins` administer, `approvers` approve. */
export function approvalsEnv(idp: DevIdp): Record<string, string> {
  return {
    ...devIdpEnv(idp),
    POSTERN_ROLE_ADMIN_GROUPS: 'postern-admins',
    POSTERN_ROLE_APPROVER_GROUPS: 'approvers',
    POSTERN_APPROVAL_MIN_TIMEOUT_SECONDS: '1',
  };
}
