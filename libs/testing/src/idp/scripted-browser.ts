// A scripted browser for the development IdP's pages (oidc-provider's login, consent and device
// pages): fetch with a cookie jar, redirects followed by hand, forms submitted with their hidden
// fields. Enough to sign in through the real IdP from a test without a browser engine; the
// dashboard's end-to-end tests use real Chromium instead.

export interface Page {
  url: string;
  status: number;
  headers: Headers;
  body: string;
}

/** Cookies per host name (as browsers scope them, ports ignored), with Path, Max-Age and Secure. */
export class CookieJar {
  private readonly cookies = new Map<string, { value: string; path: string; secure: boolean }>();

  store(url: string, setCookie: string): void {
    const [pair, ...attributes] = setCookie.split(';').map((part) => part.trim());
    const separator = pair!.indexOf('=');
    const name = pair!.slice(0, separator);
    const value = pair!.slice(separator + 1);
    const attribute = (key: string) =>
      attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1) ??
      (attributes.some((a) => a.toLowerCase() === key) ? '' : undefined);
    const key = `${new URL(url).hostname}|${name}`;
    const maxAge = attribute('max-age');
    const expires = attribute('expires');
    if ((maxAge !== undefined && Number(maxAge) <= 0) || (expires && Date.parse(expires) < Date.now())) {
      this.cookies.delete(key);
      return;
    }
    this.cookies.set(key, { value, path: attribute('path') || '/', secure: attribute('secure') !== undefined });
  }

  header(url: string): string {
    const target = new URL(url);
    return [...this.cookies.entries()]
      .filter(([key, cookie]) => key.startsWith(`${target.hostname}|`) && target.pathname.startsWith(cookie.path))
      .filter(([, cookie]) => !cookie.secure || target.protocol === 'https:')
      .map(([key, cookie]) => `${key.split('|')[1]}=${cookie.value}`)
      .join('; ');
  }

  get(url: string, name: string): string | undefined {
    const value = this.cookies.get(`${new URL(url).hostname}|${name}`)?.value;
    return value === undefined ? undefined : decodeURIComponent(value);
  }

  set(url: string, name: string, value: string): void {
    this.cookies.set(`${new URL(url).hostname}|${name}`, {
      value: encodeURIComponent(value),
      path: '/',
      secure: false,
    });
  }
}

/** Just enough of a browser for oidc-provider's development pages: redirects, cookies, forms. */
export class ScriptedBrowser {
  readonly jar = new CookieJar();

  async request(method: 'GET' | 'POST', url: string, form?: URLSearchParams): Promise<Page> {
    const cookie = this.jar.header(url);
    const response = await fetch(url, {
      method,
      redirect: 'manual',
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: form } : {}),
    });
    for (const setCookie of response.headers.getSetCookie()) this.jar.store(url, setCookie);
    return { url, status: response.status, headers: response.headers, body: await response.text() };
  }

  /** GETs `url` and follows redirects, stopping before any URL `stopBefore` matches. */
  async navigate(url: string, stopBefore: (next: URL) => boolean = () => false): Promise<Page> {
    return this.follow(await this.request('GET', url), stopBefore);
  }

  async follow(page: Page, stopBefore: (next: URL) => boolean = () => false): Promise<Page> {
    for (let hops = 0; page.status >= 300 && page.status < 400; hops += 1) {
      if (hops > 10) throw new Error(`too many redirects from ${page.url}`);
      const next = new URL(page.headers.get('location')!, page.url);
      if (stopBefore(next)) return { ...page, url: next.href };
      page = await this.request('GET', next.href);
    }
    return page;
  }

  /** Submits the page's (first) POST form with its hidden fields plus `fields`, following redirects. */
  async submit(page: Page, fields: Record<string, string>, stopBefore?: (next: URL) => boolean): Promise<Page> {
    const form = /<form([^>]*)>([\s\S]*?)<\/form>/i.exec(page.body);
    if (!form) throw new Error(`no form on ${page.url} (HTTP ${page.status}): ${page.body.slice(0, 300)}`);
    const action = /action="([^"]*)"/i.exec(form[1]!)?.[1] ?? page.url;
    const values = new URLSearchParams();
    for (const input of form[2]!.matchAll(/<input([^>]*)>/gi)) {
      const name = /name="([^"]*)"/i.exec(input[1]!)?.[1];
      const value = /value="([^"]*)"/i.exec(input[1]!)?.[1];
      if (name && value !== undefined && !(name in fields)) values.set(name, unescapeHtml(value));
    }
    for (const [name, value] of Object.entries(fields)) values.set(name, value);
    const response = await this.request('POST', new URL(unescapeHtml(action), page.url).href, values);
    return this.follow(response, stopBefore);
  }

  /** Logs in as `login` (any password) and consents, until the IdP lets go of the browser. */
  async completeInteractions(page: Page, login: string, stopBefore?: (next: URL) => boolean): Promise<Page> {
    for (let step = 0; step < 4 && /name="prompt"/.test(page.body); step += 1) {
      const isLogin = /name="prompt" value="login"/.test(page.body);
      page = await this.submit(page, isLogin ? { login, password: 'anything' } : {}, stopBefore);
    }
    return page;
  }

  /** Starts at `/auth/login` and returns the callback URL the IdP redirects to (not yet followed). */
  async signInAt(loginUrl: string, login: string): Promise<URL> {
    const isCallback = (next: URL) => next.pathname === '/auth/callback';
    const first = await this.navigate(loginUrl, isCallback);
    const last = await this.completeInteractions(first, login, isCallback);
    const callback = new URL(last.url);
    if (!isCallback(callback))
      throw new Error(`sign-in did not reach the callback: ${last.status} ${last.body.slice(0, 300)}`);
    return callback;
  }
}

export function unescapeHtml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
