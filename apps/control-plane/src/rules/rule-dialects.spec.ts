import { describe, expect, test } from '@jest/globals';
import { InvalidArgumentError } from '../platform/errors/domain-error.js';
import { DEFAULT_RULE_DIALECT, RULE_DIALECTS, ruleDialect } from './rule-dialects.js';
import { guardrailRecord, maskingRecord } from './rule-validation.js';

describe('rule dialects', () => {
  test('a rule without a dialect is a PostgreSQL rule, and says so once stored', () => {
    expect(DEFAULT_RULE_DIALECT).toBe('postgres');
    expect(ruleDialect(undefined).name).toBe('postgres');
    const guardrail = guardrailRecord({ name: 'no drops', match: { statementKinds: ['drop table'] } });
    expect(guardrail.spec).toEqual({ match: { statementKinds: ['DROP TABLE'] }, dialect: 'postgres' });
    const masking = maskingRecord({ name: 'emails', spec: { columns: ['email'], style: 'redact' } });
    expect(masking.spec).toEqual({ columns: ['email'], style: 'redact', dialect: 'postgres' });
  });

  test('a dialect without a registered analyser is refused before its body is read', () => {
    expect(RULE_DIALECTS.map((d) => d.name)).toEqual(['postgres', 'ssh']);
    // A MySQL rule must never be validated by PostgreSQL's parser: until MySQL registers its
    // analyser, such a rule is refused, naming the field.
    const mysql = () => guardrailRecord({ name: 'm', dialect: 'mysql', match: { statementKinds: ['DROP TABLE'] } });
    expect(mysql).toThrow(InvalidArgumentError);
    expect(mysql).toThrow('dialect: "mysql" is not a rule dialect (known: postgres, ssh)');
    expect(() => maskingRecord({ name: 'm', dialect: 'mysql', spec: { columns: ['email'], style: 'redact' } })).toThrow(
      'dialect:',
    );
  });

  test('the SSH analyser validates shell rules: its kinds, program names and paths', () => {
    const guardrail = guardrailRecord({
      name: 'no curl | sh',
      dialect: 'ssh',
      match: { statementKinds: ['pipe_to_shell'], functions: ['curl', 'mkfs.*'], relations: ['/etc/*'] },
    });
    expect(guardrail.spec).toEqual({
      match: { statementKinds: ['PIPE_TO_SHELL'], functions: ['curl', 'mkfs.*'], relations: ['/etc/*'] },
      dialect: 'ssh',
    });
    expect(() => guardrailRecord({ name: 'g', dialect: 'ssh', match: { statementKinds: ['DROP TABLE'] } })).toThrow(
      InvalidArgumentError,
    );
    expect(() => guardrailRecord({ name: 'g', dialect: 'ssh', match: { functions: ['rm; ls'] } })).toThrow(
      'match.functions[0]',
    );
  });

  test('the PostgreSQL analyser validates kinds and names its own way', () => {
    expect(() =>
      guardrailRecord({ name: 'g', dialect: 'postgres', match: { statementKinds: ['DROP WIDGET'] } }),
    ).toThrow('match.statementKinds[0]');
    const pg = guardrailRecord({ name: 'g', dialect: 'postgres', match: { relations: ['Billing."Orders"'] } });
    expect(pg.spec['match']).toEqual({ relations: ['Billing."Orders"'] });
  });
});
