/*
 * CONTRACT between the protocol-neutral rule model and each protocol's command analyser
 * (PostgreSQL SQL in libs/policy-postgres; MySQL SQL, shell commands, Kubernetes/HTTP requests
 * next). Guardrails (block) and approval rules (hold) share one match language,
 * `StatementMatch`, evaluated here over `CommandFacts`; an analyser turns a protocol's command
 * text into those facts and says which kinds and names its dialect has.
 *
 * A rule matches a command when every condition it sets holds on that same command (top-level or
 * nested); a list condition holds when any entry matches.
 */

/** A relation (table, view…), function or other object name; `schema` null when unqualified. */
export interface QualifiedName {
  readonly schema: string | null;
  readonly name: string;
}

export interface FunctionRef extends QualifiedName {
  /** Found in a notation that may or may not be a call (PostgreSQL `x.name`): exact patterns only. */
  readonly attributeNotation: boolean;
  /** Built into the server; otherwise a body the gateway never saw (`userFunctions`). */
  readonly builtin: boolean;
}

/**
 * What an analyser learned about one command (a statement, nested ones included), independent of
 * any rule. Analysers compute it once per distinct text and cache it; rules only read it.
 */
export interface CommandFacts {
  /** Kinds, most specific first, e.g. ["DROP TABLE", "DROP"]; canonical (see CommandDialect.canonicalKind). */
  readonly kinds: readonly string[];
  /** Objects touched (tables, views…), nested commands included. */
  readonly relations: readonly QualifiedName[];
  /** Schemas (MySQL: databases) named explicitly. */
  readonly schemas: readonly string[];
  /** Functions called, nested commands included. */
  readonly functions: readonly FunctionRef[];
  /** A write (UPDATE/DELETE…) that affects every row: no row filter, or one that ignores the row. */
  readonly missingWhere: boolean;
  /** Runs a program on the server (PostgreSQL `COPY … PROGRAM`); false where the protocol has none. */
  readonly copyProgram: boolean;
  /** Runs command text the analyser could not resolve (dynamic SQL from a variable…). */
  readonly unresolvedDynamicSql: boolean;
  /** How this command is reached from its parent (dialect-defined, see describeVia); null at top level. */
  readonly via: string | null;
  /**
   * Dialect-specific facts that hold for this command (names from CommandDialect.flags, e.g.
   * MySQL's "executableComment"); absent where the dialect defines none.
   */
  readonly flags?: readonly string[];
}

/** The analysis of one command text: every command in it, or why it cannot be checked. */
export type CommandAnalysis<F extends CommandFacts = CommandFacts> =
  | {
      readonly ok: true;
      /** Top-level commands in order. */
      readonly statements: readonly F[];
      /** Every command, top-level and nested, depth first (what rules are matched against). */
      readonly all: readonly F[];
    }
  | {
      readonly ok: false;
      /** The parser's message (or why the text was not analysed). */
      readonly message: string;
      /** 0-based character offset of the error, when known. */
      readonly position: number | null;
      /** The text may be valid but cannot be checked: refused even when unparseable text is forwarded. */
      readonly uncheckable: boolean;
    };

/** How a dialect writes names: what rule patterns (`orders`, `billing.*`, `"Mixed"`) mean in it. */
export interface NameSyntax {
  /**
   * Splits dotted pattern text into parts, `*` allowed in unquoted parts; unquoted parts come
   * back as written. Null when the text is not made of identifier parts.
   */
  splitPattern(text: string): readonly { readonly value: string; readonly quoted: boolean }[] | null;
  /** Whether an unquoted pattern part is well formed (wildcards included). */
  isValidUnquotedPart(part: string): boolean;
  /** How the server folds an unquoted identifier (PostgreSQL: ASCII lower case). */
  fold(identifier: string): string;
  /** The name as a client would write it, quoted where needed (for reasons shown to clients). */
  display(name: QualifiedName): string;
}

/** What the rule model needs to know about a dialect to validate and explain rules. */
export interface CommandDialect {
  /** `postgres`, `mysql`…: the value of a rule's `dialect` field. */
  readonly name: string;
  /** The canonical spelling of a kind (upper case, aliases resolved), or null if the dialect has no such kind. */
  canonicalKind(kind: string): string | null;
  readonly names: NameSyntax;
  /** Words for a `via` value in a reason: "a DO block", "dynamic SQL (EXECUTE)". */
  describeVia(via: string): string;
  /**
   * Dialect-specific facts a rule may name in `flags`, each with the words a reason uses for it
   * ("in an executable comment"). Absent: the dialect has none and `flags` is refused.
   */
  readonly flags?: Readonly<Record<string, string>>;
}

/** A dialect with its analyser: what a statement policy is compiled against. */
export interface CommandAnalyser<F extends CommandFacts = CommandFacts> {
  readonly dialect: CommandDialect;
  /** Never throws; cached by the analyser as it sees fit. */
  analyze(text: string): CommandAnalysis<F>;
}

export interface StatementMatch {
  /** e.g. "DROP", "DROP TABLE", "TRUNCATE", "ALTER", "GRANT", "DELETE", "COPY", "DO", "CALL". */
  statementKinds?: string[];
  /** Relation patterns: "orders", "public.orders", "audit.*", "*" (quoted names are matched as written). */
  relations?: string[];
  /** Schema patterns, e.g. "pg_catalog", "billing". */
  schemas?: string[];
  /** Function patterns: "pg_read_file", "dblink*", "lo_export", "pg_catalog.pg_ls_dir". */
  functions?: string[];
  /**
   * UPDATE/DELETE/MERGE with no WHERE, or with a WHERE that is constant-true; an upsert whose rows
   * come from a query and whose DO UPDATE has no such WHERE.
   */
  missingWhere?: boolean;
  /** COPY … TO/FROM PROGRAM. */
  copyProgram?: boolean;
  /** Dynamic SQL whose text cannot be resolved (EXECUTE of a non-constant, etc.). */
  unresolvedDynamicSql?: boolean;
  /**
   * Calls a function that is not a built-in (extensions, functions created earlier or by others,
   * anything schema-qualified other than the catalog): its body was never checked.
   */
  userFunctions?: boolean;
  /** Dialect-specific facts (CommandDialect.flags), e.g. MySQL "executableComment", "loadData"; any one holds. */
  flags?: string[];
}

export interface StatementRuleInput {
  id: string;
  name: string;
  /** Empty: every connection. */
  connectionIds: string[];
  /** Whose statements the rule applies to; empty: everyone. */
  groups: string[];
  match: StatementMatch;
}

export interface ApprovalRuleInput extends StatementRuleInput {
  approverGroups: string[];
  requiredApprovals: number;
  timeoutSeconds: number;
}

export type StatementDecision =
  | { action: 'allow' }
  | { action: 'block'; rule: { id: string; name: string }; reason: string }
  | { action: 'hold'; rule: ApprovalRuleInput; reason: string }
  /** The text does not parse (the parser's message): refused without reaching the target. */
  | { action: 'invalid'; message: string; position: number | null };

/**
 * Compiled statement rules. `evaluate` is synchronous and pure apart from the analyser's cache.
 * Blocks win over holds; a multi-statement string is blocked (or held) as a whole when any
 * statement in it is.
 */
export interface StatementPolicy {
  /** Rules that apply to this principal on this connection, precomputed once per session. */
  forSession(connectionId: string, groups: readonly string[]): SessionStatementPolicy;
}

export interface SessionStatementPolicy {
  /** True when no rule applies: the engine may skip evaluation entirely. */
  readonly empty: boolean;
  evaluate(sql: string): StatementDecision;
}
