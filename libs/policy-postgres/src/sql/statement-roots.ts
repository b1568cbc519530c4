/*
 * What a statement node says about itself beyond the names the generic walk finds: missing
 * WHERE, COPY details, the statements it runs (EXPLAIN ANALYZE, PREPARE, DO…), and objects named
 * by plain name lists (DROP, COMMENT, ALTER … SET SCHEMA, GRANT … IN SCHEMA). Each handler
 * returns the fields the generic walk must not enter (already analysed, or not executed).
 */
import {
  type AstObject,
  asArray,
  asObject,
  listItems,
  nameParts,
  stringField,
  stringNodeValue,
  unwrap,
} from './ast.js';
import type { StatementScope } from './analyze.js';
import { copyInfoOf } from './copy.js';
import type { FactsBuilder } from './facts-builder.js';
import type { NestedVia } from './facts.js';
import { qualifiedNameFromParts } from './names.js';
import { analyzeFunctionBody } from './function-body.js';
import { analyzeDoBlock } from './plpgsql.js';
import { filterAffectsEveryRow, mergeAffectsEveryRow, upsertAffectsEveryRow } from './where.js';

type RootHandler = (statement: AstObject, scope: StatementScope) => readonly string[];

const NOTHING_SKIPPED: ReadonlySet<string> = new Set();

export function inspectStatementRoot(type: string, statement: AstObject, scope: StatementScope): ReadonlySet<string> {
  const handler = Object.hasOwn(ROOT_HANDLERS, type) ? ROOT_HANDLERS[type] : undefined;
  return handler ? new Set(handler(statement, scope)) : NOTHING_SKIPPED;
}

/** The statement in `field` is executed by this one: analyse it as nested, not as part of us. */
const runsNested =
  (field: string, via: NestedVia): RootHandler =>
  (statement, scope) => {
    if (statement[field] === undefined) return [];
    scope.nestedStatement(statement[field], via);
    return [field];
  };

/** The statement names one object in `object`, of the type in `typeField`. */
function namedObject(typeField: string): RootHandler {
  return (statement, scope) => {
    if (statement['object'] !== undefined) {
      addNamedObject(stringField(statement, typeField), statement['object'], scope.builder);
    }
    return [];
  };
}

const ROOT_HANDLERS: Readonly<Record<string, RootHandler>> = {
  InsertStmt: (statement, scope) => {
    scope.builder.missingWhere = upsertAffectsEveryRow(statement);
    return [];
  },
  UpdateStmt: (statement, scope) => {
    scope.builder.missingWhere = filterAffectsEveryRow(statement['whereClause']);
    return [];
  },
  DeleteStmt: (statement, scope) => {
    scope.builder.missingWhere = filterAffectsEveryRow(statement['whereClause']);
    return [];
  },
  MergeStmt: (statement, scope) => {
    scope.builder.missingWhere = mergeAffectsEveryRow(statement);
    return [];
  },
  CopyStmt: (statement, scope) => {
    scope.builder.copy = copyInfoOf(statement);
    scope.builder.copyProgram = statement['is_program'] === true;
    return runsNested('query', 'COPY')(statement, scope);
  },
  ExplainStmt: (statement, scope) =>
    explainAnalyzes(statement['options']) ? runsNested('query', 'EXPLAIN ANALYZE')(statement, scope) : [],
  PrepareStmt: runsNested('query', 'PREPARE'),
  DeclareCursorStmt: runsNested('query', 'DECLARE CURSOR'),
  CreateTableAsStmt: (statement, scope) => {
    const matview = stringField(statement, 'objtype') === 'OBJECT_MATVIEW';
    return runsNested('query', matview ? 'CREATE MATERIALIZED VIEW' : 'CREATE TABLE AS')(statement, scope);
  },
  // What the view reads is checked when it is created: later `SELECT … FROM v` cannot see it.
  ViewStmt: runsNested('query', 'CREATE VIEW'),
  // A rule's actions run with every matching statement on its table: check them as if they ran now.
  RuleStmt: (statement, scope) => {
    for (const action of asArray(statement['actions'])) scope.nestedStatement(action, 'CREATE RULE');
    return ['actions'];
  },
  DoStmt: (statement, scope) => {
    analyzeDoBlock(statement, scope);
    return ['args'];
  },
  // The body runs when the function is called, where the gateway cannot see it: check it now.
  CreateFunctionStmt: (statement, scope) => {
    addSchemaOf(nameParts(statement['funcname']), scope.builder);
    analyzeFunctionBody(statement, scope);
    return ['sql_body'];
  },
  DropStmt: (statement, scope) => {
    const type = stringField(statement, 'removeType');
    for (const object of asArray(statement['objects'])) addNamedObject(type, object, scope.builder);
    return [];
  },
  CommentStmt: namedObject('objtype'),
  SecLabelStmt: namedObject('objtype'),
  AlterOwnerStmt: namedObject('objectType'),
  AlterObjectDependsStmt: namedObject('objectType'),
  AlterObjectSchemaStmt: (statement, scope) => {
    const newSchema = stringField(statement, 'newschema');
    if (newSchema !== undefined) scope.builder.addSchema(newSchema);
    return namedObject('objectType')(statement, scope);
  },
  RenameStmt: (statement, scope) => {
    if (stringField(statement, 'renameType') === 'OBJECT_SCHEMA') {
      addSchemas([stringField(statement, 'subname'), stringField(statement, 'newname')], scope.builder);
      return [];
    }
    return namedObject('renameType')(statement, scope);
  },
  GrantStmt: (statement, scope) => {
    const inSchema = stringField(statement, 'targtype') === 'ACL_TARGET_ALL_IN_SCHEMA';
    const type = inSchema ? 'OBJECT_SCHEMA' : stringField(statement, 'objtype');
    for (const object of asArray(statement['objects'])) addNamedObject(type, object, scope.builder);
    return [];
  },
  CreateSchemaStmt: (statement, scope) => {
    addSchemas([stringField(statement, 'schemaname')], scope.builder);
    return [];
  },
  ReindexStmt: (statement, scope) => {
    if (stringField(statement, 'kind') === 'REINDEX_OBJECT_SCHEMA') {
      addSchemas([stringField(statement, 'name')], scope.builder);
    }
    return [];
  },
  ImportForeignSchemaStmt: (statement, scope) => {
    addSchemas([stringField(statement, 'local_schema')], scope.builder);
    return [];
  },
  AlterDefaultPrivilegesStmt: (statement, scope) => {
    const schemas = optionArgument(statement['options'], 'schemas');
    addSchemas((listItems(schemas) ?? []).map(stringNodeValue), scope.builder);
    return [];
  },
  // CREATE OPERATOR ~~~ (FUNCTION = pg_read_file) makes `~~~ 'x'` call it: count the reference.
  DefineStmt: (statement, scope) => {
    for (const item of asArray(statement['definition'])) {
      const option = asObject(asObject(item)?.['DefElem']);
      if (!FUNCTION_OPTIONS.has(stringField(option, 'defname') ?? '')) continue;
      addFunctionReference(objectNameParts(option?.['arg']), scope.builder);
    }
    return [];
  },
  CreateCastStmt: (statement, scope) => {
    addFunctionReference(nameParts(asObject(statement['func'])?.['objname']), scope.builder);
    return [];
  },
  CreateTransformStmt: (statement, scope) => {
    for (const field of ['fromsql', 'tosql']) {
      addFunctionReference(nameParts(asObject(statement[field])?.['objname']), scope.builder);
    }
    return [];
  },
  CreateTrigStmt: (statement, scope) => {
    addFunctionReference(nameParts(statement['funcname']), scope.builder);
    return [];
  },
  CreateEventTrigStmt: (statement, scope) => {
    addFunctionReference(nameParts(statement['funcname']), scope.builder);
    return [];
  },
  CreateExtensionStmt: (statement, scope) => {
    addSchemas([stringNodeValue(optionArgument(statement['options'], 'schema'))], scope.builder);
    return [];
  },
};

/** Options of CREATE OPERATOR / AGGREGATE / TYPE … that name a function the object will call. */
const FUNCTION_OPTIONS = new Set([
  'function',
  'procedure',
  'sfunc',
  'finalfunc',
  'combinefunc',
  'serialfunc',
  'deserialfunc',
  'msfunc',
  'minvfunc',
  'mfinalfunc',
  'restrict',
  'join',
  'input',
  'output',
  'receive',
  'send',
  'typmod_in',
  'typmod_out',
  'analyze',
  'subscript',
]);

function addFunctionReference(parts: readonly string[] | undefined, builder: FactsBuilder): void {
  const name = parts && qualifiedNameFromParts(parts);
  if (!name) return;
  builder.addFunction(name.schema, name.name);
  if (name.schema !== null) builder.addSchema(name.schema);
}

/** `EXPLAIN ANALYZE`, `EXPLAIN (ANALYZE)`, `(ANALYZE on)`…: everything but an explicit false. */
function explainAnalyzes(options: unknown): boolean {
  for (const item of asArray(options)) {
    const option = asObject(asObject(item)?.['DefElem']);
    if (stringField(option, 'defname') !== 'analyze') continue;
    if (!isExplicitFalse(option?.['arg'])) return true;
  }
  return false;
}

function isExplicitFalse(arg: unknown): boolean {
  const wrapped = unwrap(arg);
  if (!wrapped) return false;
  const [type, body] = wrapped;
  if (type === 'Integer') return (body['ival'] ?? 0) === 0;
  if (type === 'Boolean') return body['boolval'] !== true;
  if (type === 'String') return ['false', 'off'].includes((stringField(body, 'sval') ?? '').toLowerCase());
  return false;
}

function optionArgument(options: unknown, name: string): unknown {
  for (const item of asArray(options)) {
    const option = asObject(asObject(item)?.['DefElem']);
    if (stringField(option, 'defname') === name) return option?.['arg'];
  }
  return undefined;
}

/** Objects that are relations, named by a plain name list (DROP TABLE a.b, COMMENT ON VIEW v…). */
const RELATION_OBJECTS = new Set([
  'OBJECT_TABLE',
  'OBJECT_VIEW',
  'OBJECT_MATVIEW',
  'OBJECT_SEQUENCE',
  'OBJECT_FOREIGN_TABLE',
  'OBJECT_INDEX',
]);

/** Objects named "<relation…>.<name>" (a column, or a trigger/rule/policy ON a table). */
const OBJECTS_ON_RELATIONS = new Set([
  'OBJECT_COLUMN',
  'OBJECT_TRIGGER',
  'OBJECT_RULE',
  'OBJECT_POLICY',
  'OBJECT_TABCONSTRAINT',
]);

function addNamedObject(type: string | undefined, object: unknown, builder: FactsBuilder): void {
  const parts = objectNameParts(object);
  if (!parts || parts.length === 0) return;
  if (type === 'OBJECT_SCHEMA') return addSchemas(parts.slice(-1), builder);
  const relationParts = RELATION_OBJECTS.has(type ?? '')
    ? parts
    : OBJECTS_ON_RELATIONS.has(type ?? '')
      ? parts.slice(0, -1)
      : undefined;
  const relation = relationParts && qualifiedNameFromParts(relationParts);
  if (relation) builder.addRelation(relation.schema, relation.name);
  else addSchemaOf(parts, builder);
}

/** The name parts of an object reference, whatever node the grammar used for it. */
function objectNameParts(object: unknown): string[] | undefined {
  const single = stringNodeValue(object);
  if (single !== undefined) return [single];
  const items = listItems(object);
  if (items) return nameParts(items);
  const wrapped = unwrap(object);
  if (wrapped?.[0] === 'ObjectWithArgs') return nameParts(wrapped[1]['objname']);
  if (wrapped?.[0] === 'TypeName') return nameParts(wrapped[1]['names']);
  return undefined;
}

/** The schema of a qualified name, when it has one. */
function addSchemaOf(parts: readonly string[] | undefined, builder: FactsBuilder): void {
  const name = parts && qualifiedNameFromParts(parts);
  if (name && name.schema !== null) builder.addSchema(name.schema);
}

function addSchemas(schemas: readonly (string | undefined)[], builder: FactsBuilder): void {
  for (const schema of schemas) if (schema !== undefined && schema !== '') builder.addSchema(schema);
}
