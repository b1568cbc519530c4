import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Provider } from 'urql';
import { describe, expect, test } from 'vitest';
import { fakeApi } from '../../test/fake-api';
import { ConnectionForm } from './ConnectionsPage';

describe('connection form', () => {
  test('the API’s message naming a field is shown on that field; others above the button', async () => {
    const api = fakeApi({
      Agents: () => ({
        data: {
          agents: [
            {
              __typename: 'Agent',
              id: 'a-1',
              name: 'edge-1',
              status: 'ONLINE',
              version: '0.1.0',
              hostname: null,
              policyVersion: '3',
              policyBehind: 0,
              lastSeenAt: null,
              enrolledAt: null,
            },
          ],
        },
      }),
      CreateConnection: () => ({
        errors: [
          { message: 'targetHost is not a valid host name or address', extensions: { code: 'INVALID_ARGUMENT' } },
          { message: 'exactly one of agentId and agentGroupId is required', extensions: { code: 'INVALID_ARGUMENT' } },
        ],
      }),
    });
    render(
      <Provider value={api.client}>
        <ConnectionForm />
      </Provider>,
    );
    const form = screen.getByRole('form', { name: 'new connection' });
    await userEvent.type(within(form).getByLabelText('Name (what clients ask for)'), 'shop');
    await userEvent.type(within(form).getByLabelText('Target host'), 'not a host');
    await userEvent.selectOptions(await within(form).findByLabelText('Agent'), 'edge-1 (ONLINE)');
    await userEvent.click(within(form).getByRole('button', { name: 'Create connection' }));

    const host = within(form).getByLabelText('Target host');
    expect(await within(form).findByText('targetHost is not a valid host name or address')).toBeInTheDocument();
    expect(host).toHaveAttribute('aria-invalid', 'true');
    expect(host).toHaveAccessibleDescription('targetHost is not a valid host name or address');
    expect(within(form).getByText('exactly one of agentId and agentGroupId is required')).toBeInTheDocument();
    expect(api.calls.find((c) => c.name === 'CreateConnection')?.variables['input']).toEqual({
      name: 'shop',
      protocol: 'POSTGRES',
      agentId: 'a-1',
      targetHost: 'not a host',
    });
  });
});
