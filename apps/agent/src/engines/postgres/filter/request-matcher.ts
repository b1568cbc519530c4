import type { ResultColumn, ResultMasking, StatementMasking } from '@postern/policy-postgres';
import { effectiveFormat, type BindHead } from '@postern/wire-postgres';
import type { CopyStatement } from '../copy-statements.js';

/** What the recording says about a Query or an Execute once the server has answered it. */
export interface Activity {
  startedAt: number;
  rows: number;
  tags: string[];
  error: { code: string; message: string } | null;
}

export type QueryExpectation = {
  kind: 'query';
  sql: string;
  copies: CopyStatement[] | null;
  masking: StatementMasking | null;
} & Activity;

export type ExecuteExpectation = {
  kind: 'execute';
  portal: string;
  statement: string;
  resultFormats: number[];
  params: string[];
} & Activity;

/**
 * What the client is waiting for, in the order the server will answer: each response is
 * matched to the message that caused it (PostgreSQL answers strictly in order), which tells
 * whose columns a DataRow has and which COPY a CopyOutResponse belongs to.
 */
export type Expectation =
  | QueryExpectation
  | { kind: 'describe-statement'; name: string }
  | { kind: 'describe-portal'; name: string; hidden: boolean }
  | ExecuteExpectation
  | { kind: 'sync' };

/** A Query or an Execute: the expectations that are recorded as activity. */
export type ActivityExpectation = QueryExpectation | ExecuteExpectation;

interface PortalBinding {
  statement: string;
  resultFormats: number[];
  params: string[];
}

/**
 * Stage 1 of the policy filter: request/response matching. Follows prepared statements, portals
 * and what was described, and queues what the server owes the client, so the other stages know
 * which statement a result, an error or a COPY belongs to. Pure bookkeeping: no policy here.
 */
export class RequestMatcher {
  private readonly expectations: Expectation[] = [];
  private readonly statements = new Map<string, string>();
  private readonly portals = new Map<string, PortalBinding>();
  /** Statements and portals whose description the client asked for while masking was on. */
  private readonly describedStatements = new Set<string>();
  private readonly describedPortals = new Set<string>();
  private readonly statementColumns = new Map<string, ResultColumn[]>();
  /** Lineage of each prepared statement's SQL under the session's masking rules. */
  private readonly statementMasking = new Map<string, StatementMasking>();
  private readonly portalColumns = new Map<string, ResultColumn[]>();

  // ---------------------------------------------------------------- client → target

  query(sql: string): QueryExpectation {
    const expectation: QueryExpectation = {
      kind: 'query',
      sql,
      copies: null,
      masking: null,
      startedAt: Date.now(),
      rows: 0,
      tags: [],
      error: null,
    };
    this.expectations.push(expectation);
    return expectation;
  }

  parse(name: string, sql: string): void {
    this.statements.set(name, sql);
    this.forgetStatement(name);
  }

  bind(bind: BindHead): void {
    this.portals.set(bind.portal, {
      statement: bind.statement,
      resultFormats: bind.resultFormats,
      params: bind.params,
    });
    this.describedPortals.delete(bind.portal);
    this.portalColumns.delete(bind.portal);
  }

  describe(target: 'statement' | 'portal', name: string, masking: boolean): void {
    if (target === 'statement') {
      this.expectations.push({ kind: 'describe-statement', name });
      if (masking) this.describedStatements.add(name);
    } else {
      this.expectations.push({ kind: 'describe-portal', name, hidden: false });
      if (masking) this.describedPortals.add(name);
    }
  }

  /**
   * An Execute. Under masking, when its result columns will not otherwise be learnt (the client
   * described neither the portal nor its statement, as drivers do for statements prepared
   * earlier), a Describe of our own goes in front, answered to us alone: `describeFirst`.
   */
  execute(portal: string, masking: boolean): { execute: ExecuteExpectation; describeFirst: boolean } {
    const binding = this.portals.get(portal);
    const execute: ExecuteExpectation = {
      kind: 'execute',
      portal,
      statement: binding?.statement ?? '',
      resultFormats: binding?.resultFormats ?? [],
      params: binding?.params ?? [],
      startedAt: Date.now(),
      rows: 0,
      tags: [],
      error: null,
    };
    const known =
      this.describedPortals.has(portal) || (binding !== undefined && this.describedStatements.has(binding.statement));
    if (!masking || known) {
      this.expectations.push(execute);
      return { execute, describeFirst: false };
    }
    this.describedPortals.add(portal);
    this.expectations.push({ kind: 'describe-portal', name: portal, hidden: true }, execute);
    return { execute, describeFirst: true };
  }

  /** A Sync, or a FunctionCall (answered like one: a result or an error, then ReadyForQuery). */
  sync(): void {
    this.expectations.push({ kind: 'sync' });
  }

  close(target: 'statement' | 'portal', name: string): void {
    if (target === 'statement') {
      this.statements.delete(name);
      this.forgetStatement(name);
    } else {
      this.portals.delete(name);
      this.describedPortals.delete(name);
      this.portalColumns.delete(name);
    }
  }

  private forgetStatement(name: string): void {
    this.describedStatements.delete(name);
    this.statementColumns.delete(name);
    this.statementMasking.delete(name);
  }

  /** The expectation just queued (the Query or Execute a client frame created). */
  get last(): Expectation | undefined {
    return this.expectations[this.expectations.length - 1];
  }

  /** A prepared statement's SQL ('' when unknown). */
  sqlOfStatement(name: string): string {
    return this.statements.get(name) ?? '';
  }

  /** Keeps a prepared statement's masking lineage for its results. */
  keepStatementMasking(name: string, plan: StatementMasking): void {
    this.statementMasking.set(name, plan);
  }

  // ---------------------------------------------------------------- target → client

  /** The oldest answer still owed. */
  get head(): Expectation | undefined {
    return this.expectations[0];
  }

  /** The Query or Execute whose results are streaming, if any. */
  get current(): ActivityExpectation | null {
    const head = this.expectations[0];
    return head?.kind === 'query' || head?.kind === 'execute' ? head : null;
  }

  get idle(): boolean {
    return this.expectations.length === 0;
  }

  /** The SQL an answer belongs to ('' when none). */
  sqlOf(head: Expectation | undefined): string {
    if (head?.kind === 'query') return head.sql;
    if (head?.kind === 'execute') return this.sqlOfStatement(head.statement);
    return '';
  }

  /**
   * A NoData, or a RowDescription nobody masks: when it answers a Describe, that is done.
   * Returns whether the answer is ours alone (a hidden Describe), or null when it answers none.
   */
  describeAnswered(): { hidden: boolean } | null {
    const head = this.expectations[0];
    if (head?.kind !== 'describe-statement' && head?.kind !== 'describe-portal') return null;
    this.expectations.shift();
    return { hidden: head.kind === 'describe-portal' && head.hidden };
  }

  /** A described result's columns (masking on): kept for the statement or portal it describes. */
  described(columns: ResultColumn[]): { hidden: boolean } | null {
    const head = this.expectations[0];
    switch (head?.kind) {
      case 'describe-statement':
        this.expectations.shift();
        this.statementColumns.set(head.name, columns);
        return { hidden: false };
      case 'describe-portal':
        this.expectations.shift();
        this.portalColumns.set(head.name, columns);
        return { hidden: head.hidden };
      default:
        return null;
    }
  }

  /** The columns of an Execute's rows, from its portal's or its statement's description. */
  executeColumns(): ResultColumn[] | undefined {
    const head = this.expectations[0];
    if (head?.kind !== 'execute') return undefined;
    const columns = this.portalColumns.get(head.portal);
    if (columns !== undefined) return columns;
    return this.statementColumns.get(head.statement)?.map((column, i) => ({
      ...column,
      format: effectiveFormat(head.resultFormats, i) === 1 ? 1 : 0,
    }));
  }

  /** The lineage plan of the statement an answer from the server belongs to. */
  resultMasking(head: Expectation | undefined = this.expectations[0]): ResultMasking | null {
    switch (head?.kind) {
      case 'query':
        return head.masking?.results[head.tags.length] ?? null;
      case 'execute':
        return this.statementMasking.get(head.statement)?.results[0] ?? null;
      case 'describe-statement':
        return this.statementMasking.get(head.name)?.results[0] ?? null;
      case 'describe-portal': {
        const binding = this.portals.get(head.name);
        return binding === undefined ? null : (this.statementMasking.get(binding.statement)?.results[0] ?? null);
      }
      default:
        return null;
    }
  }

  /**
   * CommandComplete, PortalSuspended or EmptyQueryResponse: a statement of the current Query is
   * done, or the current Execute is. Returns the finished Execute, to be recorded.
   */
  completed(tag: string | null): ExecuteExpectation | null {
    const head = this.expectations[0];
    if (head?.kind !== 'execute' && head?.kind !== 'query') return null;
    if (tag !== null) head.tags.push(tag);
    if (head.kind !== 'execute') return null;
    this.expectations.shift();
    return head;
  }

  /**
   * An ErrorResponse (`error` as the client gets it): it ends the current statement of a simple
   * Query, and skips an extended-protocol pipeline to its Sync, since nothing up to there will be
   * answered. Returns the Execute it ended, to be recorded.
   */
  failed(error: { code: string; message: string } | null): ExecuteExpectation | null {
    const head = this.expectations[0];
    if (head?.kind === 'query' || head?.kind === 'execute') head.error = error;
    if (head?.kind === 'query') return null;
    let ended: ExecuteExpectation | null = null;
    while (this.expectations.length > 0 && this.expectations[0]!.kind !== 'sync') {
      const skipped = this.expectations.shift()!;
      if (skipped.kind === 'execute' && skipped === head) ended = skipped;
    }
    return ended;
  }

  /** ReadyForQuery: up to the Sync or Query it answers, everything is done. Returns the Query, if any. */
  ready(): QueryExpectation | null {
    let head: Expectation | undefined;
    while ((head = this.expectations.shift()) !== undefined) {
      if (head.kind === 'query') return head;
      if (head.kind === 'sync') break;
    }
    return null;
  }

  /** The session ended: every Query and Execute never answered. */
  unanswered(): ActivityExpectation[] {
    return this.expectations
      .splice(0)
      .filter((pending): pending is ActivityExpectation => pending.kind === 'query' || pending.kind === 'execute');
  }
}
