import { readFile } from 'node:fs/promises';
import type { CommandContext } from './context.js';
import { CliError, EXIT, UsageError } from './errors.js';
import type { Minted } from './native-clients.js';
import { saveConfig } from './profiles.js';

/**
 * Workloads (CI jobs, pods) sign in with the token their platform gives them instead of a
 * person's OIDC login: `POSTERN_SUBJECT_TOKEN` (the token itself), `POSTERN_TOKEN_FILE` or the
 * profile's `tokenFile` (`postern login --token-file`). The file is read again for every
 * credential, since platforms rotate it (Kubernetes' projected tokens). The token only ever goes
 * to the control plane's RFC 8693 token exchange, which answers with a connection credential.
 */
export type WorkloadTokenSource = { kind: 'env' } | { kind: 'file'; path: string };

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
const MAX_TOKEN_BYTES = 16 * 1024;

export async function workloadTokenSource(context: CommandContext): Promise<WorkloadTokenSource | null> {
  if (context.env['POSTERN_SUBJECT_TOKEN']) return { kind: 'env' };
  const file = context.env['POSTERN_TOKEN_FILE'] || (await context.load()).profile.tokenFile;
  return file ? { kind: 'file', path: file } : null;
}

/** The current platform token: whitespace around it dropped, its shape checked, never printed. */
export async function readSubjectToken(context: CommandContext, source: WorkloadTokenSource): Promise<string> {
  let raw: string;
  if (source.kind === 'env') {
    raw = context.env['POSTERN_SUBJECT_TOKEN'] ?? '';
  } else {
    try {
      raw = await readFile(source.path, 'utf8');
    } catch (error) {
      throw new CliError(
        `cannot read the workload token file ${source.path}: ${(error as NodeJS.ErrnoException).code}`,
        EXIT.signIn,
      );
    }
  }
  const token = raw.trim();
  const where = source.kind === 'env' ? 'POSTERN_SUBJECT_TOKEN' : source.path;
  if (token.length === 0) throw new CliError(`the workload token in ${where} is empty`, EXIT.signIn);
  if (token.length > MAX_TOKEN_BYTES || !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) {
    throw new CliError(`the workload token in ${where} is not a JWT`, EXIT.signIn);
  }
  return token;
}

interface ExchangeAnswer {
  access_token: string;
  issued_token_type: string;
  token_type: string;
  expires_in: number;
  login_name: string;
  connection: { id: string; name: string; protocol: string; database: string };
}

/** Exchanges the workload's token for a credential of connection `name` (RFC 8693). */
export async function exchangeForConnection(
  context: CommandContext,
  source: WorkloadTokenSource,
  name: string,
): Promise<{ connection: { connectionId: string; name: string; protocol: string }; minted: Minted }> {
  const subjectToken = await readSubjectToken(context, source);
  const url = new URL('/oauth/token', await context.apiUrl());
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: TOKEN_EXCHANGE_GRANT,
        subject_token: subjectToken,
        subject_token_type: JWT_TOKEN_TYPE,
        audience: name,
      }),
      signal: context.signal,
    });
  } catch (error) {
    throw new CliError(`cannot reach ${url.origin}: ${(error as Error).message}`);
  }
  const body = (await response.json().catch(() => null)) as
    (Partial<ExchangeAnswer> & { error?: string; error_description?: string }) | null;
  if (!response.ok || !body?.access_token || !body.connection || !body.login_name) {
    const reason = body?.error_description ?? body?.error ?? `HTTP ${response.status}`;
    const code =
      body?.error === 'invalid_target' ? EXIT.denied : body?.error === 'invalid_grant' ? EXIT.signIn : EXIT.failed;
    throw new CliError(`the token exchange was refused: ${reason}`, code);
  }
  const expiresAt = new Date(Date.now() + (body.expires_in ?? 0) * 1000).toISOString();
  return {
    connection: { connectionId: body.connection.id, name: body.connection.name, protocol: body.connection.protocol },
    minted: {
      password: body.access_token,
      database: body.connection.database,
      loginName: body.login_name,
      credential: { id: 'exchanged', expiresAt },
    },
  };
}

/** `postern login --token-file <path>`: checks the file now, remembers it in the profile. */
export async function rememberTokenFile(context: CommandContext, path: string, api: string | null): Promise<number> {
  if (path.length === 0) throw new UsageError('--token-file needs a path');
  const token = await readSubjectToken(context, { kind: 'file', path });
  const claims = unverifiedClaims(token);
  const { config, name, profile } = await context.load();
  config.profiles[name] = { ...profile, tokenFile: path, ...(api ? { api } : {}) };
  await saveConfig(context.env, config);
  context.printer.note(
    `Workload sign-in: the token in ${path} (issuer ${claims.iss ?? '?'}, subject ${claims.sub ?? '?'}) is ` +
      `exchanged at ${await context.apiUrl()}/oauth/token for each credential, and read again every time.`,
  );
  return 0;
}

/** For display only: what the token says about itself (the control plane verifies it). */
function unverifiedClaims(token: string): { iss?: string; sub?: string } {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    return {
      ...(typeof payload['iss'] === 'string' ? { iss: payload['iss'].slice(0, 120) } : {}),
      ...(typeof payload['sub'] === 'string' ? { sub: payload['sub'].slice(0, 120) } : {}),
    };
  } catch {
    return {};
  }
}

/** The environment handed to a client (psql, ssh…): the platform token stays with the CLI. */
export function withoutSubjectToken(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { POSTERN_SUBJECT_TOKEN: _token, ...rest } = env;
  return rest;
}
