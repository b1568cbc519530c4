/*
 * Statement rules' match language: validation of a rule body (zod) and compiled matchers that
 * test one command's facts. A rule matches a command when every condition it sets holds;
 * a list condition holds when any entry matches. Kinds and name patterns are the dialect's.
 */
import { z } from 'zod';
import { PolicySpecError } from '../errors.js';
import type { CommandDialect, CommandFacts, FunctionRef, QualifiedName, StatementMatch } from './contract.js';
import { NamePatternSet, patternProblem } from './patterns.js';

const nonEmptyList = <T extends z.ZodType>(item: T) => z.array(item).min(1, 'must not be empty').optional();

function statementMatchSchema(dialect: CommandDialect) {
  const kindSchema = z.string().refine((kind) => dialect.canonicalKind(kind) !== null, {
    message: 'is not a statement kind this gateway recognises (see STATEMENT_KINDS)',
  });
  const flags = dialect.flags ?? {};
  const flagSchema = z.string().refine((flag) => Object.hasOwn(flags, flag), {
    message: `is not a condition of the ${dialect.name} dialect (known: ${Object.keys(flags).join(', ') || 'none'})`,
  });
  const patternSchema = (maxParts: 1 | 2) =>
    z.string().superRefine((pattern, context) => {
      const problem = patternProblem(dialect.names, pattern, maxParts);
      if (problem) context.addIssue({ code: 'custom', message: `pattern "${pattern}" ${problem}` });
    });
  return z
    .strictObject({
      statementKinds: nonEmptyList(kindSchema),
      relations: nonEmptyList(patternSchema(2)),
      schemas: nonEmptyList(patternSchema(1)),
      functions: nonEmptyList(patternSchema(2)),
      missingWhere: z.boolean().optional(),
      copyProgram: z.boolean().optional(),
      unresolvedDynamicSql: z.boolean().optional(),
      userFunctions: z.boolean().optional(),
      flags: nonEmptyList(flagSchema),
    })
    .refine(
      (match) =>
        match.statementKinds !== undefined ||
        match.relations !== undefined ||
        match.schemas !== undefined ||
        match.functions !== undefined ||
        match.missingWhere === true ||
        match.copyProgram === true ||
        match.unresolvedDynamicSql === true ||
        match.userFunctions === true ||
        match.flags !== undefined,
      { message: 'sets no condition: it would match every statement' },
    );
}

/**
 * The stand-in for a rule an agent could not load: no condition, so it holds for every command.
 * parseCommandMatch refuses a rule without a condition from an administrator; this one object is
 * the only way to have one, and only the agent's fail-closed path uses it.
 */
export const MATCH_EVERY_COMMAND: StatementMatch = Object.freeze({});

/** One schema per dialect, built on first use. */
const schemas = new WeakMap<CommandDialect, ReturnType<typeof statementMatchSchema>>();

/**
 * Validates a rule body from the API or the wire against `dialect`. Throws PolicySpecError naming
 * the field (prefixed with `path`, e.g. "match" → "match.relations[2]"). Kinds come back
 * canonical (upper case, aliases such as ALTER USER resolved).
 */
export function parseCommandMatch(dialect: CommandDialect, spec: unknown, path = ''): StatementMatch {
  if (spec === MATCH_EVERY_COMMAND) return MATCH_EVERY_COMMAND;
  let schema = schemas.get(dialect);
  if (schema === undefined) {
    schema = statementMatchSchema(dialect);
    schemas.set(dialect, schema);
  }
  const result = schema.safeParse(spec);
  if (!result.success) {
    const issue = result.error.issues[0];
    const keys = issue?.code === 'unrecognized_keys' ? issue.keys : [];
    const fieldPath = joinPath(path, [...(issue?.path ?? []), ...keys.slice(0, 1)]);
    const message = issue?.code === 'unrecognized_keys' ? `unknown field "${keys[0]}"` : (issue?.message ?? 'invalid');
    throw new PolicySpecError(`${fieldPath || 'match'}: ${message}`, fieldPath);
  }
  const match = result.data;
  return match.statementKinds
    ? { ...match, statementKinds: match.statementKinds.map((kind) => dialect.canonicalKind(kind) as string) }
    : match;
}

function joinPath(prefix: string, path: readonly PropertyKey[]): string {
  let joined = prefix;
  for (const part of path) {
    if (typeof part === 'number') joined += `[${part}]`;
    else joined += joined === '' ? String(part) : `.${String(part)}`;
  }
  return joined;
}

/** What made a rule match, for the reason shown to the client. */
export interface MatchEvidence {
  readonly statement: CommandFacts;
  readonly relation: QualifiedName | null;
  readonly schema: string | null;
  readonly function: FunctionRef | null;
  /** The dialect-specific fact that matched (`flags`), if the rule names any. */
  readonly flag: string | null;
}

export class StatementMatcher {
  private readonly kinds: ReadonlySet<string> | null;
  private readonly relations: NamePatternSet | null;
  private readonly schemas: NamePatternSet | null;
  private readonly functions: NamePatternSet | null;
  private readonly flags: ReadonlySet<string> | null;

  /** `match` must have gone through parseCommandMatch with the same dialect. */
  constructor(
    readonly match: StatementMatch,
    dialect: CommandDialect,
  ) {
    const names = dialect.names;
    this.kinds = match.statementKinds ? new Set(match.statementKinds) : null;
    this.relations = match.relations ? new NamePatternSet(names, match.relations) : null;
    this.schemas = match.schemas ? new NamePatternSet(names, match.schemas) : null;
    this.functions = match.functions ? new NamePatternSet(names, match.functions) : null;
    this.flags = match.flags ? new Set(match.flags) : null;
  }

  /** Evidence when every condition holds for this command, else null. */
  test(statement: CommandFacts): MatchEvidence | null {
    const { match } = this;
    if (match.missingWhere === true && !statement.missingWhere) return null;
    if (match.copyProgram === true && !statement.copyProgram) return null;
    if (match.unresolvedDynamicSql === true && !statement.unresolvedDynamicSql) return null;
    if (this.kinds && !statement.kinds.some((kind) => this.kinds?.has(kind))) return null;
    const flag = this.flags ? (statement.flags?.find((fact) => this.flags?.has(fact)) ?? null) : null;
    if (this.flags && flag === null) return null;
    const relation = this.relations ? this.relations.firstName(statement.relations) : null;
    if (this.relations && !relation) return null;
    const schema = this.schemas ? this.schemas.firstSchema(statement.schemas) : null;
    if (this.schemas && schema === null) return null;
    const call = this.functions ? this.functions.firstName(statement.functions) : null;
    if (this.functions && !call) return null;
    const userCall = match.userFunctions === true ? firstUserFunction(statement.functions) : null;
    if (match.userFunctions === true && !userCall) return null;
    return { statement, relation, schema, function: call ?? userCall, flag };
  }
}

/**
 * A call whose body the gateway never saw: not a built-in. Attribute notation (`t.name`) is left
 * out, it is a column far more often than a call.
 */
function firstUserFunction(functions: readonly FunctionRef[]): FunctionRef | null {
  return functions.find((call) => !call.builtin && !call.attributeNotation) ?? null;
}
