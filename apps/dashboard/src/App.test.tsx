import { act, render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { Provider } from 'urql';
import { describe, expect, test } from 'vitest';
import { App } from './App';
import { ALICE, BOB } from './test/fixtures';
import { fakeApi, type Resolver } from './test/fake-api';

function renderApp(me: Resolver, path = '/') {
  const ended = new Set<() => void>();
  const api = fakeApi({
    Me: me,
    Reviews: () => ({ data: { reviews: [] } }),
    MyAccess: () => ({ data: { myAccess: [], gateway: { __typename: 'Gateway', relays: [] } } }),
  });
  render(
    <Provider value={api.client}>
      <MemoryRouter initialEntries={[path]}>
        <App
          onSignOut={() => undefined}
          onSessionEnded={(listener) => {
            ended.add(listener);
            return () => ended.delete(listener);
          }}
        />
      </MemoryRouter>
    </Provider>,
  );
  return { endSession: () => act(() => ended.forEach((listener) => listener())) };
}

describe('the shell', () => {
  test('signed out: a Sign in link through the control plane, back to where you were', async () => {
    renderApp(() => ({ errors: [{ message: 'authentication required', extensions: { code: 'UNAUTHENTICATED' } }] }));
    const link = await screen.findByRole('link', { name: 'Sign in' });
    expect(link.getAttribute('href')).toMatch(/^\/auth\/login\?redirect=/);
  });

  test('who you are and your roles; an approver gets the inbox, a requester does not', async () => {
    renderApp(() => ({ data: { me: BOB } }));
    expect(await screen.findByLabelText('signed in as')).toHaveTextContent('Bob Lead (approver, user)');
    expect(screen.getByRole('link', { name: 'Inbox' })).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Masking rules' })).toBeNull();
  });

  test('a requester sees no inbox, sessions, audit or administration', async () => {
    renderApp(() => ({ data: { me: ALICE } }), '/inbox');
    expect(await screen.findByRole('heading', { name: 'Not available' })).toBeInTheDocument();
    for (const name of ['Inbox', 'Sessions', 'Audit', 'Masking rules', 'Agents']) {
      expect(screen.queryByRole('link', { name })).toBeNull();
    }
  });

  test('a session the API stops accepting sends you to sign in again, saying why', async () => {
    const { endSession } = renderApp(() => ({ data: { me: BOB } }));
    await screen.findByLabelText('signed in as');
    endSession();
    expect(screen.getByRole('status')).toHaveTextContent('Your session has ended');
    expect(screen.getByRole('link', { name: 'Sign in' })).toBeInTheDocument();
  });
});
