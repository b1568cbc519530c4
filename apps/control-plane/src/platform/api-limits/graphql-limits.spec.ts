import { describe, expect, test } from '@jest/globals';
import { buildSchema, getIntrospectionQuery, getOperationAST, parse, specifiedRules, validate } from 'graphql';
import { mutationFieldCount, parseOptionsFor, usesIntrospection, validationRulesFor } from './graphql-limits.js';

const limits = {
  introspection: 'off' as const,
  maxTokens: 200,
  maxDepth: 4,
  maxAliases: 3,
  maxCost: 60,
  maxResponseBytes: 1024,
  mutationsPerSecond: 1,
  mutationBurst: 10,
};
const schema = buildSchema(`
  type Node { id: ID!, child: Node, list: [Node!]! }
  type Query { node: Node }
  type Mutation { mint(id: ID!): Node }
`);

function errorsOf(source: string): string[] {
  return validate(schema, parse(source, parseOptionsFor(limits)), [
    ...specifiedRules,
    ...validationRulesFor(limits),
  ]).map((e) => e.message);
}

describe('validation limits', () => {
  test('an ordinary query passes', () => {
    expect(errorsOf('{ node { id child { id } } }')).toEqual([]);
  });

  test('depth, aliases and cost are refused with the limit named, before execution', () => {
    expect(errorsOf('{ node { child { child { child { child { id } } } } } }').join()).toMatch(
      /depth limit of 4 exceeded/i,
    );
    expect(errorsOf('{ a: node { id } b: node { id } c: node { id } d: node { id } }').join()).toMatch(
      /Aliases limit of 3 exceeded, found 4/,
    );
    expect(errorsOf(`{ node { list { ${'id '.repeat(30)} } } }`).join()).toMatch(/Cost limit of 60 exceeded/);
  });

  test('one __schema per operation, the standard introspection query fits, deeper ofType chains do not', () => {
    expect(errorsOf('{ a: __schema { queryType { name } } b: __schema { queryType { name } } }').join()).toMatch(
      /may ask for __schema once/,
    );
    const wide = { ...limits, maxTokens: 10_000 };
    const errors = (source: string) =>
      validate(schema, parse(source, parseOptionsFor(wide)), [...specifiedRules, ...validationRulesFor(wide)]);
    expect(errors(getIntrospectionQuery())).toEqual([]);
    const deep = `{ __schema { types { fields { type ${'{ ofType '.repeat(20)}{ name }${' }'.repeat(20)} } } } }`;
    expect(
      errors(deep)
        .map((e) => e.message)
        .join(),
    ).toMatch(/depth limit of 16 exceeded/i);
  });

  test('a document over the token limit is not parsed at all', () => {
    expect(() => parse(`{ ${'node { id } '.repeat(100)} }`, parseOptionsFor(limits))).toThrow(
      /Document contains more tha[nt] 200 tokens/,
    );
  });
});

describe('mutationFieldCount', () => {
  const count = (source: string) => {
    const document = parse(source);
    return mutationFieldCount(document, getOperationAST(document)!);
  };

  test('every field counts, aliased copies and fragments included; queries count nothing', () => {
    expect(count('mutation { a: mint(id: 1) { id } b: mint(id: 2) { id } __typename }')).toBe(2);
    expect(
      count(
        'mutation { ...F ... on Mutation { c: mint(id: 3) { id } } } fragment F on Mutation { mint(id: 1) { id } d: mint(id: 2) { id } }',
      ),
    ).toBe(3);
    expect(count('{ node { id } }')).toBe(0);
  });
});

describe('usesIntrospection', () => {
  test('finds __schema and __type anywhere, not __typename', () => {
    expect(usesIntrospection(parse('{ node { id } x: __schema { types { name } } }'))).toBe(true);
    expect(usesIntrospection(parse('{ ...F } fragment F on Query { __type(name: "Node") { name } }'))).toBe(true);
    expect(usesIntrospection(parse('{ node { __typename id } }'))).toBe(false);
  });
});
