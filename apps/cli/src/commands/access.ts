import { spawn } from 'node:child_process';
import type { CommandContext } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { localTime, parseDuration, relative } from '../format.js';
import { endpointFor } from '../gateway.js';
import { clientEnvironment, nativeClient, shellExports, type Minted, type NativeClient } from '../native-clients.js';
import { myAccess, reachable, usable, type Reachable } from '../resolve.js';
import { sshClient } from './ssh.js';
import { exchangeForConnection, withoutSubjectToken, workloadTokenSource } from '../workload.js';

const MINT =
  'mutation($c: ID!, $ttl: Int) { mintMyConnectionCredential(connectionId: $c, ttlSeconds: $ttl) ' +
  '{ password database loginName credential { id expiresAt } } }';

/** `postern connections`: what I can reach now (standing or granted) and what I may request. */
export async function connections(context: CommandContext): Promise<number> {
  const rows = await myAccess(context);
  context.printer.list(
    rows,
    [
      { header: 'name', value: (r: Reachable) => r.name },
      { header: 'protocol', value: (r) => r.protocol },
      { header: 'access', value: (r) => r.access },
      { header: 'until', value: (r) => (r.expiresAt ? `${localTime(r.expiresAt)} (${relative(r.expiresAt)})` : '-') },
      { header: 'operations', value: (r) => r.operations.join(',') },
    ],
    'No connections: ask an administrator for an access rule.',
  );
  return 0;
}

export interface ConnectOptions {
  via?: string;
  ttl?: string;
}

async function mint(context: CommandContext, name: string, options: ConnectOptions) {
  const workload = await workloadTokenSource(context);
  if (workload) {
    // A workload has no API session: its platform token is exchanged for the credential, and
    // the server sets its lifetime (minutes, never past the platform token's).
    if (options.ttl !== undefined)
      throw new CliError('--ttl: a workload credential lives as long as the server allows', EXIT.usage);
    const { connection, minted } = await exchangeForConnection(context, workload, name);
    if (!options.via && !(await context.load()).profile.gateway?.[connection.protocol]) {
      throw new CliError(
        `a workload names where to reach ${connection.protocol}: --via host:port or ` +
          `postern config set gateway.${connection.protocol} host:port`,
        EXIT.usage,
      );
    }
    return { connection, endpoint: await endpointFor(context, connection.protocol, options.via), minted };
  }
  const connection = await usable(context, name);
  const ttlSeconds = options.ttl === undefined ? null : parseDuration(options.ttl);
  if (options.ttl !== undefined && ttlSeconds === null) {
    throw new CliError(`--ttl must be a duration such as 30m or 2h (got ${JSON.stringify(options.ttl)})`, EXIT.usage);
  }
  const endpoint = await endpointFor(context, connection.protocol, options.via);
  const api = await context.api();
  const { mintMyConnectionCredential: minted } = await api.request<{ mintMyConnectionCredential: Minted }>(
    MINT,
    { c: connection.connectionId, ttl: ttlSeconds },
    context.signal,
  );
  return { connection, endpoint, minted };
}

/**
 * `postern connect <name> [-- client args]`: mints a short-lived credential and starts the
 * protocol's own client with it in the environment. Returns the client's exit code.
 */
export async function connect(context: CommandContext, name: string, options: ConnectOptions, extra: string[]) {
  const { connection, endpoint, minted } = await mint(context, name, options);
  const client =
    connection.protocol === 'ssh'
      ? await sshClient(context, endpoint, minted, extra)
      : nativeClient(connection.protocol, endpoint, minted, extra);
  context.printer.note(
    `Connecting to ${name} (${connection.protocol}) at ${endpoint.host}:${endpoint.port} as ${minted.loginName}; ` +
      `credential valid until ${localTime(minted.credential.expiresAt)}.`,
  );
  for (let next: NativeClient | undefined = client; next; next = next.fallback) {
    const code = await runClient(context, next);
    if (code !== null) return code;
  }
  throw new CliError(
    `${[client.command, client.fallback?.command].filter(Boolean).join(' or ')} is not installed (or not on PATH): ` +
      `use postern env ${name} with your own client`,
  );
}

/** Runs a client on the terminal; resolves with its exit code, or null when it is not installed. */
function runClient(context: CommandContext, client: NativeClient): Promise<number | null> {
  return new Promise<number | null>((resolve, reject) => {
    const child = spawn(client.command, client.args, {
      stdio: 'inherit',
      env: { ...withoutSubjectToken(context.env), ...client.env },
    });
    // The client owns the terminal: Ctrl-C is for it (psql cancels the query), not for us.
    const ignore = () => undefined;
    process.on('SIGINT', ignore);
    child.on('error', (error: NodeJS.ErrnoException) => {
      process.off('SIGINT', ignore);
      if (error.code === 'ENOENT') resolve(null);
      else reject(error);
    });
    child.on('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      resolve(code ?? (signal ? 128 + 2 : 1));
    });
  });
}

/** `postern env <name>`: the same credential as variables to `eval`, for tools started another way. */
export async function env(context: CommandContext, name: string, options: ConnectOptions & { shell?: string }) {
  const shell = options.shell ?? 'sh';
  if (shell !== 'sh' && shell !== 'fish') throw new CliError('--shell must be sh or fish', EXIT.usage);
  const { connection, endpoint, minted } = await mint(context, name, options);
  const variables = clientEnvironment(connection.protocol, endpoint, minted);
  if (context.printer.format === 'json') {
    context.output.out(JSON.stringify({ ...variables, expiresAt: minted.credential.expiresAt }, null, 2));
  } else {
    for (const line of shellExports(variables, shell)) context.output.out(line);
  }
  context.printer.note(`# valid until ${localTime(minted.credential.expiresAt)}; eval "$(postern env ${name})"`);
  return 0;
}

export interface RequestOptions {
  for: string;
  reason?: string;
  wait: boolean;
  pollMs?: number;
}

interface ReviewState {
  id: string;
  status: string;
  expiresAt: string;
  decisions: Array<{ approved: boolean; comment: string | null; userName: string }>;
}

/**
 * `postern request-access <name> --for 2h --reason "…"`: asks for just-in-time access and waits
 * (spinner and review link) until it is decided, then says what happened.
 */
export async function requestAccess(context: CommandContext, name: string, options: RequestOptions) {
  const seconds = parseDuration(options.for);
  if (seconds === null) throw new CliError(`--for must be a duration such as 30m or 2h`, EXIT.usage);
  const reason = options.reason?.trim();
  if (!reason) throw new CliError('--reason is required: approvers see it', EXIT.usage);
  const connection = await reachable(context, name);
  if (connection.access !== 'requestable') {
    context.printer.line(
      connection.access === 'standing'
        ? `You already have standing access to ${name}.`
        : `You already have access to ${name} until ${localTime(connection.expiresAt)}.`,
    );
    return 0;
  }
  const api = await context.api();
  const { requestAccess: review } = await api.request<{ requestAccess: ReviewState }>(
    'mutation($input: RequestAccessInput!) { requestAccess(input: $input) { id status expiresAt decisions { approved comment userName } } }',
    { input: { connectionId: connection.connectionId, durationSeconds: seconds, reason } },
    context.signal,
  );
  const link = `${new URL(await context.apiUrl()).origin}/inbox`;
  context.printer.note(
    `Requested ${options.for} of access to ${name} (review ${review.id}); approvers decide at ${link}`,
  );
  if (!options.wait) {
    if (context.printer.format === 'json') context.output.out(JSON.stringify(review, null, 2));
    return 0;
  }
  const decided = await waitForDecision(context, review.id, options.pollMs ?? 2000);
  if (context.printer.format === 'json') context.output.out(JSON.stringify(decided, null, 2));
  const comment = decided.decisions.find((d) => d.comment)?.comment;
  const by = decided.decisions
    .map((d) => d.userName)
    .filter(Boolean)
    .join(', ');
  if (decided.status === 'APPROVED') {
    context.printer.line(
      `Approved${by ? ` by ${by}` : ''}${comment ? `: ${comment}` : ''}. Connect with: postern connect ${name}`,
    );
    return 0;
  }
  context.printer.warn(
    `Your request was ${decided.status.toLowerCase()}${by ? ` by ${by}` : ''}${comment ? `: ${comment}` : ''}.`,
  );
  return EXIT.refused;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

async function waitForDecision(context: CommandContext, id: string, pollMs: number): Promise<ReviewState> {
  const api = await context.api();
  const spin = context.interactive && !context.printer.quiet && context.printer.format === 'table';
  let frame = 0;
  for (;;) {
    const { reviews } = await api.request<{ reviews: ReviewState[] }>(
      '{ reviews(kind: "ACCESS") { id status expiresAt decisions { approved comment userName } } }',
      {},
      context.signal,
    );
    const review = reviews.find((r) => r.id === id);
    if (!review) throw new CliError(`review ${id} is gone`);
    if (review.status !== 'PENDING') {
      if (spin) process.stderr.write('\r\u001b[K');
      return review;
    }
    if (spin) {
      process.stderr.write(
        `\r${SPINNER[frame++ % SPINNER.length]} waiting for an approver (expires ${relative(review.expiresAt)})`,
      );
    }
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, pollMs);
      context.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          reject(
            new CliError(
              'stopped waiting; the request stays pending (postern grants shows it once approved)',
              EXIT.interrupted,
            ),
          );
        },
        { once: true },
      );
    });
  }
}

interface GrantRow {
  id: string;
  connectionId: string;
  expiresAt: string;
  operations: string[];
  reviewId: string | null;
}

/** `postern grants`: my active just-in-time grants. */
export async function grants(context: CommandContext) {
  const api = await context.api();
  const [{ grants: rows }, access] = await Promise.all([
    api.request<{ grants: GrantRow[] }>(
      '{ grants { id connectionId expiresAt operations reviewId } }',
      {},
      context.signal,
    ),
    myAccess(context),
  ]);
  const names = new Map(access.map((c) => [c.connectionId, c.name]));
  context.printer.list(
    rows,
    [
      { header: 'connection', value: (g: GrantRow) => names.get(g.connectionId) ?? g.connectionId },
      { header: 'until', value: (g) => `${localTime(g.expiresAt)} (${relative(g.expiresAt)})` },
      { header: 'operations', value: (g) => g.operations.join(',') },
      { header: 'id', value: (g) => g.id },
    ],
    'No active grants.',
  );
  return 0;
}
