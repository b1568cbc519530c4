import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import {
  GraphQLError,
  Kind,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ParseOptions,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { ControlPlaneConfig } from '../config/config.js';

export type GraphqlLimits = ControlPlaneConfig['graphql'];

/** Error code of an operation refused for its shape (tokens, depth, aliases, cost). */
export const QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX';

/**
 * Parser options: graphql-js stops parsing after `maxTokens` tokens, so a huge document costs no
 * more than that to refuse (and deep nesting cannot exhaust the parser's stack).
 */
export function parseOptionsFor(limits: GraphqlLimits): ParseOptions {
  return { maxTokens: limits.maxTokens };
}

/**
 * Depth allowed inside `__schema`: the standard introspection query (graphql-js
 * getIntrospectionQuery, what GraphiQL and code generators send) reaches 15 through its nested
 * `ofType`; deeper is only ever an attack on the recursive introspection types.
 */
export const INTROSPECTION_MAX_DEPTH = 16;

/**
 * Validation rules (graphql-armor, plus one of ours) for depth, aliases and cost. They run in the
 * validation pass, before any resolver: a refused operation costs its parse and one walk of its
 * syntax tree. Fragments count where they are spread. The one `__schema` an operation may ask
 * for is bounded by INTROSPECTION_MAX_DEPTH instead of the depth and cost limits (which the
 * standard introspection query would not fit); every alias counts, `__schema` ones included.
 */
export function validationRulesFor(limits: GraphqlLimits): ValidationRule[] {
  const common = { propagateOnRejection: false, exposeLimits: true, onReject: [report], flattenFragments: true };
  return [
    maxDepthRule({ ...common, n: limits.maxDepth, ignoreIntrospection: true }),
    maxDepthRule({ ...common, n: Math.max(limits.maxDepth, INTROSPECTION_MAX_DEPTH), ignoreIntrospection: false }),
    maxAliasesRule({ ...common, n: limits.maxAliases }),
    costLimitRule({ ...common, maxCost: limits.maxCost, ignoreIntrospection: true }),
    oneSchemaField,
  ];
}

/** At most one `__schema` field per document: one copy of the schema per request. */
const oneSchemaField: ValidationRule = (context) => {
  let seen = 0;
  return {
    Field(node) {
      if (node.name.value !== '__schema') return;
      seen += 1;
      if (seen === 2) {
        context.reportError(
          new GraphQLError('An operation may ask for __schema once. The operation was refused before it ran.', {
            nodes: [node],
            extensions: { code: QUERY_TOO_COMPLEX },
          }),
        );
      }
    },
  };
};

/** armor prefixes its messages with "Syntax Error:"; these are limits, not syntax. */
function report(context: ValidationContext | null, error: GraphQLError): void {
  if (!context) return;
  const message = error.message.replace(/^Syntax Error: /, '');
  context.reportError(
    new GraphQLError(`${message} The operation was refused before it ran.`, {
      extensions: { code: QUERY_TOO_COMPLEX },
    }),
  );
}

/** Parse + validate as the HTTP path does (Apollo), for transports that build their own pipeline. */
export function parseAndValidate(
  schema: GraphQLSchema,
  source: string,
  limits: GraphqlLimits,
): { document: DocumentNode; errors: readonly GraphQLError[] } {
  const document = parse(source, parseOptionsFor(limits));
  return { document, errors: validate(schema, document, [...specifiedRules, ...validationRulesFor(limits)]) };
}

/**
 * The number of mutation fields an operation runs: every top-level field counts, aliased copies
 * included, through fragments and inline fragments. Zero for queries and subscriptions.
 */
export function mutationFieldCount(document: DocumentNode, operation: OperationDefinitionNode): number {
  if (operation.operation !== 'mutation') return 0;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const count = (set: SelectionSetNode, seen: Set<string>): number => {
    let fields = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) fields += selection.name.value === '__typename' ? 0 : 1;
      else if (selection.kind === Kind.INLINE_FRAGMENT) fields += count(selection.selectionSet, seen);
      else if (!seen.has(selection.name.value)) {
        const fragment = fragments.get(selection.name.value);
        // A cycle is a validation error; never follow one here.
        if (fragment) fields += count(fragment.selectionSet, new Set([...seen, selection.name.value]));
      }
    }
    return fields;
  };
  return count(operation.selectionSet, new Set());
}

/** Whether a document asks for the schema (`__schema` or `__type` anywhere). */
export function usesIntrospection(document: DocumentNode): boolean {
  let found = false;
  const walk = (set: SelectionSetNode | undefined): void => {
    for (const selection of set?.selections ?? []) {
      if (found) return;
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value === '__schema' || selection.name.value === '__type') found = true;
        else walk(selection.selectionSet);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet);
    }
  };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) {
      walk(definition.selectionSet);
    }
  }
  return found;
}
