import {
  compileMaskingRules,
  DetectionEngine,
  detectionEntries,
  Hasher,
  maskWholeBytes,
  STYLE_STRENGTH,
  type CompiledMaskingRule,
  type MaskingRuleInput,
  type MaskingStyle,
  type QualifiedName,
} from '@postern/policy';
import { lex, type ColumnAction, type LineageColumnRule } from '@postern/policy-mysql';
import { ColumnType, type ColumnDefinition } from '@postern/wire-mysql';

/**
 * What masking knows of the statement a result answers: the tables it names and every name it
 * mentions (words, quoted identifiers and strings, lower-cased). A result column that does not
 * come straight from one of those tables (an expression, a function, a derived table) is masked
 * when any of those names could be a masked column of any of those tables: without a lineage
 * analysis of MySQL expressions the engine fails closed.
 */
export interface StatementLineage {
  relations: readonly QualifiedName[];
  names: ReadonlySet<string>;
  /** The statement text is unknown (an EXECUTE of a statement prepared before): every computed column is masked. */
  unknown: boolean;
}

export const UNKNOWN_LINEAGE: StatementLineage = { relations: [], names: new Set(), unknown: true };
/** Only what the result's metadata names: the lineage analysis decided the rest. */
const NAMED_ONLY: StatementLineage = { relations: [], names: new Set(), unknown: false };

/** The lineage facts of one SQL text (relations from the analyser, names from the lexer). */
export function lineageOf(sql: string, relations: readonly QualifiedName[]): StatementLineage {
  const lexed = lex(sql);
  if (!lexed.ok) return UNKNOWN_LINEAGE;
  const names = new Set<string>();
  for (const token of lexed.tokens) {
    if (token.type === 'word' || token.type === 'identifier' || token.type === 'string') {
      names.add(token.value.toLowerCase());
    }
  }
  return { relations, names, unknown: false };
}

/** How each column of one result set is masked: a style per column (null: untouched). */
export interface ResultPlan {
  styles: (MaskingStyle | null)[];
  /** The rule (index in the session's rules) each masked column is counted under; -1 when none. */
  owners: number[];
  /** Whether a value of the column is text (detectors read it; a masked one gets the token, others NULL). */
  textual: boolean[];
  /** Each column's type (binary rows are laid out by it). */
  types: number[];
  /** Detectors run over textual columns that no column rule masks. */
  detect: boolean;
}

/** The masking rules of a snapshot, compiled once; `forSession` picks a principal's rules. */
export interface MysqlMaskingPolicy {
  forSession(connectionId: string, groups: readonly string[]): MysqlSessionMasker | null;
}

export function compileMysqlMasking(rules: MaskingRuleInput[], options: { hashKey: Buffer }): MysqlMaskingPolicy {
  const set = compileMaskingRules(rules, { hashKey: options.hashKey });
  return {
    forSession(connectionId, groups) {
      const applicable = set.forSession(connectionId, groups);
      return applicable === null ? null : new MysqlSessionMasker(applicable, set.hashKey);
    },
  };
}

/** One session's masking: plans each result set from its column definitions, masks values. */
export class MysqlSessionMasker {
  readonly hasher: Hasher;
  /** Values masked per rule (column rules and detector matches), for the session's summary. */
  readonly counts: Float64Array;
  readonly detection: DetectionEngine;
  readonly hasColumnRules: boolean;
  private lineageRuleList: LineageColumnRule[] | undefined;

  constructor(
    readonly rules: readonly CompiledMaskingRule[],
    hashKey: Buffer,
  ) {
    this.hasher = new Hasher(hashKey);
    this.counts = new Float64Array(rules.length);
    this.detection = new DetectionEngine(detectionEntries(rules), this.hasher, this.counts);
    this.hasColumnRules = rules.some((rule) => rule.columns.length > 0);
  }

  /** The column rules as policy-mysql's lineage planner takes them. */
  get lineageRules(): LineageColumnRule[] {
    return (this.lineageRuleList ??= this.rules
      .filter((rule) => rule.columns.length > 0)
      .map((rule) => ({ name: rule.name, matchers: rule.columns })));
  }

  /**
   * The plan for a result set, or null when nothing in it can be masked. `actions`: policy-mysql's
   * lineage for each column (redact a value derived from a masked column that the metadata does
   * not name); without it (a statement lineage cannot place), the name heuristic of `lineage`.
   */
  plan(
    columns: readonly ColumnDefinition[],
    lineage: StatementLineage,
    actions?: readonly ColumnAction[],
  ): ResultPlan | null {
    const decided = columns.map((column, index) =>
      actions === undefined ? this.columnStyle(column, lineage) : this.byLineage(column, actions[index] ?? 'redact'),
    );
    const styles = decided.map((d) => d.style);
    const textual = columns.map((column) => isTextual(column.type));
    const detect = this.detection.active && textual.some((t, i) => t && styles[i] === null);
    if (!detect && styles.every((style) => style === null)) return null;
    const owners = decided.map((d) => d.owner);
    return { styles, owners, textual, types: columns.map((column) => column.type), detect };
  }

  /** Statement text for audit events and recordings, with the value detectors applied. */
  maskText(text: string): string {
    return this.detection.active ? (this.detection.rewrite(text, undefined, false) ?? text) : text;
  }

  /** A whole value masked in `style` (the bytes of a text cell or a string binary cell). */
  maskValue(style: MaskingStyle, payload: Buffer, start: number, end: number): Buffer {
    return maskWholeBytes(style, this.hasher, payload, start, end);
  }

  /** The metadata's own match, and a redaction where the lineage says the value derives from a masked column. */
  private byLineage(column: ColumnDefinition, action: ColumnAction): { style: MaskingStyle | null; owner: number } {
    const named = this.columnStyle(column, NAMED_ONLY);
    if (action !== 'redact') return named;
    const owner = named.owner >= 0 ? named.owner : this.rules.findIndex((rule) => rule.columns.length > 0);
    return { style: 'redact', owner };
  }

  private columnStyle(
    column: ColumnDefinition,
    lineage: StatementLineage,
  ): { style: MaskingStyle | null; owner: number } {
    let best: MaskingStyle | null = null;
    let owner = -1;
    if (!this.hasColumnRules) return { style: best, owner };
    const direct = column.orgTable !== '' && column.orgName !== '';
    const fromNamedTable =
      lineage === NAMED_ONLY ||
      (direct && lineage.relations.some((relation) => relation.name.toLowerCase() === column.orgTable.toLowerCase()));
    this.rules.forEach((rule, index) => {
      if (rule.columns.length === 0) return;
      const applies = rule.columns.some((matcher) => {
        if (
          direct &&
          matcher.matches({ name: column.orgName, table: { schema: column.schema, name: column.orgTable } })
        )
          return true;
        if (!direct && matcher.matches({ name: column.name, table: null })) return true;
        if (fromNamedTable) return false;
        // An expression, or a column of a table the statement does not name (a derived table, a view).
        if (lineage.unknown) return true;
        for (const name of lineage.names) {
          for (const relation of lineage.relations) {
            if (matcher.mayMatchSource({ schema: relation.schema, relation: relation.name, column: name })) return true;
          }
        }
        return false;
      });
      if (applies && (best === null || STYLE_STRENGTH[rule.style] > STYLE_STRENGTH[best])) {
        best = rule.style;
        owner = index;
      }
    });
    return { style: best, owner };
  }
}

/** Column types whose values are text a detector can read (and a masked token can replace). */
function isTextual(type: number): boolean {
  switch (type) {
    case ColumnType.VARCHAR:
    case ColumnType.VAR_STRING:
    case ColumnType.STRING:
    case ColumnType.TINY_BLOB:
    case ColumnType.MEDIUM_BLOB:
    case ColumnType.LONG_BLOB:
    case ColumnType.BLOB:
    case ColumnType.JSON:
    case ColumnType.ENUM:
    case ColumnType.SET:
      return true;
    default:
      return false;
  }
}
