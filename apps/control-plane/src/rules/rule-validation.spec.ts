import { describe, expect, test } from '@jest/globals';
import { PolicySpecError } from '@postern/policy';
import { specErrorMessage, withoutNulls } from './rule-validation.js';

describe('rule validation helpers', () => {
  test('spec errors name the field from the input root, once', () => {
    const message = (text: string, path: string) => specErrorMessage('match', new PolicySpecError(text, path));
    expect(message('statementKinds[0]: is not a statement kind', 'statementKinds[0]')).toBe(
      'match.statementKinds[0]: is not a statement kind',
    );
    expect(message('match.relations[2]: bad pattern', 'match.relations[2]')).toBe('match.relations[2]: bad pattern');
    expect(message('match: sets no condition', '')).toBe('match: sets no condition');
    expect(message('unknown style', 'style')).toBe('match.style: unknown style');
  });

  test('nulls from GraphQL are dropped at any depth, other values kept', () => {
    expect(
      withoutNulls({ columns: null, detectors: ['email'], customPatterns: [{ name: 'n', regex: 'x', flags: null }] }),
    ).toEqual({ detectors: ['email'], customPatterns: [{ name: 'n', regex: 'x' }] });
    expect(withoutNulls({ missingWhere: false })).toEqual({ missingWhere: false });
  });
});
