import { describe, expect, test } from '@jest/globals';
import type { ReviewEvent } from '../reviews/review-events.js';
import type { Review } from '../reviews/review.types.js';
import { bound, slackBody, webhookBody } from './notification-messages.js';

const review: Review = {
  id: '2f3df3a3-603d-4510-a754-20f2f30a2e69',
  kind: 'COMMAND',
  status: 'PENDING',
  requesterId: null,
  requesterPrincipalId: 'oidc:mallory',
  requesterName: 'Mallory <!channel>',
  connectionId: '6b99fb42-e061-47c6-ab55-be69bb8afb96',
  connectionName: 'ledger',
  sessionId: null,
  ruleId: null,
  ruleName: 'deletes',
  command: `DELETE FROM t WHERE note = '\`\`\` <https://evil.example|click>' ${'x'.repeat(20_000)}`,
  reason: null,
  requestedSeconds: null,
  approverGroups: ['approvers'],
  requiredApprovals: 1,
  expiresAt: new Date('2026-01-01T10:05:00Z'),
  decidedAt: null,
  createdAt: new Date('2026-01-01T10:00:00Z'),
  decisions: [],
};
const event: ReviewEvent = { id: 'e1', type: 'review.created', occurredAt: review.createdAt, review };

describe('notification messages', () => {
  test('the webhook body carries the review with a bounded command and the dashboard link', () => {
    const body = JSON.parse(webhookBody(event, 'https://dash.example.com')) as {
      review: { command: string; commandTruncated: boolean };
      dashboardUrl: string;
    };
    expect(body.review.command.length).toBeLessThanOrEqual(4096);
    expect(body.review.commandTruncated).toBe(true);
    expect(body.dashboardUrl).toBe(`https://dash.example.com/reviews/${review.id}`);
    expect(JSON.parse(webhookBody(event, null)).dashboardUrl).toBeNull();
  });

  test('Slack gets escaped, bounded text with approve and reject links', () => {
    const message = JSON.parse(slackBody(event, 'https://dash.example.com')) as { text: string; blocks: unknown[] };
    expect(message.text).toContain(`<https://dash.example.com/reviews/${review.id}?decision=approve|Approve>`);
    expect(message.text).toContain(`<https://dash.example.com/reviews/${review.id}?decision=reject|Reject>`);
    const all = JSON.stringify(message);
    expect(all).not.toContain('<!channel>');
    expect(all).not.toContain('<https://evil.example');
    expect(all).not.toContain('``` <');
    expect(all.length).toBeLessThan(4000);
    const decided = JSON.parse(
      slackBody(
        {
          ...event,
          type: 'review.rejected',
          review: {
            ...review,
            status: 'REJECTED',
            decisions: [
              { userId: 'u', userName: 'bob@example.com', approved: false, comment: null, createdAt: new Date() },
            ],
          },
        },
        null,
      ),
    ) as { text: string };
    expect(decided.text).toBe(
      'Command review on ledger rejected by bob@example.com (requested by Mallory &lt;!channel&gt;)',
    );
  });

  test('bound never splits a surrogate pair', () => {
    expect(bound('abc', 3)).toBe('abc');
    expect(bound('abcd', 3)).toBe('ab…');
    expect(bound('a😀b', 3)).toBe('a…');
  });
});
