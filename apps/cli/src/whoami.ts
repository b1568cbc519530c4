import { CliError, LOGIN_AGAIN } from './errors.js';
import { isLoopbackHttp } from './oidc.js';
import type { Output } from './output.js';

const ME = '{ me { id kind roles groups user { email displayName issuer subject } } }';

export interface Me {
  id: string;
  kind: string;
  roles: string[];
  groups: string[];
  user: { email: string | null; displayName: string | null; issuer: string; subject: string } | null;
}

interface GraphqlAnswer {
  data?: { me?: Me } | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/** `postern whoami`: asks the API who the stored token belongs to, as the API sees it. */
export async function whoami(api: string, accessToken: string, output: Output): Promise<Me> {
  const endpoint = graphqlEndpoint(api);
  let response: Response;
  try {
    response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ query: ME }),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw new CliError(`cannot reach the Postern API at ${endpoint}: ${cause}`);
  }
  let answer: GraphqlAnswer;
  try {
    answer = (await response.json()) as GraphqlAnswer;
  } catch {
    throw new CliError(`${endpoint} answered HTTP ${response.status} without a GraphQL response: is --api right?`);
  }
  const error = answer.errors?.[0];
  if (error?.extensions?.code === 'UNAUTHENTICATED') {
    throw new CliError(`the Postern API refused your token (${error.message}): ${LOGIN_AGAIN}`);
  }
  if (error) throw new CliError(`the Postern API answered: ${error.message}`);
  const me = answer.data?.me;
  if (!me) throw new CliError(`${endpoint} answered HTTP ${response.status} without a result`);

  const name = me.user
    ? me.user.displayName
      ? `${me.user.email ?? me.user.subject} (${me.user.displayName})`
      : (me.user.email ?? me.user.subject)
    : me.id;
  output.out(name);
  output.out(`  kind:    ${me.kind}`);
  output.out(`  groups:  ${me.groups.length > 0 ? me.groups.join(', ') : '(none)'}`);
  output.out(`  roles:   ${me.roles.join(', ')}`);
  if (me.user) output.out(`  subject: ${me.user.subject} at ${me.user.issuer}`);
  return me;
}

function graphqlEndpoint(api: string): string {
  let url: URL;
  try {
    url = new URL(api);
  } catch {
    throw new CliError(`--api must be a URL such as https://postern.example.com (got ${JSON.stringify(api)})`, 2);
  }
  if (url.protocol !== 'https:' && !isLoopbackHttp(url)) {
    throw new CliError(`refusing to send your token over plain http to ${url.host}: use an https:// API URL`, 2);
  }
  if (!url.pathname.endsWith('/graphql')) url.pathname = `${url.pathname.replace(/\/+$/, '')}/graphql`;
  return url.href;
}
