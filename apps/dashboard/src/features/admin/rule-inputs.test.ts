import { describe, expect, test } from 'vitest';
import { apiFieldErrors } from '../../components/form-errors';
import { approvalRuleInput } from './ApprovalRulesPage';
import { guardrailInput } from './GuardrailsPage';
import { CombinedError } from '@urql/core';

describe('rule forms to API inputs', () => {
  test('approval rule: kinds upper-cased, lists split, numbers defaulted, empty matchers left out', () => {
    expect(
      approvalRuleInput({
        name: ' refunds ',
        statementKinds: 'update, delete',
        relations: '',
        missingWhere: true,
        approverGroups: 'approvers, leads',
        groups: '',
        requiredApprovals: '',
        timeoutSeconds: '60',
      }),
    ).toEqual({
      name: 'refunds',
      approverGroups: ['approvers', 'leads'],
      groups: [],
      requiredApprovals: 1,
      timeoutSeconds: 60,
      match: { statementKinds: ['UPDATE', 'DELETE'], missingWhere: true },
    });
  });

  test('guardrail: functions and relations as lists', () => {
    expect(
      guardrailInput({
        name: 'no file reads',
        statementKinds: '',
        relations: 'audit.*',
        functions: 'pg_read_file, dblink*',
        missingWhere: false,
        groups: 'contractors',
      }),
    ).toEqual({
      name: 'no file reads',
      groups: ['contractors'],
      match: { relations: ['audit.*'], functions: ['pg_read_file', 'dblink*'] },
    });
  });

  test('API messages land on the fields they name, by path or by first word', () => {
    const error = new CombinedError({
      graphQLErrors: [
        { message: 'match.statementKinds[1]: "DROPP" is not a statement kind' },
        { message: 'spec.columns[0]: must be column, table.column or schema.table.column' },
        { message: 'targetPort must be 1..65535' },
        { message: 'requires the admin role' },
      ],
    });
    expect(apiFieldErrors(error, ['statementKinds', 'columns', 'targetPort'])).toEqual({
      byField: {
        statementKinds: '"DROPP" is not a statement kind',
        columns: 'must be column, table.column or schema.table.column',
        targetPort: 'targetPort must be 1..65535',
      },
      rest: 'requires the admin role',
    });
  });
});
