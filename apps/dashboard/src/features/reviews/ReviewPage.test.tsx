import { render, screen } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { Provider } from 'urql';
import { describe, expect, test } from 'vitest';
import { MeProvider } from '../../auth/me';
import { ALICE, BOB, review } from '../../test/fixtures';
import { fakeApi } from '../../test/fake-api';
import { ReviewPage } from './ReviewPage';

function renderAt(path: string, me = BOB) {
  const api = fakeApi({ Reviews: () => ({ data: { reviews: [review()] } }) });
  render(
    <Provider value={api.client}>
      <MeProvider me={me}>
        <MemoryRouter initialEntries={[path]}>
          <Routes>
            <Route path="/reviews/:id" element={<ReviewPage />} />
          </Routes>
        </MemoryRouter>
      </MeProvider>
    </Provider>,
  );
  return api;
}

describe('a review opened from a notification link', () => {
  test('?decision=reject only puts the focus on Reject: deciding is a click', async () => {
    const api = renderAt('/reviews/r-1?decision=reject');
    const reject = await screen.findByRole('button', { name: 'Reject' });
    expect(reject).toHaveFocus();
    expect(api.calls.some((c) => c.name === 'RejectReview' || c.name === 'ApproveReview')).toBe(false);
  });

  test('the requester opening it sees no decision buttons', async () => {
    renderAt('/reviews/r-1?decision=approve', ALICE);
    expect(await screen.findByText('This is your own request: another approver decides it.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
  });

  test('an unknown review says so', async () => {
    renderAt('/reviews/nope');
    expect(await screen.findByRole('heading', { name: 'Review not found' })).toBeInTheDocument();
  });
});
