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
    expect(RULE_DIALECTS.map((d) => d.name)).toEqual(['postgres', 'mysql', 'ssh', 'kubernetes', 'http']);
    const oracle = () => guardrailRecord({ name: 'o', dialect: 'oracle', match: { statementKinds: ['DROP TABLE'] } });
    expect(oracle).toThrow(InvalidArgumentError);
    expect(oracle).toThrow('dialect: "oracle" is not a rule dialect (known: postgres, mysql, ssh, kubernetes, http)');
    expect(() =>
      maskingRecord({ name: 'o', dialect: 'oracle', spec: { columns: ['email'], style: 'redact' } }),
    ).toThrow('dialect:');
  });

  test('a MySQL rule is read by the MySQL analyser: its kinds, backquoted names and flags', () => {
    const mysql = guardrailRecord({
      name: 'm',
      dialect: 'mysql',
      match: {
        statementKinds: ['load data', 'REPLACE'],
        relations: ['`Shop DB`.orders'],
        flags: ['executableComment'],
      },
    });
    expect(mysql.spec).toEqual({
      match: {
        statementKinds: ['LOAD DATA', 'REPLACE'],
        relations: ['`Shop DB`.orders'],
        flags: ['executableComment'],
      },
      dialect: 'mysql',
    });
    // PostgreSQL's kinds, quoting and flags are not MySQL's, and the other way round.
    expect(() => guardrailRecord({ name: 'm', dialect: 'mysql', match: { statementKinds: ['COPY'] } })).toThrow(
      'match.statementKinds[0]',
    );
    expect(() => guardrailRecord({ name: 'm', dialect: 'mysql', match: { relations: ['"Orders"'] } })).toThrow(
      'match.relations[0]',
    );
    expect(() => guardrailRecord({ name: 'p', match: { flags: ['executableComment'] } })).toThrow('match.flags[0]');
    const masking = maskingRecord({ name: 'm', dialect: 'mysql', spec: { columns: ['email'], style: 'redact' } });
    expect(masking.spec).toEqual({ columns: ['email'], style: 'redact', dialect: 'mysql' });
  });

  test('the MySQL analyser is registered with its parser', async () => {
    const mysql = ruleDialect('mysql');
    await mysql.ready();
    const analysis = mysql.analyser(16).analyze('SELECT 1; /*!50000 DROP TABLE t */');
    expect(analysis.ok && analysis.all.map((statement) => statement.kinds[0])).toEqual(['SELECT', 'DROP TABLE']);
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
