import { pino, type Logger, type DestinationStream, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths whose values never reach a log line. Secrets travel in these fields across Postern
 * (tokens, credentials, passwords, authorization headers); redaction is by key so a value logged
 * by mistake in an object is still hidden. Keys are matched at the top level and one level down.
 */
export const REDACTED_KEYS = [
  'password',
  'passwd',
  'secret',
  'token',
  'accessToken',
  'refreshToken',
  'idToken',
  'credential',
  'enrollmentToken',
  'adminToken',
  'bootstrapAdminToken',
  'authorization',
  'cookie',
  'privateKey',
  'connectionString',
  'databaseUrl',
  'redisUrl',
] as const;

const REDACT_PATHS = REDACTED_KEYS.flatMap((key) => [key, `*.${key}`]).concat([
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'metadata.authorization',
]);

export interface LoggerOptions {
  name: string;
  level?: LevelWithSilent;
  /** Where JSON lines go; stdout by default. Tests pass a memory stream. */
  destination?: DestinationStream;
  base?: Record<string, unknown>;
}

/** JSON logs, one object per line, with secrets redacted; the only logger factory in Postern. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: options.name,
      level: options.level ?? 'info',
      base: { pid: process.pid, ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

/**
 * Removes the password from a connection URL so it can be named in an error message
 * ("cannot reach PostgreSQL at postgresql://postern@db:5432/postern").
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}
