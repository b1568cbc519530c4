import type { CommandContext } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { clean, localTime } from '../format.js';
import { castLines, terminalRecordings } from '@postern/recording-format';

interface SessionRow {
  id: string;
  connectionName: string;
  principalName: string | null;
  principalId: string;
  status: string;
  startedAt: string;
  endedAt: string | null;
  endReason: string | null;
  statementCount: number;
  ingress: string;
}

/** One recorded event: its type, when, and the rest of its fields. */
export interface RecordedEvent {
  type: string;
  at: number;
  body: Record<string, unknown>;
}

const SESSION_FIELDS =
  'id connectionName principalName principalId status startedAt endedAt endReason statementCount ingress';

/** `postern sessions`: most recent first, filtered by connection name, user, status. */
export async function sessions(
  context: CommandContext,
  options: { connection?: string; user?: string; status?: string; limit?: string },
) {
  const limit = options.limit === undefined ? 50 : Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new CliError('--limit must be 1..500', EXIT.usage);
  const api = await context.api();
  const { sessions: rows } = await api.request<{ sessions: SessionRow[] }>(
    `query($status: String, $limit: Int) { sessions(status: $status, limit: $limit) { ${SESSION_FIELDS} } }`,
    { status: options.status?.toUpperCase() ?? null, limit: options.user || options.connection ? 500 : limit },
    context.signal,
  );
  const user = options.user?.toLowerCase();
  const filtered = rows
    .filter((s) => !options.connection || s.connectionName === options.connection)
    .filter((s) => !user || (s.principalName ?? '').toLowerCase().includes(user) || s.principalId === options.user)
    .slice(0, limit);
  context.printer.list(
    filtered,
    [
      { header: 'id', value: (s: SessionRow) => s.id },
      { header: 'connection', value: (s) => s.connectionName },
      { header: 'user', value: (s) => s.principalName ?? s.principalId },
      { header: 'started', value: (s) => localTime(s.startedAt) },
      { header: 'status', value: (s) => s.status.toLowerCase() },
      { header: 'ended', value: (s) => s.endReason ?? '-' },
      { header: 'statements', value: (s) => String(s.statementCount) },
    ],
    'No sessions match.',
  );
  return 0;
}

/** Every event of a session's recording, page by page. */
export async function recordingEvents(context: CommandContext, sessionId: string): Promise<RecordedEvent[]> {
  const api = await context.api();
  const events: RecordedEvent[] = [];
  let afterSeq: number | null = null;
  for (let pages = 0; pages < 10_000; pages += 1) {
    const {
      sessionRecording: page,
    }: { sessionRecording: { events: Array<{ type: string; json: string }>; nextSeq: number | null } } =
      await api.request(
        'query($id: ID!, $after: Int) { sessionRecording(sessionId: $id, afterSeq: $after, limit: 100) { events { type json } nextSeq } }',
        { id: sessionId, after: afterSeq },
        context.signal,
      );
    for (const event of page.events) {
      const parsed = JSON.parse(event.json) as Record<string, unknown>;
      const { type: _type, at, ...body } = parsed;
      events.push({ type: event.type, at: typeof at === 'number' ? at : 0, body });
    }
    if (page.nextSeq === null || page.nextSeq === undefined) break;
    afterSeq = page.nextSeq - 1;
  }
  return events;
}

/**
 * `postern replay <id> [--speed N]`: a database session as a timeline — each statement with its
 * time, duration, rows and error, each decision (blocked, held, approved, masked) before the
 * statement it concerns. `--speed 0` prints at once; otherwise gaps are replayed N times faster.
 */
export async function replay(
  context: CommandContext,
  id: string,
  options: { speed?: string; cast?: boolean; terminal?: string },
) {
  const speed = options.speed === undefined ? 0 : Number(options.speed);
  if (!Number.isFinite(speed) || speed < 0) throw new CliError('--speed must be 0 (at once) or more', EXIT.usage);
  const events = await recordingEvents(context, id);
  if (events.length === 0) throw new CliError(`session ${id} has no recording (yet)`);
  if (options.cast) return cast(context, id, events, options.terminal);
  if (context.printer.format === 'json') {
    context.output.out(JSON.stringify(events, null, 2));
    return 0;
  }
  const start = events[0]!.at;
  const { paint } = context.printer;
  let previous = start;
  for (const event of events) {
    if (speed > 0 && event.at > previous) {
      await delay(Math.min(5_000, (event.at - previous) / speed), context.signal);
    }
    previous = event.at;
    const offset = `+${((event.at - start) / 1000).toFixed(3)}s`.padStart(10);
    context.output.out(`${paint(offset, 'dim')}  ${describeEvent(event, paint)}`);
  }
  return 0;
}

/**
 * `postern replay <id> --cast [--terminal <key>]`: one terminal of the session (an SSH shell or
 * exec, a Kubernetes exec) as an asciicast v2 file on stdout, for `asciinema play` or any player.
 * Without --terminal, the first; the others are named on stderr.
 */
function cast(context: CommandContext, id: string, events: RecordedEvent[], key: string | undefined): number {
  const terminals = terminalRecordings(events);
  if (terminals.length === 0) throw new CliError(`session ${id} recorded no terminal (shell or exec)`);
  const chosen = key === undefined ? terminals[0] : terminals.find((t) => t.key === key);
  if (!chosen) {
    throw new CliError(
      `no terminal ${key} in session ${id}; it has: ${terminals.map((t) => t.key).join(', ')}`,
      EXIT.usage,
    );
  }
  if (key === undefined && terminals.length > 1) {
    context.output.err(
      `${terminals.length} terminals in this session; writing ${chosen.key} (${clean(chosen.title)}). Others: ` +
        terminals
          .slice(1)
          .map((t) => `${t.key} (${clean(t.title)})`)
          .join(', '),
    );
  }
  for (const line of castLines(chosen)) context.output.out(line);
  return 0;
}

function describeEvent(event: RecordedEvent, paint: CommandContext['printer']['paint']): string {
  const b = event.body;
  switch (event.type) {
    case 'session.start': {
      const principal = b['principal'] as { displayName?: string } | null;
      const connection = b['connection'] as { name?: string; protocol?: string } | undefined;
      return paint(
        `session start: ${clean(principal?.displayName ?? '?')} on ${clean(connection?.name ?? '?')} ` +
          `(${String(connection?.protocol ?? '')}, ${String(b['ingress'])} ingress from ${clean(String(b['clientAddress'] ?? ''))})`,
        'bold',
      );
    }
    case 'session.end':
      return paint(
        `session end: ${String(b['endReason'])}${b['error'] ? ` (${clean(String(b['error']))})` : ''}`,
        'bold',
      );
    case 'recording.gap':
      return paint(`recording gap: ${String(b['droppedEvents'])} events lost`, 'yellow');
    case 'decision': {
      const decision = String(b['decision']);
      const style =
        decision === 'blocked' || decision === 'rejected' ? 'red' : decision === 'approved' ? 'green' : 'yellow';
      const details = Object.entries(b)
        .filter(([key]) => !['kind', 'decision', 'ruleId'].includes(key))
        .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
        .join(' ');
      return paint(`[${decision}] ${String(b['kind'])}${details ? ` ${clean(details.slice(0, 200))}` : ''}`, style);
    }
    case 'statement': {
      const error = b['error'] as { code?: string; message?: string } | undefined;
      const sql = clean(
        String(b['sql'] ?? '')
          .replace(/\s+/g, ' ')
          .slice(0, 300),
      );
      const outcome = error
        ? paint(`ERROR ${error.code ?? ''} ${clean(error.message ?? '')}`, 'red')
        : `${String(b['rows'] ?? 0)} rows`;
      return `${sql}  ${paint(`(${String(b['durationMs'] ?? 0)} ms, ${outcome})`, 'dim')}`;
    }
    default:
      return `${event.type} ${clean(JSON.stringify(b).slice(0, 200))}`;
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new CliError('interrupted', EXIT.interrupted));
      },
      { once: true },
    );
  });
}

interface Verification {
  ok: boolean;
  complete: boolean;
  purged: boolean;
  chunks: number;
  headHash: string | null;
  problems: Array<{ seq: number; problem: string; detail: string }>;
}

/** `postern verify <id>`: the recording's hash chain checked by the control plane; exit 1 when broken. */
export async function verify(context: CommandContext, id: string) {
  const api = await context.api();
  const { verifySessionRecording: result } = await api.request<{ verifySessionRecording: Verification }>(
    'query($id: ID!) { verifySessionRecording(sessionId: $id) { ok complete purged chunks headHash problems { seq problem detail } } }',
    { id },
    context.signal,
  );
  if (context.printer.format === 'json') context.output.out(JSON.stringify(result, null, 2));
  else {
    const verdict = result.ok ? context.printer.paint('intact', 'green') : context.printer.paint('BROKEN', 'red');
    context.output.out(
      `Recording of ${id}: ${verdict} (${result.chunks} chunks, ${result.complete ? 'complete' : 'incomplete'}` +
        `${result.purged ? ', purged' : ''})${result.headHash ? `, head ${result.headHash}` : ''}`,
    );
    for (const problem of result.problems) {
      context.output.out(`  chunk ${problem.seq}: ${clean(problem.problem)} ${clean(problem.detail)}`);
    }
  }
  return result.ok ? 0 : EXIT.failed;
}
