/**
 * PostgreSQL functions whose DuckDB namesake is missing or means something else, and what
 * a call becomes: the name of a macro or scalar function defined on the session's
 * connection (session-setup.ts), or a DuckDB builtin with PostgreSQL's meaning.
 */

/** PostgreSQL function name → DuckDB function to call instead. */
export const renamedFunctions: ReadonlyMap<string, string> = new Map([
  ['version', 'tw_version'],
  ['current_setting', 'tw_current_setting'],
  ['current_schema', 'tw_current_schema'],
  ['current_schemas', 'tw_current_schemas'],
  ['current_database', 'tw_current_database'],
  ['quote_ident', 'tw_quote_ident'],
  ['quote_literal', 'tw_quote_literal'],
  ['quote_nullable', 'tw_quote_nullable'],
  ['parse_ident', 'tw_parse_ident'],
  ['array_length', 'tw_array_length'],
  ['array_lower', 'tw_array_lower'],
  ['array_upper', 'tw_array_upper'],
  ['array_ndims', 'tw_array_ndims'],
  ['cardinality', 'tw_cardinality'],
  ['octet_length', 'tw_octet_length'],
  ['lower', 'tw_lower'],
  ['upper', 'tw_upper'],
  ['string_to_array', 'tw_string_to_array'],
  ['format_type', 'tw_format_type'],
  ['pg_typeof', 'tw_pg_typeof'],
  ['pg_table_is_visible', 'tw_is_visible'],
  ['pg_type_is_visible', 'tw_is_visible'],
  ['pg_function_is_visible', 'tw_is_visible'],
  ['obj_description', 'tw_no_description'],
  ['col_description', 'tw_no_description'],
  ['shobj_description', 'tw_no_description'],
  ['pg_get_userbyid', 'tw_get_userbyid'],
  ['pg_get_viewdef', 'tw_get_viewdef'],
  ['pg_encoding_to_char', 'tw_encoding_to_char'],
  ['pg_get_expr', 'tw_null_text'],
  ['pg_get_ruledef', 'tw_null_text'],
  ['pg_get_indexdef', 'tw_null_text'],
  ['pg_get_constraintdef', 'tw_null_text'],
  ['pg_get_triggerdef', 'tw_null_text'],
  ['pg_get_statisticsobjdef_columns', 'tw_null_text'],
  ['pg_get_function_result', 'tw_null_text'],
  ['pg_get_function_arguments', 'tw_null_text'],
  ['pg_get_function_identity_arguments', 'tw_null_text'],
  ['pg_relation_is_publishable', 'tw_false'],
  ['pg_is_in_recovery', 'tw_false'],
  ['has_table_privilege', 'tw_has_table_privilege'],
  ['has_schema_privilege', 'tw_true'],
  ['has_database_privilege', 'tw_true'],
  ['has_column_privilege', 'tw_true'],
  ['pg_has_role', 'tw_true'],
  ['pg_backend_pid', 'tw_backend_pid'],
  ['pg_relation_size', 'tw_zero'],
  ['pg_total_relation_size', 'tw_zero'],
  ['pg_table_size', 'tw_zero'],
  ['pg_indexes_size', 'tw_zero'],
  ['pg_size_pretty', 'tw_size_pretty'],
  ['pg_postmaster_start_time', 'tw_start_time'],
  ['btrim', 'trim'],
  ['repeat', 'tw_repeat'],
  ['lpad', 'tw_lpad'],
  ['rpad', 'tw_rpad'],
  ['every', 'bool_and'],
  ['initcap', 'tw_initcap'],
  ['jsonb_typeof', 'tw_jsonb_typeof'],
  ['to_char', 'tw_to_char'],
  ['date_bin', 'time_bucket'],
  ['clock_timestamp', 'now'],
  ['statement_timestamp', 'now'],
  ['transaction_timestamp', 'now'],
]);

/** The calls whose arguments follow SQL syntax (`extract(epoch FROM x)`), not a name and a list. */
export const SQL_SYNTAX = 'COERCE_SQL_SYNTAX';

/** `generate_series` as a list (a set in PostgreSQL) no longer than the limit of a built array (session-setup.ts). */
export const SERIES_LIST = 'tw_series';
