import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Provider } from 'urql';
import { describe, expect, test } from 'vitest';
import { MeProvider, type Me } from '../../auth/me';
import { BOB, review } from '../../test/fixtures';
import { fakeApi } from '../../test/fake-api';
import { InboxPage } from './InboxPage';
import { LiveConnectionContext } from './live';

function renderInbox(me: Me, initial: ReturnType<typeof review>[] = []) {
  let current = initial;
  const connected = new Set<() => void>();
  const api = fakeApi({
    Reviews: (variables) => ({
      data: {
        reviews: current.filter((r) => !variables['status'] || r.status === variables['status']),
      },
    }),
    ApproveReview: (variables) => {
      const decided = review({
        status: 'APPROVED',
        decidedAt: new Date().toISOString(),
        decisions: [
          {
            __typename: 'ReviewDecision',
            userId: me.id,
            userName: 'bob@example.com',
            approved: true,
            comment: variables['comment'],
            createdAt: new Date().toISOString(),
          },
        ],
      });
      current = [decided];
      return { data: { approveReview: decided } };
    },
  });
  render(
    <Provider value={api.client}>
      <LiveConnectionContext.Provider
        value={(listener) => {
          connected.add(listener);
          return () => connected.delete(listener);
        }}
      >
        <MeProvider me={me}>
          <InboxPage />
        </MeProvider>
      </LiveConnectionContext.Provider>
    </Provider>,
  );
  return {
    ...api,
    /** The server's list changes while the socket is down; then it reconnects. */
    reconnect(reviews: ReturnType<typeof review>[]) {
      current = reviews;
      connected.forEach((listener) => listener());
    },
  };
}

describe('reviewer inbox', () => {
  test('a review pushed by the server appears without a reload, with its command, requester, rule and progress', async () => {
    const api = renderInbox(BOB);
    expect(await screen.findByText('Nothing waits for a decision.')).toBeInTheDocument();

    api.push('ReviewCreated', { reviewCreated: review() });

    const pending = screen.getByRole('region', { name: 'pending reviews' });
    const card = await within(pending).findByRole('article', { name: 'Held command on shop' });
    expect(within(card).getByLabelText('command')).toHaveTextContent("UPDATE refunds SET state = 'paid' WHERE id = 1");
    expect(card).toHaveTextContent('Alice Engineer');
    expect(card).toHaveTextContent('refund changes');
    expect(card).toHaveTextContent('0 of 1 approval');
    expect(within(card).getByRole('button', { name: 'Approve' })).toBeEnabled();

    // Decided elsewhere: it leaves pending and shows, decided, in the recent list — no refetch.
    api.push('ReviewDecided', {
      reviewDecided: {
        __typename: 'Review',
        id: 'r-1',
        status: 'EXPIRED',
        decidedAt: new Date().toISOString(),
        decisions: [],
      },
    });
    expect(await within(pending).findByText('Nothing waits for a decision.')).toBeInTheDocument();
    const decided = screen.getByRole('region', { name: 'decided reviews' });
    expect(await within(decided).findByLabelText('status EXPIRED')).toBeInTheDocument();
    expect(api.calls.filter((c) => c.name === 'Reviews')).toHaveLength(2);
  });

  test('approve with a comment sends it; the decided review moves out of pending, in place', async () => {
    const api = renderInbox(BOB, [review()]);
    const pending = screen.getByRole('region', { name: 'pending reviews' });
    const card = await within(pending).findByRole('article', { name: 'Held command on shop' });
    await userEvent.type(within(card).getByLabelText('Comment'), 'refund checked');
    await userEvent.click(within(card).getByRole('button', { name: 'Approve' }));

    expect(api.calls).toContainEqual({ name: 'ApproveReview', variables: { id: 'r-1', comment: 'refund checked' } });
    expect(await within(pending).findByText('Nothing waits for a decision.')).toBeInTheDocument();
    const decided = screen.getByRole('region', { name: 'decided reviews' });
    expect(await within(decided).findByLabelText('status APPROVED')).toBeInTheDocument();
    expect(decided).toHaveTextContent('bob@example.com approved: “refund checked”');
  });

  test('a decision pushed by another approver updates the card in place', async () => {
    const api = renderInbox(BOB, [review()]);
    const pending = screen.getByRole('region', { name: 'pending reviews' });
    await within(pending).findByRole('article', { name: 'Held command on shop' });
    api.push('ReviewDecided', {
      reviewDecided: {
        __typename: 'Review',
        id: 'r-1',
        status: 'REJECTED',
        decidedAt: new Date().toISOString(),
        decisions: [
          {
            __typename: 'ReviewDecision',
            userId: 'u-carol',
            userName: 'carol@example.com',
            approved: false,
            comment: 'not today',
            createdAt: new Date().toISOString(),
          },
        ],
      },
    });
    expect(await within(pending).findByText('Nothing waits for a decision.')).toBeInTheDocument();
  });

  test('a review created while the socket was down shows once it reconnects', async () => {
    const api = renderInbox(BOB);
    expect(await screen.findByText('Nothing waits for a decision.')).toBeInTheDocument();
    act(() => api.reconnect([review({ id: 'r-9', connectionName: 'ledger' })]));
    expect(await screen.findByRole('article', { name: 'Held command on ledger' })).toBeInTheDocument();
  });

  test('the requester sees their own request without approve or reject', async () => {
    renderInbox({ ...BOB, id: 'u-alice' }, [review()]);
    const card = await screen.findByRole('article', { name: 'Held command on shop' });
    expect(within(card).queryByRole('button', { name: 'Approve' })).toBeNull();
    expect(within(card).queryByRole('button', { name: 'Reject' })).toBeNull();
    expect(card).toHaveTextContent('This is your own request');
  });

  test('keyboard: j/k select, a approves the selected review', async () => {
    const api = renderInbox(BOB, [review(), review({ id: 'r-2', connectionName: 'ledger' })]);
    await screen.findByRole('article', { name: 'Held command on ledger' });
    await userEvent.keyboard('j');
    expect(screen.getByRole('article', { name: 'Held command on ledger' })).toHaveClass('review-selected');
    await userEvent.keyboard('a');
    expect(api.calls).toContainEqual({ name: 'ApproveReview', variables: { id: 'r-2', comment: null } });
  });
});
