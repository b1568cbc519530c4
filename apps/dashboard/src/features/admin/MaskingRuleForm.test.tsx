import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Provider } from 'urql';
import { describe, expect, test } from 'vitest';
import { fakeApi } from '../../test/fake-api';
import { MaskingRuleForm, maskingRuleInput } from './MaskingRuleForm';

function renderForm(answer: (input: Record<string, unknown>) => ReturnType<Parameters<typeof fakeApi>[0][string]>) {
  const api = fakeApi({
    Connections: () => ({ data: { connections: [] } }),
    CreateMaskingRule: (variables) => answer(variables['input'] as Record<string, unknown>),
  });
  render(
    <Provider value={api.client}>
      <MaskingRuleForm />
    </Provider>,
  );
  return { api, form: screen.getByRole('form', { name: 'new masking rule' }) };
}

describe('masking rule form', () => {
  test('the API’s field-level error is shown on the field it names', async () => {
    const { form } = renderForm(() => ({
      errors: [
        {
          message: 'spec.columns[0]: must be column, table.column or schema.table.column',
          extensions: { code: 'INVALID_ARGUMENT' },
        },
      ],
    }));
    await userEvent.type(within(form).getByLabelText('Name'), 'emails');
    await userEvent.type(within(form).getByLabelText('Columns'), 'customers email');
    await userEvent.click(within(form).getByRole('button', { name: 'Create masking rule' }));

    const columns = within(form).getByLabelText('Columns');
    expect(await within(form).findByRole('alert')).toHaveTextContent('must be column, table.column');
    expect(columns).toHaveAttribute('aria-invalid', 'true');
    expect(columns).toHaveAccessibleDescription('must be column, table.column or schema.table.column');
  });

  test('missing name and matchers are caught before the API is asked', async () => {
    const { api, form } = renderForm(() => ({ data: null }));
    await userEvent.click(within(form).getByRole('button', { name: 'Create masking rule' }));
    expect(within(form).getByLabelText('Name')).toHaveAccessibleDescription('A name is required.');
    expect(within(form).getByLabelText('Columns')).toHaveAccessibleDescription(
      'Name at least one column or choose a detector.',
    );
    expect(api.calls.some((c) => c.name === 'CreateMaskingRule')).toBe(false);
  });

  test('a valid rule is sent as the API’s input and confirmed', async () => {
    const { api, form } = renderForm((input) => ({
      data: {
        createMaskingRule: {
          __typename: 'MaskingRule',
          id: 'm-1',
          name: input['name'],
          enabled: true,
          dialect: 'postgres',
          connectionIds: [],
          exemptGroups: ['auditors'],
          spec: {
            __typename: 'MaskingSpec',
            columns: ['customers.email'],
            detectors: ['email'],
            style: 'partial',
            customPatterns: null,
          },
          updatedAt: new Date().toISOString(),
        },
      },
    }));
    await userEvent.type(within(form).getByLabelText('Name'), 'emails');
    await userEvent.type(within(form).getByLabelText('Columns'), 'customers.email');
    await userEvent.click(within(form).getByLabelText('email'));
    await userEvent.selectOptions(within(form).getByLabelText('Style'), 'partial');
    await userEvent.type(within(form).getByLabelText('Exempt groups'), 'auditors');
    await userEvent.click(within(form).getByRole('button', { name: 'Create masking rule' }));

    expect(await screen.findByRole('status')).toHaveTextContent('Masking rule “emails” created.');
    expect(api.calls.find((c) => c.name === 'CreateMaskingRule')?.variables['input']).toEqual({
      name: 'emails',
      enabled: true,
      connectionIds: [],
      exemptGroups: ['auditors'],
      spec: { style: 'partial', columns: ['customers.email'], detectors: ['email'] },
    });
  });

  test('maskingRuleInput splits lists on commas and lines and drops empty parts', () => {
    expect(
      maskingRuleInput({
        name: ' cards ',
        columns: 'a.card, b.card\n\n*_token',
        detectors: [],
        style: 'hash',
        exemptGroups: '',
        connectionIds: ['c-1'],
        enabled: false,
      }),
    ).toEqual({
      name: 'cards',
      enabled: false,
      connectionIds: ['c-1'],
      exemptGroups: [],
      spec: { style: 'hash', columns: ['a.card', 'b.card', '*_token'] },
    });
  });
});
