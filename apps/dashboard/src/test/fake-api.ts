// A stand-in for the control plane in component tests: the real urql client and normalised cache,
// with an exchange that answers queries and mutations from the test and lets it push
// subscription events, as the server would over graphql-ws.
import { Client, makeResult, type Exchange, type Operation, type OperationResult } from '@urql/core';
import type { DocumentNode, OperationDefinitionNode } from 'graphql';
import { filter, fromValue, makeSubject, merge, mergeMap, pipe, share } from 'wonka';
import { dashboardCache } from '../api/cache';

type Answer = {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
};
export type Resolver = (variables: Record<string, unknown>) => Answer;

function nameOf(query: DocumentNode): string {
  const definition = query.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');
  return definition?.name?.value ?? '';
}

export interface FakeApi {
  client: Client;
  /** Operations the client sent, by name, with their variables. */
  calls: Array<{ name: string; variables: Record<string, unknown> }>;
  /** Sends a subscription event to every open subscription of that name. */
  push(subscription: string, data: Record<string, unknown>): void;
}

export function fakeApi(resolvers: Record<string, Resolver>): FakeApi {
  const events = makeSubject<{ name: string; data: Record<string, unknown> }>();
  const calls: FakeApi['calls'] = [];
  const exchange: Exchange = () => (operations$) => {
    const shared = pipe(operations$, share);
    const answered = pipe(
      shared,
      filter((op: Operation) => op.kind === 'query' || op.kind === 'mutation'),
      mergeMap((op: Operation) => {
        const name = nameOf(op.query);
        const variables = (op.variables ?? {}) as Record<string, unknown>;
        calls.push({ name, variables });
        const resolve = resolvers[name];
        if (!resolve) throw new Error(`no fake answer for ${name}`);
        return fromValue(makeResult(op, resolve(variables)));
      }),
    );
    const live = pipe(
      shared,
      filter((op: Operation) => op.kind === 'subscription'),
      mergeMap((op: Operation) => {
        const name = nameOf(op.query);
        calls.push({ name, variables: {} });
        return pipe(
          events.source,
          filter((event) => event.name === name),
          mergeMap((event): ReturnType<typeof fromValue<OperationResult>> =>
            fromValue(makeResult(op, { data: event.data })),
          ),
        );
      }),
    );
    return merge([answered, live]);
  };
  const client = new Client({ url: 'http://dashboard.test/graphql', exchanges: [dashboardCache(), exchange] });
  return { client, calls, push: (name, data) => events.next({ name, data }) };
}
