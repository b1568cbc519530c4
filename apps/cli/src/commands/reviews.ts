import type { CommandContext } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { clean, localTime, relative } from '../format.js';
import { recordingEvents } from './sessions.js';

export interface ReviewRow {
  id: string;
  kind: string;
  status: string;
  connectionName: string;
  requesterName: string | null;
  requesterPrincipalId: string;
  command: string | null;
  reason: string | null;
  ruleName: string | null;
  requestedSeconds: number | null;
  requiredApprovals: number;
  createdAt: string;
  expiresAt: string;
  sessionId: string | null;
  decisions: Array<{ approved: boolean; comment: string | null; userName: string; createdAt: string }>;
}

const FIELDS =
  'id kind status connectionName requesterName requesterPrincipalId command reason ruleName requestedSeconds ' +
  'requiredApprovals createdAt expiresAt sessionId decisions { approved comment userName createdAt }';

const STATUSES = ['PENDING', 'APPROVED', 'REJECTED', 'EXPIRED', 'CANCELLED'];

function what(review: ReviewRow): string {
  if (review.kind === 'ACCESS') return `access for ${Math.round((review.requestedSeconds ?? 0) / 60)} min`;
  return (review.command ?? '').replace(/\s+/g, ' ').slice(0, 80);
}

function progress(review: ReviewRow): string {
  const approvals = review.decisions.filter((d) => d.approved).length;
  return `${approvals}/${review.requiredApprovals}`;
}

async function list(context: CommandContext, status: string | undefined): Promise<ReviewRow[]> {
  const api = await context.api();
  const { reviews } = await api.request<{ reviews: ReviewRow[] }>(
    `query($status: String) { reviews(status: $status) { ${FIELDS} } }`,
    { status: status ?? null },
    context.signal,
  );
  return reviews;
}

function print(context: CommandContext, rows: ReviewRow[]): void {
  context.printer.list(
    rows,
    [
      { header: 'id', value: (r: ReviewRow) => r.id },
      { header: 'kind', value: (r) => r.kind },
      { header: 'connection', value: (r) => r.connectionName },
      { header: 'requester', value: (r) => r.requesterName ?? r.requesterPrincipalId },
      { header: 'approvals', value: progress },
      { header: 'expires', value: (r) => (r.status === 'PENDING' ? relative(r.expiresAt) : r.status.toLowerCase()) },
      { header: 'what', value: what },
    ],
    'Nothing waiting for you.',
  );
}

/**
 * `postern reviews [--status S] [--watch]`: what waits for a decision (pending by default). With
 * --watch the list is redrawn as reviews arrive and are decided (GraphQL subscriptions).
 */
export async function reviews(context: CommandContext, options: { status?: string; watch?: boolean }) {
  const status = (options.status ?? 'pending').toUpperCase();
  if (status !== 'ALL' && !STATUSES.includes(status)) {
    throw new CliError(`--status must be one of ${[...STATUSES, 'ALL'].join(', ').toLowerCase()}`, EXIT.usage);
  }
  const filter = status === 'ALL' ? undefined : status;
  if (!options.watch) {
    print(context, await list(context, filter));
    return 0;
  }
  // Subscribe first and list once the API has acknowledged the feeds (their subscribe messages
  // are then ahead of the list query): a review created while the list is read arrives as an
  // event, merged by id, instead of falling between the two.
  const api = await context.api();
  const current = new Map<string, ReviewRow>();
  let listed = false;
  const redraw = () => {
    if (context.interactive && context.printer.format === 'table') context.output.out('\u001b[2J\u001b[H');
    print(
      context,
      [...current.values()].filter((r) => filter === undefined || r.status === filter),
    );
  };
  const onReview = (review: ReviewRow) => {
    current.set(review.id, review);
    if (!listed) return;
    if (context.printer.format === 'json') context.output.out(JSON.stringify(review));
    else redraw();
  };
  const feeds = [
    api.subscribe<{ reviewCreated: ReviewRow }>(
      `subscription { reviewCreated { ${FIELDS} } }`,
      (data) => onReview(data.reviewCreated),
      context.signal,
    ),
    api.subscribe<{ reviewDecided: ReviewRow }>(
      `subscription { reviewDecided { ${FIELDS} } }`,
      (data) => onReview(data.reviewDecided),
      context.signal,
    ),
  ];
  await Promise.all(feeds.map((feed) => feed.ready));
  const rows = await list(context, filter);
  // An event that came while listing is newer than the list's row for the same review.
  const early = new Map(current);
  for (const row of rows) current.set(row.id, early.get(row.id) ?? row);
  listed = true;
  if (context.printer.format === 'json') {
    print(context, rows);
    for (const review of early.values()) context.output.out(JSON.stringify(review));
  } else redraw();
  context.printer.note('Watching for new and decided reviews (Ctrl-C to stop)…');
  await Promise.all(feeds.map((feed) => feed.done));
  return 0;
}

async function find(context: CommandContext, id: string): Promise<ReviewRow> {
  const found = (await list(context, undefined)).find((r) => r.id === id);
  if (!found) throw new CliError(`no review ${id} that you can see`, EXIT.failed);
  return found;
}

/** `postern review <id>`: the request in full, and the requester's recent statements in that session. */
export async function review(context: CommandContext, id: string) {
  const found = await find(context, id);
  const recent =
    found.sessionId === null
      ? []
      : (await recordingEvents(context, found.sessionId))
          .filter((e) => e.type === 'statement')
          .slice(-10)
          .map((e) => String(e.body['sql'] ?? ''));
  if (context.printer.format === 'json') {
    context.output.out(JSON.stringify({ ...found, recentStatements: recent }, null, 2));
    return 0;
  }
  context.printer.item(found, [
    ['review', found.id],
    ['kind', found.kind],
    ['status', found.status],
    ['connection', found.connectionName],
    ['requester', found.requesterName ?? found.requesterPrincipalId],
    ...(found.kind === 'COMMAND' ? ([['command', found.command ?? '']] as [string, string][]) : []),
    ...(found.kind === 'ACCESS'
      ? ([['duration', `${Math.round((found.requestedSeconds ?? 0) / 60)} min`]] as [string, string][])
      : []),
    ['reason', found.reason ?? '-'],
    ['rule', found.ruleName ?? '-'],
    ['approvals', progress(found)],
    ['requested', localTime(found.createdAt)],
    ['expires', `${localTime(found.expiresAt)} (${relative(found.expiresAt)})`],
  ]);
  for (const decision of found.decisions) {
    context.output.out(
      `  ${decision.approved ? context.printer.paint('approved', 'green') : context.printer.paint('rejected', 'red')} by ` +
        `${clean(decision.userName)} at ${localTime(decision.createdAt)}${decision.comment ? `: ${clean(decision.comment)}` : ''}`,
    );
  }
  if (recent.length > 0) {
    context.output.out(context.printer.paint('Recent statements in this session:', 'bold'));
    for (const sql of recent) context.output.out(`  ${clean(sql.replace(/\s+/g, ' ').slice(0, 200))}`);
  }
  return 0;
}

/** `postern approve|reject <id> --comment "…"`. The API refuses your own requests. */
export async function decide(context: CommandContext, id: string, approve: boolean, comment: string | undefined) {
  const api = await context.api();
  const mutation = approve ? 'approveReview' : 'rejectReview';
  const result = await api.request<Record<string, ReviewRow>>(
    `mutation($id: ID!, $comment: String) { ${mutation}(id: $id, comment: $comment) { ${FIELDS} } }`,
    { id, comment: comment ?? null },
    context.signal,
  );
  const decided = result[mutation]!;
  if (context.printer.format === 'json') {
    context.output.out(JSON.stringify(decided, null, 2));
    return 0;
  }
  const state =
    decided.status === 'PENDING'
      ? `recorded; ${progress(decided)} approvals so far`
      : `the review is now ${decided.status.toLowerCase()}`;
  context.printer.line(`${approve ? 'Approved' : 'Rejected'} ${decided.id}: ${state}.`);
  return 0;
}
