import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { CliError, EXIT, LOGIN_AGAIN } from './errors.js';
import { isLoopbackHttp } from './oidc.js';

interface GraphqlAnswer<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string; field?: string } }>;
}

/**
 * The Postern GraphQL API with the signed-in user's token. Errors come back as CliErrors that
 * say what to do next: sign in again, ask for access, fix an argument.
 */
export class Api {
  readonly endpoint: string;

  constructor(
    api: string,
    private readonly token: string,
  ) {
    this.endpoint = graphqlEndpoint(api);
  }

  async request<T>(query: string, variables: Record<string, unknown> = {}, signal?: AbortSignal): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
        body: JSON.stringify({ query, variables }),
        signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(30_000)]) : AbortSignal.timeout(30_000),
      });
    } catch (error) {
      if (signal?.aborted) throw new CliError('interrupted', EXIT.interrupted);
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      throw new CliError(
        `cannot reach the Postern API at ${this.endpoint}: ${cause} (is --api or the profile's api right?)`,
      );
    }
    let answer: GraphqlAnswer<T>;
    try {
      answer = (await response.json()) as GraphqlAnswer<T>;
    } catch {
      throw new CliError(
        `${this.endpoint} answered HTTP ${response.status} without a GraphQL response: is the api URL right?`,
      );
    }
    const error = answer.errors?.[0];
    if (error) throw apiError(error);
    if (!answer.data) throw new CliError(`${this.endpoint} answered HTTP ${response.status} without a result`);
    return answer.data;
  }

  /**
   * A subscription over graphql-ws with the same token; `onNext` per event until `signal` aborts.
   * `ready` settles once the API has acknowledged the connection and the subscription has been
   * sent, so a caller can list what exists *after* it (nothing created in between is missed);
   * `done` settles when the feed ends or fails.
   */
  subscribe<T>(
    query: string,
    onNext: (data: T) => void,
    signal: AbortSignal,
  ): { ready: Promise<void>; done: Promise<void> } {
    const url = new URL(this.endpoint);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    let connected!: () => void;
    const acknowledged = new Promise<void>((resolve) => (connected = resolve));
    const client: Client = createClient({
      url: url.href,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${this.token}` },
      retryAttempts: 5,
      lazy: false,
      on: { connected: () => connected() },
    });
    const done = new Promise<void>((resolve, reject) => {
      const stop = client.subscribe<T>(
        { query },
        {
          next: (result) => {
            if (result.errors?.[0]) {
              reject(apiError(result.errors[0] as { message: string; extensions?: { code?: string } }));
              return;
            }
            if (result.data) onNext(result.data);
          },
          error: (error) => reject(new CliError(`the live feed failed: ${describe(error)}`)),
          complete: () => resolve(),
        },
      );
      signal.addEventListener(
        'abort',
        () => {
          stop();
          void client.dispose();
          resolve();
        },
        { once: true },
      );
    }).finally(() => void client.dispose());
    // A feed that fails before the acknowledgement fails `ready` too.
    return { ready: Promise.race([acknowledged, done]), done };
  }
}

function apiError(error: { message: string; extensions?: { code?: string } }): CliError {
  switch (error.extensions?.code) {
    case 'UNAUTHENTICATED':
      return new CliError(`the Postern API refused your token (${error.message}): ${LOGIN_AGAIN}`, EXIT.signIn);
    case 'FORBIDDEN':
    case 'PERMISSION_DENIED':
      return new CliError(`not allowed: ${error.message}`, EXIT.denied);
    case 'NOT_FOUND':
      return new CliError(error.message, EXIT.failed);
    case 'BAD_USER_INPUT':
    case 'INVALID_ARGUMENT':
      return new CliError(error.message, EXIT.usage);
    default:
      return new CliError(`the Postern API answered: ${error.message}`);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (Array.isArray(error)) return error.map((e) => (e as { message?: string }).message ?? String(e)).join('; ');
  if (error && typeof error === 'object' && 'reason' in error) return String((error as { reason: unknown }).reason);
  return String(error);
}

export function graphqlEndpoint(api: string): string {
  let url: URL;
  try {
    url = new URL(api);
  } catch {
    throw new CliError(
      `--api must be a URL such as https://postern.example.com (got ${JSON.stringify(api)})`,
      EXIT.usage,
    );
  }
  if (url.protocol !== 'https:' && !isLoopbackHttp(url)) {
    throw new CliError(
      `refusing to send your token over plain http to ${url.host}: use an https:// API URL`,
      EXIT.usage,
    );
  }
  if (!url.pathname.endsWith('/graphql')) url.pathname = `${url.pathname.replace(/\/+$/, '')}/graphql`;
  return url.href;
}
