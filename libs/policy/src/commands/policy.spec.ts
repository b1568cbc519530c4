// The rule model knows no protocol: a made-up dialect (backquoted, case-preserving names, its own
// kinds) plugs in through CommandDialect/CommandAnalyser exactly as PostgreSQL does.
import { describe, expect, test } from '@jest/globals';
import { PolicySpecError } from '../errors.js';
import type { CommandAnalysis, CommandDialect, CommandFacts, NameSyntax, QualifiedName } from './contract.js';
import { MATCH_EVERY_COMMAND, parseCommandMatch } from './match.js';
import { compileCommandPolicy } from './policy.js';

const BACKQUOTED: NameSyntax = {
  splitPattern(text) {
    const parts = text.split('.');
    if (parts.some((part) => part === '')) return null;
    return parts.map((part) =>
      part.startsWith('`') && part.endsWith('`') && part.length > 2
        ? { value: part.slice(1, -1), quoted: true }
        : { value: part, quoted: false },
    );
  },
  isValidUnquotedPart: (part) => /^[A-Za-z0-9_$*]+$/.test(part),
  fold: (identifier) => identifier, // case kept
  display: (name: QualifiedName) => (name.schema === null ? `\`${name.name}\`` : `\`${name.schema}\`.\`${name.name}\``),
};

const TOY: CommandDialect = {
  name: 'toy',
  canonicalKind: (kind) =>
    ['DROP TABLE', 'DROP', 'SELECT', 'LOAD'].includes(kind.toUpperCase()) ? kind.toUpperCase() : null,
  names: BACKQUOTED,
  describeVia: (via) => (via === 'prepared' ? 'a prepared statement' : via),
};

const facts = (partial: Partial<CommandFacts>): CommandFacts => ({
  kinds: [],
  relations: [],
  schemas: [],
  functions: [],
  missingWhere: false,
  copyProgram: false,
  unresolvedDynamicSql: false,
  via: null,
  ...partial,
});

/** Commands are looked up, not parsed: the analyser is the dialect's business. */
const KNOWN: Record<string, CommandAnalysis> = {
  'drop table Orders': {
    ok: true,
    statements: [],
    all: [facts({ kinds: ['DROP TABLE', 'DROP'], relations: [{ schema: 'shop', name: 'Orders' }] })],
  },
  'drop table orders': {
    ok: true,
    statements: [],
    all: [facts({ kinds: ['DROP TABLE', 'DROP'], relations: [{ schema: null, name: 'orders' }] })],
  },
  prepare: {
    ok: true,
    statements: [],
    all: [facts({ kinds: ['SELECT'] }), facts({ kinds: ['LOAD'], via: 'prepared', unresolvedDynamicSql: true })],
  },
};
const toyAnalyser = {
  dialect: TOY,
  analyze: (text: string): CommandAnalysis =>
    KNOWN[text] ?? { ok: false, message: 'syntax error', position: 0, uncheckable: false },
};

const rule = (id: string, match: unknown) => ({ id, name: id, connectionIds: [], groups: [], match: match as never });

describe('the command rule model over another dialect', () => {
  test("kinds and name patterns are validated by the dialect's rules", () => {
    expect(parseCommandMatch(TOY, { statementKinds: ['drop table'] })).toEqual({ statementKinds: ['DROP TABLE'] });
    expect(() => parseCommandMatch(TOY, { statementKinds: ['TRUNCATE'] }, 'match')).toThrow(PolicySpecError);
    expect(() => parseCommandMatch(TOY, { relations: ['"Orders"'] })).toThrow('has an invalid part');
    expect(parseCommandMatch(TOY, { relations: ['`Orders`'] })).toEqual({ relations: ['`Orders`'] });
  });

  test('rules match the facts the analyser reports, with reasons in the dialect’s words', () => {
    const policy = compileCommandPolicy(
      toyAnalyser,
      [rule('no-drop', { statementKinds: ['DROP TABLE'], relations: ['shop.Orders'] })],
      [
        {
          ...rule('dynamic', { unresolvedDynamicSql: true }),
          approverGroups: ['dba'],
          requiredApprovals: 1,
          timeoutSeconds: 60,
        },
      ],
    ).forSession('c', []);
    expect(policy.evaluate('drop table Orders')).toEqual({
      action: 'block',
      rule: { id: 'no-drop', name: 'no-drop' },
      reason: 'DROP TABLE on `shop`.`Orders`',
    });
    // Case is kept by this dialect: `orders` is another table.
    expect(policy.evaluate('drop table orders')).toEqual({ action: 'allow' });
    expect(policy.evaluate('prepare')).toMatchObject({
      action: 'hold',
      reason: 'LOAD with dynamic SQL that cannot be checked inside a prepared statement',
    });
    expect(policy.evaluate('garbage')).toEqual({ action: 'invalid', message: 'syntax error', position: 0 });
  });

  test('a rule without a condition is refused from a spec; the fail-closed stand-in matches every command', () => {
    expect(() => parseCommandMatch(TOY, {})).toThrow('sets no condition');
    const policy = compileCommandPolicy(toyAnalyser, [rule('unloadable', MATCH_EVERY_COMMAND)], []).forSession('c', []);
    for (const command of ['drop table orders', 'prepare']) {
      expect(policy.evaluate(command)).toMatchObject({ action: 'block', rule: { id: 'unloadable' } });
    }
  });
});

describe('dialect-specific flags', () => {
  const FLAGGED: CommandDialect = { ...TOY, name: 'flagged', flags: { hidden: 'in a hidden comment' } };
  const flaggedAnalyser = {
    dialect: FLAGGED,
    analyze: (text: string): CommandAnalysis =>
      text === 'hidden drop'
        ? { ok: true, statements: [], all: [facts({ kinds: ['DROP'], flags: ['hidden'] })] }
        : { ok: true, statements: [], all: [facts({ kinds: ['DROP'] })] },
  };

  test('a rule may name only the flags its dialect defines', () => {
    expect(parseCommandMatch(FLAGGED, { flags: ['hidden'] })).toEqual({ flags: ['hidden'] });
    expect(() => parseCommandMatch(FLAGGED, { flags: ['other'] }, 'match')).toThrow(
      'match.flags[0]: is not a condition of the flagged dialect (known: hidden)',
    );
    expect(() => parseCommandMatch(TOY, { flags: ['hidden'] }, 'match')).toThrow('(known: none)');
    expect(() => parseCommandMatch(FLAGGED, { flags: [] }, 'match')).toThrow('match.flags: must not be empty');
  });

  test('a flag matches the commands that carry it, and the reason says so', () => {
    const policy = compileCommandPolicy(flaggedAnalyser, [rule('hidden', { flags: ['hidden'] })], []).forSession(
      'c',
      [],
    );
    expect(policy.evaluate('hidden drop')).toEqual({
      action: 'block',
      rule: { id: 'hidden', name: 'hidden' },
      reason: 'DROP in a hidden comment',
    });
    expect(policy.evaluate('plain drop')).toEqual({ action: 'allow' });
  });
});
