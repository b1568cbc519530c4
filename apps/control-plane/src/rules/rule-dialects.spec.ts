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
    expect(RULE_DIALECTS.map((d) => d.name)).toEqual(['postgres', 'mysql']);
    const oracle = () => guardrailRecord({ name: 'o', dialect: 'oracle', match: { statementKinds: ['DROP TABLE'] } });
    expect(oracle).toThrow(InvalidArgumentError);
    expect(oracle).toThrow('dialect: "oracle" is not a rule dialect (known: postgres, mysql)');
    expect(() =>
      maskingRecord({ name: 'm', dialect: 'oracle', spec: { columns: ['email'], style: 'redact' } }),
    ).toThrow('dialect:');
  });

  test('MySQL rules are validated by the MySQL dialect only', () => {
    const mysql = guardrailRecord({
      name: 'm',
      dialect: 'mysql',
      match: { statementKinds: ['drop table'], flags: ['executableComment'] },
    });
    expect(mysql.spec).toEqual({
      match: { statementKinds: ['DROP TABLE'], flags: ['executableComment'] },
      dialect: 'mysql',
    });
    // A flag PostgreSQL has no word for is MySQL's own.
    expect(() => guardrailRecord({ name: 'p', dialect: 'postgres', match: { flags: ['executableComment'] } })).toThrow(
      'match.flags[0]',
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
