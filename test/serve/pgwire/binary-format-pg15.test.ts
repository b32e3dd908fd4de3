/**
 * Binary values against PostgreSQL 15 itself: for each value, the bytes a real server sends
 * in binary format must equal what tidewatch encodes, and decoding PostgreSQL's bytes (as a
 * binary Bind parameter would arrive) must give the value back. Text results are checked the
 * same way, so the formats agree.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeBinary, encodeBinary } from '../../../src/serve/pgwire/binary-values.ts';
import { typeOid } from '../../../src/serve/pgwire/type-oids.ts';
import { encodeField, parseText } from '../../../src/serve/pgwire/value-codec.ts';
import { arrayOf, type SqlType, T } from '../../../src/sql/types.ts';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.ts';
import {
  bind,
  dataRowOf,
  describe,
  execute,
  parse,
  RawClient,
  rowDescriptionOf,
  summary,
  sync,
} from './raw-client.ts';

const cases: [string, string, SqlType][] = [
  ['smallint', '-32768', T.int2],
  ['integer', '2147483647', T.int4],
  ['bigint', '-9007199254740991', T.int8],
  ['bigint', '9007199254740993', T.int8],
  ['bigint', '9223372036854775807', T.int8],
  ['bigint', '-9223372036854775808', T.int8],
  ['real', '1.5', T.float4],
  ['real', '-0.1', T.float4],
  ['double precision', '-0.1', T.float8],
  ['double precision', 'Infinity', T.float8],
  ['double precision', 'NaN', T.float8],
  ['numeric', '0', T.numeric],
  ['numeric', '1', T.numeric],
  ['numeric', '-1', T.numeric],
  ['numeric', '0.001', T.numeric],
  ['numeric', '12345.678', T.numeric],
  ['numeric', '10000', T.numeric],
  ['numeric', '100000000000000000000', T.numeric],
  ['numeric', '-0.5', T.numeric],
  ['numeric', '0.000012', T.numeric],
  ['numeric', '123456789.0123', T.numeric],
  ['numeric', '1.50', T.numeric],
  ['numeric', '0.10', T.numeric],
  ['numeric', '325.00', T.numeric],
  ['numeric', '0.00', T.numeric],
  ['numeric', '325.0000000000000000', T.numeric],
  ['numeric', '33.3333333333333333', T.numeric],
  ['numeric', '9007199254740993', T.numeric],
  ['numeric', '-12345678901234567890.123456789', T.numeric],
  ['numeric', '1e-20', T.numeric],
  ['numeric', '1.5e10', T.numeric],
  ['numeric', 'NaN', T.numeric],
  ['numeric', 'Infinity', T.numeric],
  ['numeric', '-Infinity', T.numeric],
  ['boolean', 'true', T.boolean],
  ['boolean', 'false', T.boolean],
  ['text', 'héllo, wörld', T.text],
  ['character varying', '', T.varchar],
  ['bytea', '\\x00ff10', T.bytea],
  ['timestamp', '2024-02-29 12:34:56.789012', T.timestamp],
  ['timestamp', '1970-01-01 00:00:00', T.timestamp],
  ['timestamp', '1999-12-31 23:59:59', T.timestamp],
  ['timestamptz', '2024-01-01 00:00:00+00', T.timestamptz],
  ['date', '2024-02-29', T.date],
  ['date', '1900-01-01', T.date],
  ['time', '13:45:00.5', T.time],
  ['interval', '1 year 2 mons 3 days 04:05:06.7', T.interval],
  ['interval', '-3 days -00:00:01', T.interval],
  ['jsonb', '{"a": [1, 2.5, "x"], "b": null, "cc": true}', T.jsonb],
  ['integer[]', '{1,NULL,3}', arrayOf(T.int4)],
  ['integer[]', '{}', arrayOf(T.int4)],
  ['integer[]', '{{1,2},{3,4}}', arrayOf(arrayOf(T.int4))],
  ['text[]', '{a,"b c","","NULL",NULL}', arrayOf(T.text)],
  ['double precision[]', '{1.5,-2}', arrayOf(T.float8)],
  ['numeric[]', '{1.5,-2,0.0001}', arrayOf(T.numeric)],
  ['numeric[]', '{1.50,NULL,NaN,9007199254740993}', arrayOf(T.numeric)],
  ['bigint[]', '{9223372036854775807,1}', arrayOf(T.int8)],
  ['timestamp[]', '{"2024-01-02 03:04:05"}', arrayOf(T.timestamp)],
  ['boolean[]', '{t,f}', arrayOf(T.boolean)],
];

let pg: TestPostgres;
let client: RawClient;
before(async () => {
  pg = await startPostgres();
  client = await RawClient.ready(pg.port, { user: 'postgres', database: 'postgres' });
});
after(async () => {
  client.end();
  await pg.stop();
});

/** PostgreSQL's answer for `$1::<type>` with the text parameter, in `format`. */
async function fromPostgres(
  sqlType: string,
  text: string,
  format: number,
): Promise<{ oid: number; bytes: Buffer }> {
  client.send(
    parse('', `SELECT $1::${sqlType}`),
    bind('', '', [Buffer.from(text)], [0], [format]),
    describe('P', ''),
    execute(''),
    sync(),
  );
  const ms = await client.readUntil('Z');
  assert.equal(summary(ms), '1 2 T D C:SELECT 1 Z:I', `${text}::${sqlType}`);
  const oid = rowDescriptionOf(ms[2] as never)[0]?.typeOid ?? 0;
  const bytes = dataRowOf(ms[3] as never)[0];
  assert.ok(bytes !== null && bytes !== undefined);
  return { oid, bytes };
}

test('binary encoding and decoding agree with PostgreSQL 15 byte for byte', async () => {
  for (const [sqlType, text, type] of cases) {
    const what = `${text}::${sqlType}`;
    const value = parseText(text, type);
    const binary = await fromPostgres(sqlType, text, 1);
    assert.equal(binary.oid, typeOid(type), `type OID of ${what}`);
    if (value === null) throw new Error(`${what} parsed to NULL`);
    assert.deepEqual(Buffer.from(encodeBinary(value, type)), binary.bytes, `binary of ${what}`);
    const decoded = decodeBinary(binary.bytes, type);
    if (typeof value === 'number' && Number.isNaN(value)) assert.ok(Number.isNaN(decoded));
    else assert.deepEqual(decoded, value, `decoded ${what}`);
    const textual = await fromPostgres(sqlType, text, 0);
    assert.equal(
      Buffer.from(encodeField(value, type, 0) ?? []).toString(),
      textual.bytes.toString(),
      `text of ${what}`,
    );
  }
});
