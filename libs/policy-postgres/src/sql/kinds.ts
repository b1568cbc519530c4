/*
 * The statement-kind vocabulary: what `statementKinds` in a rule can name, and how a parse-tree
 * node maps to it. A statement carries several kinds, most specific first (the first one is used
 * in block reasons): `DROP TABLE orders` is ["DROP TABLE", "DROP"], so a rule naming "DROP"
 * matches every DROP and one naming "DROP TABLE" only tables.
 */
import { type AstObject, asObject, stringField } from './ast.js';

/** PostgreSQL object types (parse-tree `ObjectType`) as they are spelled in SQL. */
const OBJECT_NOUNS: Readonly<Record<string, string>> = {
  OBJECT_ACCESS_METHOD: 'ACCESS METHOD',
  OBJECT_AGGREGATE: 'AGGREGATE',
  OBJECT_AMOP: 'OPERATOR FAMILY',
  OBJECT_AMPROC: 'OPERATOR FAMILY',
  OBJECT_ATTRIBUTE: 'TYPE',
  OBJECT_CAST: 'CAST',
  OBJECT_COLUMN: 'TABLE',
  OBJECT_COLLATION: 'COLLATION',
  OBJECT_CONVERSION: 'CONVERSION',
  OBJECT_DATABASE: 'DATABASE',
  OBJECT_DEFAULT: 'TABLE',
  OBJECT_DEFACL: 'DEFAULT PRIVILEGES',
  OBJECT_DOMAIN: 'DOMAIN',
  OBJECT_DOMCONSTRAINT: 'DOMAIN',
  OBJECT_EVENT_TRIGGER: 'EVENT TRIGGER',
  OBJECT_EXTENSION: 'EXTENSION',
  OBJECT_FDW: 'FOREIGN DATA WRAPPER',
  OBJECT_FOREIGN_SERVER: 'SERVER',
  OBJECT_FOREIGN_TABLE: 'FOREIGN TABLE',
  OBJECT_FUNCTION: 'FUNCTION',
  OBJECT_INDEX: 'INDEX',
  OBJECT_LANGUAGE: 'LANGUAGE',
  OBJECT_LARGEOBJECT: 'LARGE OBJECT',
  OBJECT_MATVIEW: 'MATERIALIZED VIEW',
  OBJECT_OPCLASS: 'OPERATOR CLASS',
  OBJECT_OPERATOR: 'OPERATOR',
  OBJECT_OPFAMILY: 'OPERATOR FAMILY',
  OBJECT_PARAMETER_ACL: 'PARAMETER',
  OBJECT_POLICY: 'POLICY',
  OBJECT_PROCEDURE: 'PROCEDURE',
  OBJECT_PUBLICATION: 'PUBLICATION',
  OBJECT_PUBLICATION_NAMESPACE: 'PUBLICATION',
  OBJECT_PUBLICATION_REL: 'PUBLICATION',
  OBJECT_ROLE: 'ROLE',
  OBJECT_ROUTINE: 'ROUTINE',
  OBJECT_RULE: 'RULE',
  OBJECT_SCHEMA: 'SCHEMA',
  OBJECT_SEQUENCE: 'SEQUENCE',
  OBJECT_SUBSCRIPTION: 'SUBSCRIPTION',
  OBJECT_STATISTIC_EXT: 'STATISTICS',
  OBJECT_TABCONSTRAINT: 'TABLE',
  OBJECT_TABLE: 'TABLE',
  OBJECT_TABLESPACE: 'TABLESPACE',
  OBJECT_TRANSFORM: 'TRANSFORM',
  OBJECT_TRIGGER: 'TRIGGER',
  OBJECT_TSCONFIGURATION: 'TEXT SEARCH CONFIGURATION',
  OBJECT_TSDICTIONARY: 'TEXT SEARCH DICTIONARY',
  OBJECT_TSPARSER: 'TEXT SEARCH PARSER',
  OBJECT_TSTEMPLATE: 'TEXT SEARCH TEMPLATE',
  OBJECT_TYPE: 'TYPE',
  OBJECT_USER_MAPPING: 'USER MAPPING',
  OBJECT_VIEW: 'VIEW',
};

const NOUNS = [...new Set(Object.values(OBJECT_NOUNS))];

/** Kinds that are not "<verb> <object>". */
const SIMPLE_KINDS = [
  'SELECT',
  'SELECT INTO',
  'INSERT',
  'UPDATE',
  'DELETE',
  'MERGE',
  'TRUNCATE',
  'DROP',
  'DROP OWNED',
  'ALTER',
  'ALTER SYSTEM',
  'CREATE',
  'CREATE TABLE AS',
  'GRANT',
  'REVOKE',
  'COPY',
  'COPY TO',
  'COPY FROM',
  'COPY FILE',
  'COPY PROGRAM',
  'DO',
  'CALL',
  'EXECUTE',
  'PREPARE',
  'DEALLOCATE',
  'EXPLAIN',
  'SET',
  'SET ROLE',
  'SET SESSION AUTHORIZATION',
  'SET CONSTRAINTS',
  'RESET',
  'SHOW',
  'VACUUM',
  'ANALYZE',
  'CLUSTER',
  'REINDEX',
  'LOCK',
  'TRANSACTION',
  'BEGIN',
  'COMMIT',
  'ROLLBACK',
  'SAVEPOINT',
  'RELEASE SAVEPOINT',
  'ROLLBACK TO SAVEPOINT',
  'PREPARE TRANSACTION',
  'COMMIT PREPARED',
  'ROLLBACK PREPARED',
  'COMMENT',
  'SECURITY LABEL',
  'DECLARE CURSOR',
  'FETCH',
  'MOVE',
  'CLOSE',
  'NOTIFY',
  'LISTEN',
  'UNLISTEN',
  'LOAD',
  'CHECKPOINT',
  'DISCARD',
  'REFRESH MATERIALIZED VIEW',
  'REASSIGN OWNED',
  'IMPORT FOREIGN SCHEMA',
  'UNKNOWN',
] as const;

/** Every kind the analyser can produce (and therefore every kind a rule may name). */
export const STATEMENT_KINDS: ReadonlySet<string> = new Set([
  ...SIMPLE_KINDS,
  ...['DROP', 'ALTER', 'CREATE'].flatMap((verb) => NOUNS.map((noun) => `${verb} ${noun}`)),
]);

/** Other spellings accepted in rules, mapped to the kind the analyser produces. */
export const STATEMENT_KIND_ALIASES: Readonly<Record<string, string>> = {
  'ALTER USER': 'ALTER ROLE',
  'ALTER GROUP': 'ALTER ROLE',
  'CREATE USER': 'CREATE ROLE',
  'CREATE GROUP': 'CREATE ROLE',
  'DROP USER': 'DROP ROLE',
  'DROP GROUP': 'DROP ROLE',
  'ALTER FOREIGN SERVER': 'ALTER SERVER',
  'CREATE FOREIGN SERVER': 'CREATE SERVER',
  'DROP FOREIGN SERVER': 'DROP SERVER',
  'START TRANSACTION': 'BEGIN',
  ABORT: 'ROLLBACK',
  END: 'COMMIT',
  ANALYSE: 'ANALYZE',
  RELEASE: 'RELEASE SAVEPOINT',
};

/** Canonical form of a kind written in a rule, or null when it is not in the vocabulary. */
export function canonicalStatementKind(written: string): string | null {
  const spaced = written.trim().replace(/\s+/g, ' ').toUpperCase();
  const kind = STATEMENT_KIND_ALIASES[spaced] ?? spaced;
  return STATEMENT_KINDS.has(kind) ? kind : null;
}

function nounOf(objectType: string | undefined): string {
  return (objectType !== undefined && OBJECT_NOUNS[objectType]) || 'OBJECT';
}

/** "<verb> <noun>" followed by the verb; ROUTINE also stands for FUNCTION and PROCEDURE. */
function verbObject(verb: string, objectType: string | undefined): string[] {
  const noun = nounOf(objectType);
  const kinds = noun === 'OBJECT' ? [] : [`${verb} ${noun}`];
  if (noun === 'ROUTINE') kinds.push(`${verb} FUNCTION`, `${verb} PROCEDURE`);
  kinds.push(verb);
  return kinds;
}

const TRANSACTION_KINDS: Readonly<Record<string, string>> = {
  TRANS_STMT_BEGIN: 'BEGIN',
  TRANS_STMT_START: 'BEGIN',
  TRANS_STMT_COMMIT: 'COMMIT',
  TRANS_STMT_ROLLBACK: 'ROLLBACK',
  TRANS_STMT_SAVEPOINT: 'SAVEPOINT',
  TRANS_STMT_RELEASE: 'RELEASE SAVEPOINT',
  TRANS_STMT_ROLLBACK_TO: 'ROLLBACK TO SAVEPOINT',
  TRANS_STMT_PREPARE: 'PREPARE TRANSACTION',
  TRANS_STMT_COMMIT_PREPARED: 'COMMIT PREPARED',
  TRANS_STMT_ROLLBACK_PREPARED: 'ROLLBACK PREPARED',
};

/** Statements whose kind does not depend on their fields. */
const FIXED_KINDS: Readonly<Record<string, readonly string[]>> = {
  UpdateStmt: ['UPDATE'],
  DeleteStmt: ['DELETE'],
  TruncateStmt: ['TRUNCATE'],
  DropdbStmt: ['DROP DATABASE', 'DROP'],
  DropRoleStmt: ['DROP ROLE', 'DROP'],
  DropTableSpaceStmt: ['DROP TABLESPACE', 'DROP'],
  DropUserMappingStmt: ['DROP USER MAPPING', 'DROP'],
  DropSubscriptionStmt: ['DROP SUBSCRIPTION', 'DROP'],
  DropOwnedStmt: ['DROP OWNED', 'DROP'],
  AlterRoleStmt: ['ALTER ROLE', 'ALTER'],
  AlterRoleSetStmt: ['ALTER ROLE', 'ALTER'],
  AlterSystemStmt: ['ALTER SYSTEM', 'ALTER'],
  AlterDatabaseStmt: ['ALTER DATABASE', 'ALTER'],
  AlterDatabaseSetStmt: ['ALTER DATABASE', 'ALTER'],
  AlterDatabaseRefreshCollStmt: ['ALTER DATABASE', 'ALTER'],
  AlterDomainStmt: ['ALTER DOMAIN', 'ALTER'],
  AlterExtensionStmt: ['ALTER EXTENSION', 'ALTER'],
  AlterExtensionContentsStmt: ['ALTER EXTENSION', 'ALTER'],
  AlterSeqStmt: ['ALTER SEQUENCE', 'ALTER'],
  AlterTableSpaceOptionsStmt: ['ALTER TABLESPACE', 'ALTER'],
  AlterPolicyStmt: ['ALTER POLICY', 'ALTER'],
  AlterPublicationStmt: ['ALTER PUBLICATION', 'ALTER'],
  AlterSubscriptionStmt: ['ALTER SUBSCRIPTION', 'ALTER'],
  AlterEventTrigStmt: ['ALTER EVENT TRIGGER', 'ALTER'],
  AlterFdwStmt: ['ALTER FOREIGN DATA WRAPPER', 'ALTER'],
  AlterForeignServerStmt: ['ALTER SERVER', 'ALTER'],
  AlterUserMappingStmt: ['ALTER USER MAPPING', 'ALTER'],
  AlterCollationStmt: ['ALTER COLLATION', 'ALTER'],
  AlterDefaultPrivilegesStmt: ['ALTER DEFAULT PRIVILEGES', 'ALTER'],
  AlterEnumStmt: ['ALTER TYPE', 'ALTER'],
  AlterTypeStmt: ['ALTER TYPE', 'ALTER'],
  AlterOperatorStmt: ['ALTER OPERATOR', 'ALTER'],
  AlterOpFamilyStmt: ['ALTER OPERATOR FAMILY', 'ALTER'],
  AlterStatsStmt: ['ALTER STATISTICS', 'ALTER'],
  AlterTSDictionaryStmt: ['ALTER TEXT SEARCH DICTIONARY', 'ALTER'],
  AlterTSConfigurationStmt: ['ALTER TEXT SEARCH CONFIGURATION', 'ALTER'],
  CreateStmt: ['CREATE TABLE', 'CREATE'],
  CreateSchemaStmt: ['CREATE SCHEMA', 'CREATE'],
  CreateRoleStmt: ['CREATE ROLE', 'CREATE'],
  CreatedbStmt: ['CREATE DATABASE', 'CREATE'],
  CreateExtensionStmt: ['CREATE EXTENSION', 'CREATE'],
  IndexStmt: ['CREATE INDEX', 'CREATE'],
  ViewStmt: ['CREATE VIEW', 'CREATE'],
  CreateSeqStmt: ['CREATE SEQUENCE', 'CREATE'],
  CreateTrigStmt: ['CREATE TRIGGER', 'CREATE'],
  CreateEventTrigStmt: ['CREATE EVENT TRIGGER', 'CREATE'],
  CreatePLangStmt: ['CREATE LANGUAGE', 'CREATE'],
  CreateDomainStmt: ['CREATE DOMAIN', 'CREATE'],
  CompositeTypeStmt: ['CREATE TYPE', 'CREATE'],
  CreateEnumStmt: ['CREATE TYPE', 'CREATE'],
  CreateRangeStmt: ['CREATE TYPE', 'CREATE'],
  CreateForeignTableStmt: ['CREATE FOREIGN TABLE', 'CREATE'],
  CreateForeignServerStmt: ['CREATE SERVER', 'CREATE'],
  CreateFdwStmt: ['CREATE FOREIGN DATA WRAPPER', 'CREATE'],
  CreateUserMappingStmt: ['CREATE USER MAPPING', 'CREATE'],
  CreatePolicyStmt: ['CREATE POLICY', 'CREATE'],
  CreateAmStmt: ['CREATE ACCESS METHOD', 'CREATE'],
  CreateTableSpaceStmt: ['CREATE TABLESPACE', 'CREATE'],
  CreateCastStmt: ['CREATE CAST', 'CREATE'],
  CreateConversionStmt: ['CREATE CONVERSION', 'CREATE'],
  CreateTransformStmt: ['CREATE TRANSFORM', 'CREATE'],
  CreateOpClassStmt: ['CREATE OPERATOR CLASS', 'CREATE'],
  CreateOpFamilyStmt: ['CREATE OPERATOR FAMILY', 'CREATE'],
  CreateStatsStmt: ['CREATE STATISTICS', 'CREATE'],
  CreatePublicationStmt: ['CREATE PUBLICATION', 'CREATE'],
  CreateSubscriptionStmt: ['CREATE SUBSCRIPTION', 'CREATE'],
  RuleStmt: ['CREATE RULE', 'CREATE'],
  ImportForeignSchemaStmt: ['IMPORT FOREIGN SCHEMA'],
  DoStmt: ['DO'],
  CallStmt: ['CALL'],
  ExecuteStmt: ['EXECUTE'],
  PrepareStmt: ['PREPARE'],
  DeallocateStmt: ['DEALLOCATE'],
  ExplainStmt: ['EXPLAIN'],
  VariableShowStmt: ['SHOW'],
  ClusterStmt: ['CLUSTER'],
  ReindexStmt: ['REINDEX'],
  LockStmt: ['LOCK'],
  CommentStmt: ['COMMENT'],
  SecLabelStmt: ['SECURITY LABEL'],
  DeclareCursorStmt: ['DECLARE CURSOR'],
  ClosePortalStmt: ['CLOSE'],
  NotifyStmt: ['NOTIFY'],
  ListenStmt: ['LISTEN'],
  UnlistenStmt: ['UNLISTEN'],
  LoadStmt: ['LOAD'],
  CheckPointStmt: ['CHECKPOINT'],
  DiscardStmt: ['DISCARD'],
  ConstraintsSetStmt: ['SET CONSTRAINTS', 'SET'],
  RefreshMatViewStmt: ['REFRESH MATERIALIZED VIEW'],
  ReassignOwnedStmt: ['REASSIGN OWNED'],
};

type KindsOf = (node: AstObject) => string[];

/** Statements whose kind depends on a field (object type, direction, flags). */
const KIND_FUNCTIONS: Readonly<Record<string, KindsOf>> = {
  // An upsert's DO UPDATE rewrites existing rows: a rule about UPDATE must see it.
  InsertStmt: (node) =>
    stringField(asObject(node['onConflictClause']), 'action') === 'ONCONFLICT_UPDATE'
      ? ['INSERT', 'UPDATE']
      : ['INSERT'],
  SelectStmt: (node) => (node['intoClause'] ? ['SELECT INTO', 'SELECT', 'CREATE TABLE', 'CREATE'] : ['SELECT']),
  // MERGE can update, delete and insert: a rule about DELETE must see MERGE … THEN DELETE.
  MergeStmt: (node) => ['MERGE', ...mergeActionKinds(node)],
  DropStmt: (node) => verbObject('DROP', stringField(node, 'removeType')),
  AlterTableStmt: (node) => verbObject('ALTER', stringField(node, 'objtype')),
  AlterTableMoveAllStmt: (node) => verbObject('ALTER', stringField(node, 'objtype')),
  AlterFunctionStmt: (node) => verbObject('ALTER', stringField(node, 'objtype')),
  AlterOwnerStmt: (node) => verbObject('ALTER', stringField(node, 'objectType')),
  AlterObjectSchemaStmt: (node) => verbObject('ALTER', stringField(node, 'objectType')),
  AlterObjectDependsStmt: (node) => verbObject('ALTER', stringField(node, 'objectType')),
  RenameStmt: (node) => verbObject('ALTER', renamedObjectType(node)),
  CreateFunctionStmt: (node) =>
    node['is_procedure'] === true ? ['CREATE PROCEDURE', 'CREATE'] : ['CREATE FUNCTION', 'CREATE'],
  DefineStmt: (node) => verbObject('CREATE', stringField(node, 'kind')),
  CreateTableAsStmt: (node) =>
    stringField(node, 'objtype') === 'OBJECT_MATVIEW'
      ? ['CREATE MATERIALIZED VIEW', 'CREATE']
      : ['CREATE TABLE AS', 'CREATE TABLE', 'CREATE'],
  GrantStmt: (node) => [node['is_grant'] === true ? 'GRANT' : 'REVOKE'],
  GrantRoleStmt: (node) => [node['is_grant'] === true ? 'GRANT' : 'REVOKE'],
  CopyStmt: copyKinds,
  VariableSetStmt: variableSetKinds,
  VacuumStmt: (node) => [node['is_vacuumcmd'] === true ? 'VACUUM' : 'ANALYZE'],
  FetchStmt: (node) => [node['ismove'] === true ? 'MOVE' : 'FETCH'],
  TransactionStmt: (node) => [TRANSACTION_KINDS[stringField(node, 'kind') ?? ''] ?? 'TRANSACTION', 'TRANSACTION'],
};

/**
 * COPY TO/FROM, and where to: a server-side file or program (STDIN/STDOUT has no extra kind).
 * COPY FROM inserts rows, so it is an INSERT too.
 */
function copyKinds(node: AstObject): string[] {
  const from = node['is_from'] === true;
  const kinds = [from ? 'COPY FROM' : 'COPY TO'];
  if (node['is_program'] === true) kinds.push('COPY PROGRAM');
  else if (node['filename'] !== undefined) kinds.push('COPY FILE');
  kinds.push('COPY');
  if (from) kinds.push('INSERT');
  return kinds;
}

function mergeActionKinds(node: AstObject): string[] {
  const kinds = new Set<string>();
  const clauses = node['mergeWhenClauses'];
  if (!Array.isArray(clauses)) return [];
  for (const clause of clauses) {
    const command = stringField(asObject(asObject(clause)?.['MergeWhenClause']), 'commandType');
    if (command === 'CMD_UPDATE') kinds.add('UPDATE');
    if (command === 'CMD_DELETE') kinds.add('DELETE');
    if (command === 'CMD_INSERT') kinds.add('INSERT');
  }
  return [...kinds];
}

/** Renaming a column or constraint is an ALTER of the table (or view…) that holds it. */
function renamedObjectType(node: AstObject): string | undefined {
  const renamed = stringField(node, 'renameType');
  if (renamed === 'OBJECT_COLUMN' || renamed === 'OBJECT_TABCONSTRAINT') {
    return stringField(node, 'relationType');
  }
  return renamed;
}

function variableSetKinds(node: AstObject): string[] {
  const kind = stringField(node, 'kind');
  if (kind === 'VAR_RESET' || kind === 'VAR_RESET_ALL') return ['RESET'];
  const name = stringField(node, 'name');
  if (name === 'role') return ['SET ROLE', 'SET'];
  if (name === 'session_authorization') return ['SET SESSION AUTHORIZATION', 'SET'];
  return ['SET'];
}

/** Kinds of one statement node, most specific first. Unknown node types are "UNKNOWN". */
export function statementKindsOf(nodeType: string, node: AstObject): string[] {
  const fixed = FIXED_KINDS[nodeType];
  if (fixed) return [...fixed];
  const computed = KIND_FUNCTIONS[nodeType];
  return computed ? computed(node) : ['UNKNOWN'];
}
