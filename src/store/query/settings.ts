/**
 * The run-time parameters `current_setting` and `pg_settings` show. The session's settings
 * callback answers first; these defaults describe tidewatch as RisingWave describes itself
 * to clients (a PostgreSQL 13.14 server; Grafana reads `server_version_num`).
 */
import type { CatalogSetting } from './catalog-relation-spec.ts';

const defaultSettings: Readonly<Record<string, string>> = {
  server_version: '13.14.0',
  server_version_num: '130014',
  server_encoding: 'UTF8',
  client_encoding: 'UTF8',
  DateStyle: 'ISO, MDY',
  IntervalStyle: 'postgres',
  TimeZone: 'UTC',
  search_path: '"$user", public',
  standard_conforming_strings: 'on',
  integer_datetimes: 'on',
  extra_float_digits: '1',
  max_identifier_length: '63',
  application_name: '',
  default_transaction_isolation: 'read committed',
  transaction_isolation: 'read committed',
  default_transaction_read_only: 'off',
  transaction_read_only: 'off',
  is_superuser: 'on',
  session_authorization: 'root',
  lc_collate: 'C',
  lc_ctype: 'C.UTF-8',
  max_connections: '100',
  statement_timeout: '0',
  block_size: '8192',
  rw_implicit_flush: 'false',
  streaming_parallelism: 'default',
};

/** Every known setting, the callback's value first, sorted by name as pg_settings is. */
export function currentSettings(lookup: (name: string) => string | undefined): CatalogSetting[] {
  return Object.entries(defaultSettings)
    .map(([name, fallback]) => ({ name, setting: lookup(name) ?? fallback }))
    .sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1));
}
