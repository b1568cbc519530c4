/*
 * Constant folding over raw parse-tree expressions, for two questions:
 *  - is a WHERE clause provably false/NULL (so an UPDATE/DELETE without a row filter is harmless)?
 *  - what text does an EXECUTE'd expression evaluate to ('DROP ' || 'TABLE x', format(…))?
 * Folding answers "unknown" whenever it is not certain to compute what PostgreSQL computes:
 * guardrails then fail closed (a row-independent WHERE counts as missing, an unknown EXECUTE
 * string is unresolved dynamic SQL). Recursion is bounded by MAX_FOLD_DEPTH.
 */
import { type AstObject, asArray, asObject, listItems, nameParts, stringField, unwrap } from './ast.js';

export type SqlValue =
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'text'; readonly value: string }
  | { readonly type: 'null' };

const MAX_FOLD_DEPTH = 64;
const NULL: SqlValue = { type: 'null' };

const bool = (value: boolean): SqlValue => ({ type: 'bool', value });
const text = (value: string): SqlValue => ({ type: 'text', value });

/** The value of a constant expression, or undefined when it is not (certainly) constant. */
export function foldConstant(node: unknown, depth = 0): SqlValue | undefined {
  if (depth > MAX_FOLD_DEPTH) return undefined;
  const wrapped = unwrap(node);
  if (!wrapped) return undefined;
  const [type, body] = wrapped;
  switch (type) {
    case 'A_Const':
      return foldLiteral(body);
    case 'TypeCast':
      return foldCast(body, depth);
    case 'BoolExpr':
      return foldBoolExpr(body, depth);
    case 'A_Expr':
      return foldOperatorExpr(body, depth);
    case 'NullTest':
      return foldNullTest(body, depth);
    case 'BooleanTest':
      return foldBooleanTest(body, depth);
    case 'FuncCall':
      return foldFunctionCall(body, depth);
    case 'SubLink':
      return foldScalarSubquery(body, depth);
    default:
      return undefined;
  }
}

function foldLiteral(body: AstObject): SqlValue | undefined {
  if (body['isnull'] === true) return NULL;
  const boolval = asObject(body['boolval']);
  if (boolval) return bool(boolval['boolval'] === true);
  const ival = asObject(body['ival']);
  if (ival) return { type: 'int', value: typeof ival['ival'] === 'number' ? ival['ival'] : 0 };
  const sval = asObject(body['sval']);
  if (sval) return text(stringField(sval, 'sval') ?? '');
  // Floats and numerics are exact in PostgreSQL and not in JavaScript: never fold them.
  return undefined;
}

/** The last part of a (possibly schema-qualified) type or function name. */
function baseName(names: unknown): string | undefined {
  const parts = nameParts(names);
  if (!parts || parts.length === 0 || parts.length > 2) return undefined;
  if (parts.length === 2 && parts[0] !== 'pg_catalog') return undefined;
  return parts[parts.length - 1];
}

const TEXT_TYPES = new Set(['text', 'varchar']);
const BOOL_TYPES = new Set(['bool', 'boolean']);
const INT_TYPES = new Set(['int2', 'int4', 'int8', 'int', 'integer', 'smallint', 'bigint']);

function foldCast(body: AstObject, depth: number): SqlValue | undefined {
  const typeName = asObject(body['typeName']);
  // A type modifier (varchar(3)) or an array type could change the value: do not fold.
  if (!typeName || typeName['typmods'] !== undefined || typeName['arrayBounds'] !== undefined) {
    return undefined;
  }
  const target = baseName(typeName['names']);
  const value = foldConstant(body['arg'], depth + 1);
  if (!value || !target) return undefined;
  if (value.type === 'null') return NULL;
  if (TEXT_TYPES.has(target)) return toText(value);
  if (BOOL_TYPES.has(target)) return toBool(value);
  if (INT_TYPES.has(target)) return toInt(value);
  return undefined;
}

function toText(value: SqlValue): SqlValue | undefined {
  if (value.type === 'text' || value.type === 'null') return value;
  if (value.type === 'int') return text(String(value.value));
  return text(value.value ? 'true' : 'false');
}

/** What a value's output function prints (concat() and format() use it: true is "t"). */
function outputText(value: SqlValue): SqlValue | undefined {
  return value.type === 'bool' ? text(value.value ? 't' : 'f') : toText(value);
}

function toBool(value: SqlValue): SqlValue | undefined {
  if (value.type === 'bool' || value.type === 'null') return value;
  if (value.type === 'int') return bool(value.value !== 0);
  const parsed = parseBoolText(value.value);
  return parsed === undefined ? undefined : bool(parsed);
}

function toInt(value: SqlValue): SqlValue | undefined {
  if (value.type === 'int' || value.type === 'null') return value;
  if (value.type === 'bool') return { type: 'int', value: value.value ? 1 : 0 };
  const trimmed = value.value.trim();
  return /^[+-]?\d{1,15}$/.test(trimmed) ? { type: 'int', value: Number(trimmed) } : undefined;
}

/** PostgreSQL's `boolin`: case-insensitive, trimmed, unambiguous prefixes of the words. */
export function parseBoolText(raw: string): boolean | undefined {
  const value = raw.trim().toLowerCase();
  if (value === '') return undefined;
  if ('true'.startsWith(value) || 'yes'.startsWith(value) || value === '1') return true;
  if ('false'.startsWith(value) || 'no'.startsWith(value) || value === '0') return false;
  if (value.length >= 2 && 'on'.startsWith(value)) return true;
  if (value.length >= 2 && 'off'.startsWith(value)) return false;
  return undefined;
}

/** A value in boolean context (WHERE, AND/OR/NOT): unknown-typed literals coerce to bool. */
function truthOf(value: SqlValue | undefined): boolean | null | undefined {
  if (!value) return undefined;
  if (value.type === 'null') return null;
  if (value.type === 'bool') return value.value;
  if (value.type === 'text') return parseBoolText(value.value);
  return undefined;
}

const fromTruth = (truth: boolean | null): SqlValue => (truth === null ? NULL : bool(truth));

function foldBoolExpr(body: AstObject, depth: number): SqlValue | undefined {
  const args = asArray(body['args']).map((arg) => truthOf(foldConstant(arg, depth + 1)));
  switch (stringField(body, 'boolop')) {
    case 'NOT_EXPR': {
      const [only] = args;
      if (only === undefined) return undefined;
      return fromTruth(only === null ? null : !only);
    }
    case 'AND_EXPR':
      if (args.includes(false)) return bool(false);
      if (args.includes(undefined)) return undefined;
      return fromTruth(args.includes(null) ? null : true);
    case 'OR_EXPR':
      if (args.includes(true)) return bool(true);
      if (args.includes(undefined)) return undefined;
      return fromTruth(args.includes(null) ? null : false);
    default:
      return undefined;
  }
}

function foldOperatorExpr(body: AstObject, depth: number): SqlValue | undefined {
  const operator = baseName(body['name']);
  if (operator === undefined) return undefined;
  const left = body['lexpr'] === undefined ? undefined : foldConstant(body['lexpr'], depth + 1);
  switch (stringField(body, 'kind')) {
    case 'AEXPR_OP': {
      const right = foldConstant(body['rexpr'], depth + 1);
      if (body['lexpr'] === undefined) return right && applyPrefixOperator(operator, right);
      return left && right && applyOperator(operator, left, right);
    }
    case 'AEXPR_DISTINCT':
    case 'AEXPR_NOT_DISTINCT': {
      const right = foldConstant(body['rexpr'], depth + 1);
      const same = left && right && isNotDistinct(left, right);
      if (same === undefined) return undefined;
      return bool(stringField(body, 'kind') === 'AEXPR_DISTINCT' ? !same : same);
    }
    case 'AEXPR_IN': {
      const list = listItems(body['rexpr']);
      return left && list && list.length > 0 ? foldIn(operator, left, list, depth) : undefined;
    }
    case 'AEXPR_BETWEEN':
    case 'AEXPR_NOT_BETWEEN':
      return left && foldBetween(body, left, depth);
    default:
      return undefined;
  }
}

function applyPrefixOperator(operator: string, value: SqlValue): SqlValue | undefined {
  if (value.type === 'null') return NULL;
  const number = toInt(value);
  if (!number || number.type !== 'int') return undefined;
  if (operator === '-') return { type: 'int', value: -number.value };
  if (operator === '+') return number;
  return undefined;
}

function applyOperator(operator: string, left: SqlValue, right: SqlValue): SqlValue | undefined {
  if (operator === '||') return concatenate(left, right);
  if (left.type === 'null' || right.type === 'null') return NULL;
  const arithmetic = applyArithmetic(operator, left, right);
  if (arithmetic) return arithmetic;
  const order = compareValues(left, right);
  if (order === undefined) return undefined;
  switch (operator) {
    case '=':
      return bool(order === 0);
    case '<>':
    case '!=':
      return bool(order !== 0);
    case '<':
      return order === 'unordered' ? undefined : bool(order < 0);
    case '>':
      return order === 'unordered' ? undefined : bool(order > 0);
    case '<=':
      return order === 'unordered' ? undefined : bool(order <= 0);
    case '>=':
      return order === 'unordered' ? undefined : bool(order >= 0);
    default:
      return undefined;
  }
}

function concatenate(left: SqlValue, right: SqlValue): SqlValue | undefined {
  if (left.type === 'null' || right.type === 'null') return NULL;
  // `1 || 2` is not text concatenation in PostgreSQL (no such operator): refuse.
  if (left.type !== 'text' && right.type !== 'text') return undefined;
  const a = toText(left);
  const b = toText(right);
  return a?.type === 'text' && b?.type === 'text' ? text(a.value + b.value) : undefined;
}

function applyArithmetic(operator: string, left: SqlValue, right: SqlValue): SqlValue | undefined {
  if (!'+-*'.includes(operator) || operator.length !== 1) return undefined;
  if (left.type !== 'int' || right.type !== 'int') return undefined;
  const result =
    operator === '+'
      ? left.value + right.value
      : operator === '-'
        ? left.value - right.value
        : left.value * right.value;
  return Number.isSafeInteger(result) ? { type: 'int', value: result } : undefined;
}

/**
 * Orders two non-null constants the way PostgreSQL would after coercing unknown-typed
 * literals: numbers numerically, booleans, and text only for (in)equality (ordering text depends
 * on the collation). Undefined when the types do not compare.
 */
function compareValues(left: SqlValue, right: SqlValue): number | 'unordered' | undefined {
  if (left.type === 'int' || right.type === 'int') {
    const a = toInt(left);
    const b = toInt(right);
    if (a?.type !== 'int' || b?.type !== 'int') return undefined;
    return Math.sign(a.value - b.value);
  }
  if (left.type === 'bool' || right.type === 'bool') {
    const a = toBool(left);
    const b = toBool(right);
    if (a?.type !== 'bool' || b?.type !== 'bool') return undefined;
    return Number(a.value) - Number(b.value);
  }
  if (left.type === 'text' && right.type === 'text') {
    return left.value === right.value ? 0 : 'unordered';
  }
  return undefined;
}

function isNotDistinct(left: SqlValue, right: SqlValue): boolean | undefined {
  if (left.type === 'null' || right.type === 'null') return left.type === right.type;
  const order = compareValues(left, right);
  return order === undefined ? undefined : order === 0;
}

function foldIn(operator: string, left: SqlValue, list: readonly unknown[], depth: number): SqlValue | undefined {
  const results = list.map((item) => {
    const value = foldConstant(item, depth + 1);
    return value && truthOf(applyOperator('=', left, value));
  });
  if (results.includes(undefined)) return undefined;
  const found = results.includes(true) ? true : results.includes(null) ? null : false;
  if (operator === '=') return fromTruth(found);
  if (operator === '<>') return fromTruth(found === null ? null : !found);
  return undefined;
}

function foldBetween(body: AstObject, value: SqlValue, depth: number): SqlValue | undefined {
  const bounds = listItems(body['rexpr']) ?? [];
  if (bounds.length !== 2) return undefined;
  const [low, high] = bounds.map((bound) => foldConstant(bound, depth + 1));
  if (!low || !high) return undefined;
  const above = truthOf(applyOperator('>=', value, low));
  const below = truthOf(applyOperator('<=', value, high));
  if (above === undefined || below === undefined) return undefined;
  const inside = above === false || below === false ? false : above && below;
  if (stringField(body, 'kind') === 'AEXPR_BETWEEN') return fromTruth(inside);
  return fromTruth(inside === null ? null : !inside);
}

function foldNullTest(body: AstObject, depth: number): SqlValue | undefined {
  const value = foldConstant(body['arg'], depth + 1);
  if (!value) return undefined;
  const isNull = value.type === 'null';
  return bool(stringField(body, 'nulltesttype') === 'IS_NOT_NULL' ? !isNull : isNull);
}

function foldBooleanTest(body: AstObject, depth: number): SqlValue | undefined {
  const truth = truthOf(foldConstant(body['arg'], depth + 1));
  if (truth === undefined) return undefined;
  switch (stringField(body, 'booltesttype')) {
    case 'IS_TRUE':
      return bool(truth === true);
    case 'IS_NOT_TRUE':
      return bool(truth !== true);
    case 'IS_FALSE':
      return bool(truth === false);
    case 'IS_NOT_FALSE':
      return bool(truth !== false);
    case 'IS_UNKNOWN':
      return bool(truth === null);
    case 'IS_NOT_UNKNOWN':
      return bool(truth !== null);
    default:
      return undefined;
  }
}

/** `(SELECT <constant>)` with nothing else in the subquery. */
function foldScalarSubquery(body: AstObject, depth: number): SqlValue | undefined {
  if (stringField(body, 'subLinkType') !== 'EXPR_SUBLINK') return undefined;
  const select = asObject(asObject(body['subselect'])?.['SelectStmt']);
  if (!select) return undefined;
  const allowed = new Set(['targetList', 'limitOption', 'op']);
  if (Object.keys(select).some((key) => !allowed.has(key))) return undefined;
  const targets = asArray(select['targetList']);
  if (targets.length !== 1) return undefined;
  const target = asObject(asObject(targets[0])?.['ResTarget']);
  return foldConstant(target?.['val'], depth + 1);
}

/** String functions whose result we can compute exactly from constant arguments. */
function foldFunctionCall(body: AstObject, depth: number): SqlValue | undefined {
  const name = baseName(body['funcname']);
  if (name === undefined || body['agg_star'] || body['over'] || body['func_variadic']) {
    return undefined;
  }
  const args: SqlValue[] = [];
  for (const arg of asArray(body['args'])) {
    const value = foldConstant(arg, depth + 1);
    if (!value) return undefined;
    args.push(value);
  }
  return STRING_FUNCTIONS[name]?.(args);
}

type StringFunction = (args: readonly SqlValue[]) => SqlValue | undefined;

const STRING_FUNCTIONS: Readonly<Record<string, StringFunction>> = {
  concat: (args) => {
    const parts = args.filter((arg) => arg.type !== 'null').map(outputText);
    return parts.every((part) => part?.type === 'text')
      ? text(parts.map((part) => (part as { value: string }).value).join(''))
      : undefined;
  },
  concat_ws: ([separator, ...rest]) => {
    if (!separator || separator.type === 'null') return separator && NULL;
    const joiner = outputText(separator);
    const parts = rest.filter((arg) => arg.type !== 'null').map(outputText);
    if (joiner?.type !== 'text' || !parts.every((part) => part?.type === 'text')) return undefined;
    return text(parts.map((part) => (part as { value: string }).value).join(joiner.value));
  },
  quote_ident: ([value, ...rest]) =>
    value?.type === 'text' && rest.length === 0 ? text(quoteIdentAlways(value.value)) : undefined,
  quote_literal: ([value, ...rest]) =>
    value?.type === 'text' && rest.length === 0 ? text(quoteLiteral(value.value)) : undefined,
  quote_nullable: ([value, ...rest]) => {
    if (rest.length > 0 || !value) return undefined;
    return value.type === 'null' ? text('NULL') : value.type === 'text' ? text(quoteLiteral(value.value)) : undefined;
  },
  replace: ([source, from, to, ...rest]) =>
    source?.type === 'text' && from?.type === 'text' && to?.type === 'text' && rest.length === 0
      ? text(from.value === '' ? source.value : source.value.split(from.value).join(to.value))
      : undefined,
  chr: ([code, ...rest]) =>
    code?.type === 'int' &&
    rest.length === 0 &&
    code.value > 0 &&
    code.value <= 0x10ffff &&
    (code.value < 0xd800 || code.value > 0xdfff)
      ? text(String.fromCodePoint(code.value))
      : undefined,
  lower: ([value, ...rest]) => asciiCase(value, rest, (s) => s.toLowerCase()),
  upper: ([value, ...rest]) => asciiCase(value, rest, (s) => s.toUpperCase()),
  format: (args) => formatText(args),
};

/** lower()/upper() depend on the collation beyond ASCII: only fold ASCII text. */
function asciiCase(
  value: SqlValue | undefined,
  rest: readonly SqlValue[],
  change: (s: string) => string,
): SqlValue | undefined {
  if (rest.length > 0 || value?.type !== 'text') return undefined;
  for (let index = 0; index < value.value.length; index += 1) {
    if (value.value.charCodeAt(index) > 0x7f) return undefined;
  }
  return text(change(value.value));
}

/**
 * Always quoting is safe: `"orders"` and `orders` name the same relation once parsed, so the
 * nested analysis sees what PostgreSQL's quote_ident would have produced.
 */
function quoteIdentAlways(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

/** PostgreSQL's quote_literal: doubles quotes, and backslashes with an E'' prefix. */
function quoteLiteral(value: string): string {
  const quoted = `'${value.replace(/'/g, "''").replace(/\\/g, '\\\\')}'`;
  return value.includes('\\') ? `E${quoted}` : quoted;
}

/** format() with %s, %I, %L, %% and %n$ positions; widths and flags are not folded. */
function formatText(args: readonly SqlValue[]): SqlValue | undefined {
  const [template, ...values] = args;
  if (!template || template.type === 'null') return template && NULL;
  if (template.type !== 'text') return undefined;
  let result = '';
  let next = 0;
  const spec = /%(?:(\d+)\$)?([sIL%])|%/g;
  let last = 0;
  for (let match = spec.exec(template.value); match; match = spec.exec(template.value)) {
    result += template.value.slice(last, match.index);
    last = spec.lastIndex;
    const conversion = match[2];
    if (conversion === undefined) return undefined;
    if (conversion === '%') {
      result += '%';
      continue;
    }
    const index = match[1] === undefined ? next : Number(match[1]) - 1;
    next = index + 1;
    const piece = formatArgument(conversion, values[index]);
    if (piece === undefined) return undefined;
    result += piece;
  }
  return text(result + template.value.slice(last));
}

function formatArgument(conversion: string, value: SqlValue | undefined): string | undefined {
  if (!value) return undefined;
  if (value.type === 'null') return conversion === 'L' ? 'NULL' : conversion === 's' ? '' : undefined;
  const asText = outputText(value);
  if (asText?.type !== 'text') return undefined;
  if (conversion === 'I') return quoteIdentAlways(asText.value);
  if (conversion === 'L') return quoteLiteral(asText.value);
  return asText.value;
}

/** The text a constant expression evaluates to (for EXECUTE and SQL-taking functions). */
export function constantText(node: unknown): string | undefined {
  const value = foldConstant(node);
  return value?.type === 'text' ? value.value : undefined;
}

/** True/false/null when the expression is a constant predicate; undefined when unknown. */
export function constantTruth(node: unknown): boolean | null | undefined {
  return truthOf(foldConstant(node));
}
