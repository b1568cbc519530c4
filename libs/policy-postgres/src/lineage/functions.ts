/*
 * How functions move values, for lineage. Names are PostgreSQL built-ins (pg_catalog); a call
 * qualified with another schema is never one of these.
 */

/** Arguments that do not become the result's value: counting says nothing about the values. */
export const NON_VALUE_FUNCTIONS: ReadonlySet<string> = new Set([
  'count',
  'num_nulls',
  'num_nonnulls',
  'pg_typeof',
  'grouping',
]);

/**
 * Functions whose result holds their text arguments as they were (collected, concatenated,
 * wrapped in JSON or arrays, re-cased): value detectors still recognise a value in it. Every
 * other function or operator may reshape a value beyond recognition.
 */
export const VALUE_PRESERVING_FUNCTIONS: ReadonlySet<string> = new Set([
  'concat',
  'concat_ws',
  'format',
  'string_agg',
  'array_agg',
  'json_agg',
  'jsonb_agg',
  'json_agg_strict',
  'jsonb_agg_strict',
  'json_object_agg',
  'jsonb_object_agg',
  'json_objectagg',
  'json_arrayagg',
  'to_json',
  'to_jsonb',
  'row_to_json',
  'array_to_json',
  'json_build_object',
  'jsonb_build_object',
  'json_build_array',
  'jsonb_build_array',
  'json_object',
  'jsonb_object',
  'json_strip_nulls',
  'jsonb_strip_nulls',
  'jsonb_pretty',
  'json_array_elements',
  'jsonb_array_elements',
  'json_array_elements_text',
  'jsonb_array_elements_text',
  'json_each',
  'jsonb_each',
  'json_each_text',
  'jsonb_each_text',
  'json_extract_path',
  'jsonb_extract_path',
  'json_extract_path_text',
  'jsonb_extract_path_text',
  'array_to_string',
  'array_append',
  'array_prepend',
  'array_cat',
  'unnest',
  'coalesce',
  'nullif',
  'greatest',
  'least',
  'min',
  'max',
  'any_value',
  'mode',
  'first_value',
  'last_value',
  'nth_value',
  'lag',
  'lead',
  'lower',
  'upper',
  'initcap',
  'text',
  'quote_literal',
  'quote_nullable',
  'quote_ident',
  'to_char',
  'xmlagg',
  'xmlelement',
  'xmlforest',
  'xmlconcat',
  'row',
]);

/** Operators that keep their operands' text: concatenation and JSON/array access. */
export const VALUE_PRESERVING_OPERATORS: ReadonlySet<string> = new Set(['||', '->', '->>', '#>', '#>>']);

/** Types a cast to keeps a value's text readable (a cast to bytea, a number or a hash does not). */
export const TEXT_CAST_TYPES: ReadonlySet<string> = new Set([
  'text',
  'varchar',
  'bpchar',
  'char',
  'name',
  'json',
  'jsonb',
  'citext',
  'unknown',
  'xml',
]);

/**
 * Built-ins whose arguments are stored or sent somewhere a later statement, another session or
 * the client can read without going through a result: a masked value given to one is a leak.
 */
export const SINK_FUNCTIONS: ReadonlySet<string> = new Set([
  'set_config',
  'pg_notify',
  'lo_from_bytea',
  'lo_put',
  'lowrite',
  'lo_import',
  'lo_export',
  'pg_logical_emit_message',
  'setval',
  'pg_advisory_lock',
  'pg_advisory_lock_shared',
  'pg_advisory_xact_lock',
  'pg_advisory_xact_lock_shared',
  'pg_try_advisory_lock',
  'pg_try_advisory_lock_shared',
  'pg_try_advisory_xact_lock',
  'pg_try_advisory_xact_lock_shared',
  'pg_file_write',
  'pg_file_rename',
  'pg_create_restore_point',
  'pg_replication_origin_create',
  'pg_replication_origin_session_setup',
  'pg_replication_origin_advance',
  'pg_replication_origin_xact_setup',
  'pg_stat_reset_single_table_counters',
  'dblink',
  'dblink_exec',
  'dblink_send_query',
  'dblink_open',
  'dblink_connect',
  'dblink_connect_u',
]);

/** Built-ins that run SQL given as text: the index of that argument. */
export const SQL_TEXT_FUNCTIONS: ReadonlyMap<string, number> = new Map([
  ['query_to_xml', 0],
  ['query_to_xml_and_xmlschema', 0],
  ['ts_stat', 0],
]);

/** Built-ins that read a whole table named by their first argument. */
export const TABLE_READING_FUNCTIONS: ReadonlySet<string> = new Set(['table_to_xml', 'table_to_xml_and_xmlschema']);

/** Built-ins that read what cannot be named here (a cursor, a schema, the whole database). */
export const OPAQUE_READING_FUNCTIONS: ReadonlySet<string> = new Set([
  'cursor_to_xml',
  'schema_to_xml',
  'schema_to_xml_and_xmlschema',
  'database_to_xml',
  'database_to_xml_and_xmlschema',
]);

/**
 * Relations holding samples of other tables' values (planner statistics): reading them while
 * column rules apply would show masked values. Matched on the unqualified name or pg_catalog.
 */
export const STATISTICS_RELATIONS: ReadonlySet<string> = new Set([
  'pg_stats',
  'pg_stats_ext',
  'pg_stats_ext_exprs',
  'pg_statistic',
  'pg_statistic_ext_data',
]);
