/* global AbortController */
// The agent's MySQL engine alone in a process of its own (from apps/agent/dist), for
// bench/mysql.mjs and the agent's large-result test (which measures this process's memory):
//
//   node bench/mysql-gateway.mjs   (settings in the environment, below)
//
// A TCP listener on 127.0.0.1 (port 0 unless MYSQL_GATEWAY_PORT) whose connections go to
// `MysqlEngine.serve` with a minimal context: two connections to the same target database,
// `bench` (no rules) and `bench_policy` (guardrails and masking scoped to it, "policy on");
// the credential MYSQL_GATEWAY_CREDENTIAL for the user MYSQL_GATEWAY_USER; recording and audit
// events counted, not shipped (the real agent spools them to disk and ships them: not measured
// here). Prints one JSON line {"msg":"mysql gateway listening","port":N,"pid":P} when ready.
//
//   MYSQL_GATEWAY_TARGET     host:port of the target (127.0.0.1:3306)
//   MYSQL_GATEWAY_DATABASE   the target database (required)
//   MYSQL_GATEWAY_TARGET_USER / MYSQL_GATEWAY_TARGET_PASSWORD   the agent's login to the target
//   MYSQL_GATEWAY_USER / MYSQL_GATEWAY_CREDENTIAL               what clients present (bench / postern_conn_bench)
//   MYSQL_GATEWAY_MASK       comma-separated column patterns masked on bench_policy
//                            (sbtest*.c,stream_rows.a,stream_rows.b,stream_rows.c)
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const { MysqlEngine, compileMysqlPolicy } = await import(join(ROOT, 'apps/agent/dist/engines/mysql/index.js'));
const { initSqlParser } = await import(join(ROOT, 'libs/policy-mysql/dist/index.js'));
const { createLogger } = await import(join(ROOT, 'libs/logging/dist/index.js'));

const env = process.env;
const [targetHost, targetPort] = (env.MYSQL_GATEWAY_TARGET ?? '127.0.0.1:3306').split(':');
const database = env.MYSQL_GATEWAY_DATABASE;
if (!database) {
  process.stderr.write('MYSQL_GATEWAY_DATABASE is required\n');
  process.exit(2);
}
const targetUser = env.MYSQL_GATEWAY_TARGET_USER ?? 'root';
const targetPassword = env.MYSQL_GATEWAY_TARGET_PASSWORD ?? '';
const user = env.MYSQL_GATEWAY_USER ?? 'bench';
const credential = env.MYSQL_GATEWAY_CREDENTIAL ?? 'postern_conn_bench';
const masked = (env.MYSQL_GATEWAY_MASK ?? 'sbtest*.c,stream_rows.a,stream_rows.b,stream_rows.c')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

await initSqlParser();
const hashKey = Buffer.from('bench-masking-key-0123456789abcdef');
const none = compileMysqlPolicy({ guardrails: [], approvals: [], masking: [] }, hashKey);
const rules = compileMysqlPolicy(
  {
    guardrails: [
      {
        id: 'g1',
        name: 'no ddl',
        connectionIds: [],
        groups: [],
        match: { statementKinds: ['DROP', 'TRUNCATE', 'ALTER'] },
      },
      { id: 'g2', name: 'no unfiltered writes', connectionIds: [], groups: [], match: { missingWhere: true } },
      { id: 'g3', name: 'no server files', connectionIds: [], groups: [], match: { functions: ['load_file'] } },
    ],
    approvals: [],
    masking:
      masked.length === 0
        ? []
        : [
            {
              id: 'm1',
              name: 'bench columns',
              connectionIds: [],
              exemptGroups: [],
              spec: { columns: masked, style: 'redact' },
            },
          ],
  },
  hashKey,
);

const logger = createLogger({ name: 'mysql-gateway', level: env.MYSQL_GATEWAY_LOG_LEVEL ?? 'warn' });
const engine = new MysqlEngine({ logger });
const counters = { sessions: 0, recorded: 0, audits: 0 };

function connection(name) {
  if (name !== 'bench' && name !== 'bench_policy') return null;
  return {
    id: `conn-${name}`,
    name,
    protocol: 'mysql',
    target: {
      host: targetHost,
      port: Number(targetPort),
      user: targetUser,
      secretRef: 'env:target',
      tls: { mode: 'disable', caRef: null },
      settings: { database },
    },
    recordingMode: 'strict',
  };
}

const server = createServer({ noDelay: true }, (socket) => {
  counters.sessions++;
  let opened = null;
  const controller = new AbortController();
  socket.on('close', () => controller.abort());
  void engine.serve(socket, {
    sessionId: randomUUID(),
    ingress: 'local',
    clientAddress: `${socket.remoteAddress}:${socket.remotePort}`,
    logger,
    clientTls: null,
    signal: controller.signal,
    resolveConnection: (name, protocol) => (protocol === 'mysql' ? connection(name) : null),
    authenticate: async (_connection, login, password) =>
      login === user && password === credential
        ? { ok: true, principal: { id: 'bench', kind: 'user', displayName: user, groups: [] } }
        : { ok: false, reason: 'invalid_credential', message: 'unknown credential' },
    resolveSecret: async () => targetPassword,
    dialTarget: async (host) => host,
    revealPassword: () => undefined,
    opened: (_principal, conn) => {
      // As the agent's session context does: the session's rules are picked once per policy version.
      opened = { version: '1', ...(conn.name === 'bench_policy' ? rules : none).forSession(conn.id, []) };
    },
    closed: () => undefined,
    policy: () => opened ?? { version: '1', ...none.forSession('', []) },
    requestApproval: () => ({
      reviewId: randomUUID(),
      outcome: Promise.resolve({ outcome: 'approved', decidedBy: 'bench', comment: '' }),
    }),
    record: () => void counters.recorded++,
    audit: () => void counters.audits++,
  });
});
server.listen(Number(env.MYSQL_GATEWAY_PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(
    `${JSON.stringify({ msg: 'mysql gateway listening', port: server.address().port, pid: process.pid })}\n`,
  );
});
const stop = () => {
  process.stdout.write(`${JSON.stringify({ msg: 'mysql gateway stopping', ...counters })}\n`);
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
