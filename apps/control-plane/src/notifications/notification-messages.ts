import type { ReviewEvent } from '../reviews/review-events.js';
import type { Review } from '../reviews/review.types.js';

/** Bounds on what a notification carries (commands are up to 16 KiB; comments up to 1000 chars). */
const MAX_WEBHOOK_COMMAND = 4096;
const MAX_SLACK_COMMAND = 1000;
const MAX_TEXT = 1000;
const MAX_NAME = 200;

/** The review's page in the dashboard, optionally with the decision to offer; null without a dashboard URL. */
export function reviewLink(
  dashboardUrl: string | null,
  reviewId: string,
  decision?: 'approve' | 'reject',
): string | null {
  if (!dashboardUrl) return null;
  return `${dashboardUrl}/reviews/${encodeURIComponent(reviewId)}${decision ? `?decision=${decision}` : ''}`;
}

/**
 * The webhook body: the event id (stable across attempts and retries), its type, when it
 * happened, the review and its dashboard link. Text fields are bounded; the command as the agent
 * masked it.
 */
export function webhookBody(event: ReviewEvent, dashboardUrl: string | null): string {
  const r = event.review;
  const command = r.command === null ? null : bound(r.command, MAX_WEBHOOK_COMMAND);
  return JSON.stringify({
    id: event.id,
    type: event.type,
    occurredAt: event.occurredAt.toISOString(),
    review: {
      id: r.id,
      kind: r.kind,
      status: r.status,
      connection: { id: r.connectionId, name: r.connectionName },
      requester: { id: r.requesterPrincipalId, userId: r.requesterId, name: nullableBound(r.requesterName, MAX_NAME) },
      command,
      commandTruncated: command !== null && command !== r.command,
      reason: nullableBound(r.reason, MAX_TEXT),
      ruleName: r.ruleName,
      sessionId: r.sessionId,
      approverGroups: r.approverGroups,
      requiredApprovals: r.requiredApprovals,
      requestedSeconds: r.requestedSeconds,
      createdAt: r.createdAt.toISOString(),
      expiresAt: r.expiresAt.toISOString(),
      decidedAt: r.decidedAt?.toISOString() ?? null,
      decisions: r.decisions.map((d) => ({
        userId: d.userId,
        user: bound(d.userName, MAX_NAME),
        approved: d.approved,
        comment: nullableBound(d.comment, MAX_TEXT),
        at: d.createdAt.toISOString(),
      })),
    },
    dashboardUrl: reviewLink(dashboardUrl, r.id),
  });
}

/**
 * A Slack incoming-webhook message: a summary line (also the notification text), the review's
 * fields, the command, and links into the dashboard — Approve/Reject for a new review (they open
 * the review; deciding still takes a signed-in approver). Everything from users is escaped for
 * Slack's mrkdwn, so a command cannot mention @channel or forge a link.
 */
export function slackBody(event: ReviewEvent, dashboardUrl: string | null): string {
  const r = event.review;
  const headline = slackHeadline(event);
  const requester = escape(bound(r.requesterName ?? r.requesterPrincipalId, MAX_NAME));
  const links =
    event.type === 'review.created'
      ? [
          { text: 'Approve', url: reviewLink(dashboardUrl, r.id, 'approve'), style: 'primary' },
          { text: 'Reject', url: reviewLink(dashboardUrl, r.id, 'reject'), style: 'danger' },
        ]
      : [{ text: 'Open in Postern', url: reviewLink(dashboardUrl, r.id), style: undefined }];
  const linked = links.filter((l): l is typeof l & { url: string } => l.url !== null);
  const text = [`${headline} (requested by ${requester})`, ...linked.map((l) => `<${l.url}|${l.text}>`)].join(' · ');

  const fields = [
    `*Requester*\n${requester}`,
    `*Connection*\n${escape(bound(r.connectionName, MAX_NAME))}`,
    r.ruleName ? `*Rule*\n${escape(bound(r.ruleName, MAX_NAME))}` : null,
    event.type === 'review.created'
      ? `*Expires*\n<!date^${Math.floor(r.expiresAt.getTime() / 1000)}^{date_short_pretty} {time}|${r.expiresAt.toISOString()}>`
      : `*Status*\n${r.status}`,
  ].filter((f): f is string => f !== null);
  const detail = r.command
    ? `\`\`\`${escape(bound(r.command, MAX_SLACK_COMMAND)).replace(/`/g, '`\u200b')}\`\`\``
    : r.reason
      ? `*Reason*\n${escape(bound(r.reason, MAX_SLACK_COMMAND))}`
      : null;
  const blocks: unknown[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `*${headline}*` } },
    { type: 'section', fields: fields.map((f) => ({ type: 'mrkdwn', text: f })) },
    ...(detail ? [{ type: 'section', text: { type: 'mrkdwn', text: detail } }] : []),
    ...(linked.length > 0
      ? [
          {
            type: 'actions',
            elements: linked.map((l) => ({
              type: 'button',
              text: { type: 'plain_text', text: l.text },
              url: l.url,
              ...(l.style ? { style: l.style } : {}),
            })),
          },
        ]
      : []),
    { type: 'context', elements: [{ type: 'mrkdwn', text: `Postern review ${r.id}` }] },
  ];
  return JSON.stringify({ text, blocks });
}

function slackHeadline(event: ReviewEvent): string {
  const r = event.review;
  const what = r.kind === 'COMMAND' ? 'Command review' : 'Access request';
  const on = `on ${escape(bound(r.connectionName, MAX_NAME))}`;
  switch (event.type) {
    case 'review.created':
      return `${what} ${on} waits for approval`;
    case 'review.approved':
      return `${what} ${on} approved by ${deciders(r, true)}`;
    case 'review.rejected':
      return `${what} ${on} rejected${r.decisions.some((d) => !d.approved) ? ` by ${deciders(r, false)}` : ''}`;
    case 'review.expired':
      return `${what} ${on} expired without a decision`;
    case 'review.cancelled':
      return `${what} ${on} cancelled (the session ended)`;
  }
}

function deciders(review: Review, approved: boolean): string {
  return escape(
    bound(
      review.decisions
        .filter((d) => d.approved === approved)
        .map((d) => d.userName)
        .join(', '),
      MAX_NAME,
    ),
  );
}

/** Slack mrkdwn control characters. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** At most `max` UTF-16 units, never splitting a surrogate pair, with an ellipsis when cut. */
export function bound(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

function nullableBound(text: string | null, max: number): string | null {
  return text === null ? null : bound(text, max);
}
