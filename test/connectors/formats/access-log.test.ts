/**
 * ENCODE ACCESS_LOG: web-server access-log lines, in the named formats and in nginx and Apache
 * format strings given verbatim, into rows of the reference schema — times with their zones in
 * UTC, response times in milliseconds, the request line split, `-` as NULL, Apache's escapes kept
 * as logged, scanners' garbage still a record — and reasons saying where a line stopped matching.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decoderFor, type RecordDecoder } from '../../../src/connectors/formats/index.ts';
import { clfMicros, isoMicros } from '../../../src/connectors/formats/log-time.ts';
import { castFn, fromText, parseTimestampText } from '../../../src/engine/eval/functions/casts.ts';
import { LOG_RECORD_COLUMNS } from '../../../src/generator/record.ts';
import { SqlError } from '../../../src/sql/errors.ts';
import { numeric, parseNumeric } from '../../../src/sql/numeric.ts';
import { bigintReplacer, lookupType, type SqlType, T, type Value } from '../../../src/sql/types.ts';

const reference = LOG_RECORD_COLUMNS.map(([name, type]) => ({ name, type: lookupType(type) as SqlType }));

function log(
  format: string,
  columns: readonly { name: string; type: SqlType }[] = reference,
  extra: [string, string][] = [],
): RecordDecoder {
  return decoderFor('ACCESS_LOG', new Map([['log_format', format], ...extra]), columns);
}

function cols(...spec: [string, SqlType][]): { name: string; type: SqlType }[] {
  return spec.map(([name, type]) => ({ name, type }));
}

function row(d: RecordDecoder, line: string | Uint8Array): readonly Value[] {
  const r = d.decode(line);
  assert.ok('row' in r, `expected a row, got ${'error' in r ? r.error : ''}`);
  return r.row;
}

/** A reference-schema row as an object, the columns the format cannot fill left out when NULL. */
function record(d: RecordDecoder, line: string): Record<string, Value> {
  const values = row(d, line);
  const out: Record<string, Value> = {};
  reference.forEach((c, i) => {
    if (values[i] !== null) out[c.name] = values[i] as Value;
  });
  return out;
}

function error(d: RecordDecoder, line: string | Uint8Array): string {
  const r = d.decode(line);
  assert.ok('error' in r, `expected an error, got ${JSON.stringify(r, bigintReplacer)}`);
  return r.error;
}

function sqlError(f: () => unknown, sqlstate: string, match: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof SqlError, String(e));
    assert.equal(e.sqlstate, sqlstate, e.message);
    assert.match(e.message, match);
    return true;
  });
}

const US = (iso: string) => Date.parse(iso) * 1000;

const APACHE_COMBINED = '%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%{User-agent}i\\"';
const NGINX_COMBINED =
  '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';

const CLF_LINE = '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326';
const COMBINED_LINE = `${CLF_LINE} "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"`;
const CLF_RECORD = {
  request_timestamp: US('2000-10-10T20:55:36Z'),
  ip_address: '127.0.0.1',
  url: '/apache_pb.gif',
  http_method: 'GET',
  status_code: 200,
  username: 'frank',
};
const COMBINED_RECORD = {
  ...CLF_RECORD,
  referrer: 'http://www.example.com/start.html',
  user_agent: 'Mozilla/4.08 [en] (Win98; I ;Nav)',
};

describe('ENCODE ACCESS_LOG formats', () => {
  test('common: the NCSA format; the columns it lacks are NULL', () => {
    assert.deepEqual(record(log('common'), CLF_LINE), CLF_RECORD);
    assert.deepEqual(record(log('COMMON'), CLF_LINE), CLF_RECORD);
  });

  test('combined, named or given verbatim as nginx or Apache write it, reads alike', () => {
    for (const format of ['combined', NGINX_COMBINED, APACHE_COMBINED, APACHE_COMBINED.replace(/\\"/g, '"')])
      assert.deepEqual(record(log(format), COMBINED_LINE), COMBINED_RECORD, format);
    assert.deepEqual(
      record(log(APACHE_COMBINED, reference, [['log_format_style', 'apache']]), COMBINED_LINE),
      COMBINED_RECORD,
    );
  });

  test('nginx combined + $request_time: seconds with millisecond decimals become milliseconds', () => {
    const d = log(`${NGINX_COMBINED} $request_time`);
    assert.deepEqual(record(d, `${COMBINED_LINE} 0.123`), { ...COMBINED_RECORD, response_time: 123 });
    assert.deepEqual(record(d, `${COMBINED_LINE} 12.000`), { ...COMBINED_RECORD, response_time: 12000 });
    // 0.0125 s is 12.5 ms: an integer column rounds half away from zero, as numeric → integer does
    assert.equal(record(d, `${COMBINED_LINE} 0.0125`).response_time, 13);
    const typed = log(
      `${NGINX_COMBINED} $request_time`,
      cols(['response_time', T.numeric], ['request_time', T.numeric]),
    );
    assert.deepEqual(row(typed, `${COMBINED_LINE} 0.0125`), [parseNumeric('12.5'), parseNumeric('0.0125')]);
    assert.deepEqual(
      row(
        log(`${NGINX_COMBINED} $request_time`, cols(['response_time', T.float8])),
        `${COMBINED_LINE} 0.123`,
      ),
      [123],
    );
    assert.deepEqual(
      row(log(`${NGINX_COMBINED} $request_time`, cols(['response_time', T.text])), `${COMBINED_LINE} 0.123`),
      ['0.123'],
    );
    assert.match(
      error(d, `${COMBINED_LINE} fast`),
      /^response_time: expected seconds like 0\.123 in \$request_time, got "fast"$/,
    );
    assert.deepEqual(record(d, `${COMBINED_LINE} -`), COMBINED_RECORD);
  });

  test('Apache %D (µs), %T (s) and %{ms}T', () => {
    const line = `${CLF_LINE} 1234567`;
    assert.equal(record(log('%h %l %u %t "%r" %>s %b %D'), line).response_time, 1235);
    assert.deepEqual(row(log('%h %l %u %t "%r" %>s %b %D', cols(['response_time', T.numeric])), line), [
      numeric(1234567n, 3),
    ]);
    assert.equal(record(log('%h %l %u %t "%r" %>s %b %T'), `${CLF_LINE} 2`).response_time, 2000);
    assert.equal(record(log('%h %l %u %t "%r" %>s %b %{ms}T'), `${CLF_LINE} 87`).response_time, 87);
    assert.equal(record(log('%h %l %u %t "%r" %>s %b %{us}T'), `${CLF_LINE} 87000`).response_time, 87);
  });

  test('method, URL and protocol logged apart (%m %U%q %H, $request_method $uri$is_args$args)', () => {
    const apache = log('%a [%{%Y-%m-%d %H:%M:%S}t] %m %U%q %H %>s');
    assert.deepEqual(record(apache, '10.0.0.1 [2024-01-25 12:30:45] POST /login?next=%2F HTTP/2 302'), {
      request_timestamp: US('2024-01-25T12:30:45Z'),
      ip_address: '10.0.0.1',
      http_method: 'POST',
      url: '/login?next=%2F',
      status_code: 302,
    });
    const nginx = log('$remote_addr $request_method $uri$is_args$args $server_protocol $status', [
      ...reference,
      { name: 'protocol', type: T.text },
    ]);
    const r = row(nginx, '10.0.0.1 GET /search?q=x HTTP/1.1 200');
    assert.deepEqual([r[1], r[4], r[3], r[12]], ['10.0.0.1', 'GET', '/search?q=x', 'HTTP/1.1']);
    assert.equal(row(log('$remote_addr $request_uri $status'), '::1 /a?b=1 404')[3], '/a?b=1');
  });

  test('nginx: $time_iso8601, $msec, X-Forwarded-For and client_ip', () => {
    const format = '$remote_addr [$time_iso8601] "$request" $status "$http_x_forwarded_for"';
    const line = '10.0.0.9 [2024-01-25T14:30:45+02:00] "GET / HTTP/1.1" 200 "203.0.113.7, 10.0.0.2"';
    const xffColumns = [...reference, { name: 'http_x_forwarded_for', type: T.text }];
    const remote = row(log(format, xffColumns), line);
    assert.equal(remote[0], US('2024-01-25T12:30:45Z'));
    assert.equal(remote[1], '10.0.0.9');
    assert.equal(remote[12], '203.0.113.7, 10.0.0.2');
    const forwarded = log(format, reference, [['client_ip', 'x_forwarded_for']]);
    assert.equal(row(forwarded, line)[1], '203.0.113.7');
    assert.equal(row(forwarded, line.replace('"203.0.113.7, 10.0.0.2"', '"-"'))[1], '10.0.0.9');
    const msec = log('$msec $remote_addr "$request" $status');
    assert.equal(
      row(msec, '1706185845.678 10.0.0.1 "GET / HTTP/1.1" 200')[0],
      US('2024-01-25T12:30:45.678Z'),
    );
  });

  test('Apache: times in pieces (%{…}t with msec_frac, usec_frac, %z, sec), vhost_combined', () => {
    const iso = log('%h [%{%Y-%m-%dT%H:%M:%S}t.%{msec_frac}t] "%r" %>s');
    assert.equal(
      row(iso, '1.2.3.4 [2024-01-25T12:30:45.678] "GET / HTTP/1.1" 200')[0],
      US('2024-01-25T12:30:45.678Z'),
    );
    const clf = log('%h [%{%d/%b/%Y:%H:%M:%S}t.%{usec_frac}t %{%z}t] "%r" %>s');
    assert.equal(
      row(clf, '1.2.3.4 [25/Jan/2024:14:30:45.000123 +0200] "GET / HTTP/1.1" 200')[0],
      US('2024-01-25T12:30:45Z') + 123,
    );
    const epoch = log('%{sec}t %h "%r" %>s');
    assert.equal(row(epoch, '1706185845 1.2.3.4 "GET / HTTP/1.1" 200')[0], US('2024-01-25T12:30:45Z'));
    const vhost = log('vhost_combined', [...reference, { name: 'server_name', type: T.text }]);
    const v = row(vhost, `www.example.com:443 ${COMBINED_LINE}`);
    assert.deepEqual([v[1], v[5], v[12]], ['127.0.0.1', 200, 'www.example.com']);
  });

  test('main (nginx’s sample format) and columns named as nginx variables', () => {
    const columns = cols(
      ['status', T.int2],
      ['body_bytes_sent', T.int8],
      ['http_x_forwarded_for', T.text],
      ['time_local', T.timestamptz],
      ['request', T.text],
      ['remote_user', T.text],
    );
    const d = log('main', columns);
    assert.deepEqual(row(d, `${COMBINED_LINE} "198.51.100.4"`), [
      200,
      2326,
      '198.51.100.4',
      US('2000-10-10T20:55:36Z'),
      'GET /apache_pb.gif HTTP/1.0',
      'frank',
    ]);
    // Apache's %b logs 0 bytes as "-": 0, not NULL
    assert.deepEqual(
      row(log('common', cols(['body_bytes_sent', T.int4])), CLF_LINE.replace(/2326$/, '-')),
      [0],
    );
  });

  test('only the declared columns, in their order, typed to their types', () => {
    const d = log(
      'combined',
      cols(
        ['status_code', T.text],
        ['user_id', T.varchar],
        ['request_timestamp', T.date],
        ['url', T.varchar],
        ['status_code', T.numeric],
        ['request_timestamp', T.text],
      ),
    );
    assert.deepEqual(row(d, COMBINED_LINE), [
      '200',
      null,
      11240,
      '/apache_pb.gif',
      parseNumeric('200'),
      '10/Oct/2000:13:55:36 -0700',
    ]);
    assert.deepEqual(row(log('combined', []), COMBINED_LINE), []);
  });
});

describe('ENCODE ACCESS_LOG values', () => {
  const d = log('combined');

  test('CLF time zones become UTC; a leap second rolls over; bad dates are errors naming the field', () => {
    const at = (time: string) =>
      record(d, COMBINED_LINE.replace('10/Oct/2000:13:55:36 -0700', time)).request_timestamp;
    assert.equal(at('10/Oct/2000:13:55:36 +0000'), US('2000-10-10T13:55:36Z'));
    assert.equal(at('10/Oct/2000:13:55:36 +0530'), US('2000-10-10T08:25:36Z'));
    assert.equal(at('10/Oct/2000:13:55:36 -1200'), US('2000-10-11T01:55:36Z'));
    assert.equal(at('10/Oct/2000:13:55:36 +1400'), US('2000-10-09T23:55:36Z'));
    assert.equal(at('31/Dec/1999:23:59:60 +0000'), US('2000-01-01T00:00:00Z'));
    assert.equal(at('29/feb/2024:00:00:00 +0000'), US('2024-02-29T00:00:00Z'));
    assert.equal(at('10/Oct/2000:13:55:36.250 +0000'), US('2000-10-10T13:55:36.250Z'));
    for (const bad of [
      '30/Feb/2023:00:00:00 +0000',
      '10/Foo/2000:13:55:36 -0700',
      '10/Oct/2000:25:00:00 +0000',
      '10/Oct/2000:13:55:36',
    ])
      assert.equal(
        error(d, COMBINED_LINE.replace('10/Oct/2000:13:55:36 -0700', bad)),
        `request_timestamp: %t is not a time: "${bad}"`,
      );
  });

  test('- is NULL; a request line of - leaves method and URL NULL', () => {
    assert.deepEqual(record(d, '10.1.1.1 - - [10/Oct/2000:13:55:36 -0700] "-" 408 - "-" "-"'), {
      request_timestamp: US('2000-10-10T20:55:36Z'),
      ip_address: '10.1.1.1',
      status_code: 408,
    });
  });

  test('Apache’s \\" and \\xhh inside the request line, referrer and user agent: records, escapes kept', () => {
    const line =
      '192.0.2.1 - - [17/May/2015:10:05:03 +0000] "GET /search?q=\\"a b\\"&x=\\xe4\\xe5 HTTP/1.1" 200 512 "http://\\xe4\\xe5\\xe3.\\xf0\\xf4/" "Mozilla/5.0 \\"quoted\\" \\\\"';
    assert.deepEqual(record(d, line), {
      request_timestamp: US('2015-05-17T10:05:03Z'),
      ip_address: '192.0.2.1',
      http_method: 'GET',
      url: '/search?q=\\"a b\\"&x=\\xe4\\xe5',
      status_code: 200,
      referrer: 'http://\\xe4\\xe5\\xe3.\\xf0\\xf4/',
      user_agent: 'Mozilla/5.0 \\"quoted\\" \\\\',
    });
  });

  test('Shellshock probes are records', () => {
    const probe = '() { :; }; /bin/bash -c \\"cat /etc/passwd\\"';
    const line = `203.0.113.66 - - [24/Sep/2014:22:25:44 +0000] "GET /cgi-bin/status HTTP/1.1" 404 0 "${probe}" "${probe}"`;
    const r = record(d, line);
    assert.equal(r.url, '/cgi-bin/status');
    assert.equal(r.referrer, probe);
    assert.equal(r.user_agent, probe);
    const inRequest = `203.0.113.66 - - [24/Sep/2014:22:25:44 +0000] "GET /cgi-bin/test.cgi?() { :; }; echo HTTP/1.1" 400 0 "-" "-"`;
    assert.equal(record(d, inRequest).url, '/cgi-bin/test.cgi?() { :; }; echo');
  });

  test('malformed request lines are records: method NULL, the URL the text as logged', () => {
    const at = (request: string) => {
      const r = record(d, `198.51.100.9 - - [17/May/2015:10:05:03 +0000] "${request}" 400 166 "-" "-"`);
      return [r.http_method ?? null, r.url ?? null];
    };
    const tls = '\\x16\\x03\\x01\\x00\\xa5\\x01\\x00\\x00\\xa1\\x03\\x03';
    assert.deepEqual(at(tls), [null, tls]);
    assert.deepEqual(at('\\x00\\x00\\x00TZ\\x00'), [null, '\\x00\\x00\\x00TZ\\x00']);
    assert.deepEqual(at('SSH-2.0-Go'), [null, 'SSH-2.0-Go']);
    assert.deepEqual(at(''), [null, '']);
    assert.deepEqual(at('GET /'), ['GET', '/']);
    assert.deepEqual(at('GET /a b HTTP/1.1'), ['GET', '/a b']);
    assert.deepEqual(at('OPTIONS * HTTP/1.1'), ['OPTIONS', '*']);
    assert.deepEqual(at('CONNECT example.com:443 HTTP/1.1'), ['CONNECT', 'example.com:443']);
    assert.deepEqual(at('GET /x HTTP/9.9.9'), ['GET', '/x HTTP/9.9.9']);
  });

  test('a line cut inside its last quoted field is read; fields appended after the format are ignored', () => {
    const cut =
      '46.118.127.106 - - [20/May/2015:12:05:17 +0000] "GET /x HTTP/1.1" 200 235 "-" "Mozilla/5.0 (compatible; Googlebot/2.1';
    assert.equal(record(d, cut).user_agent, 'Mozilla/5.0 (compatible; Googlebot/2.1');
    assert.deepEqual(record(d, `${COMBINED_LINE} 0.123 "upstream"`), COMBINED_RECORD);
    assert.deepEqual(record(d, `${COMBINED_LINE}\r`), COMBINED_RECORD);
    // a raw quote (a server that does not escape them) ends the field only where the format goes on
    assert.equal(
      record(d, COMBINED_LINE.replace('Nav)"', 'Nav) "x"y"')).user_agent,
      'Mozilla/4.08 [en] (Win98; I ;Nav) "x"y',
    );
    assert.equal(
      record(d, COMBINED_LINE.replace('start.html"', 'start.html?q="a"b"')).referrer,
      'http://www.example.com/start.html?q="a"b',
    );
  });

  test('a line that does not match says where it stopped', () => {
    assert.equal(
      error(d, ''),
      'line does not match log_format at column 1 (%h): expected " " after the field',
    );
    assert.equal(
      error(d, '127.0.0.1 - frank 10/Oct/2000:13:55:36 -0700 "GET / HTTP/1.0" 200 2326'),
      'line does not match log_format at column 13 (%u): expected " [" after the field',
    );
    assert.equal(
      error(d, '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0 200 2326'),
      'line does not match log_format at column 49 (%r): expected "\\" " after the field',
    );
    assert.equal(
      error(d, `${COMBINED_LINE}garbage`),
      'line does not match log_format at column 124 (%{User-Agent}i): expected "\\"" after the field',
    );
    assert.equal(
      error(d, COMBINED_LINE.replace('" 200 ', '" 2xx ')),
      'status_code: invalid input syntax for type integer: "2xx"',
    );
    const prefixed = log('[$time_local] $remote_addr "$request" $status');
    assert.equal(
      error(prefixed, '10.0.0.1 "GET / HTTP/1.1" 200'),
      'line does not match log_format at column 1: expected "["',
    );
  });

  test('invalid UTF-8 and lines over 1 MiB are errors', () => {
    const bytes = Buffer.from(COMBINED_LINE);
    bytes[5] = 0xff;
    assert.equal(error(d, bytes), 'invalid UTF-8 at byte 5');
    assert.deepEqual(row(d, Buffer.from(COMBINED_LINE)), row(d, COMBINED_LINE));
    const long = COMBINED_LINE.replace('Nav)', 'x'.repeat(1024 * 1024));
    assert.match(error(d, long), /^record of 1048\d{3} bytes is longer than the limit of 1048576$/);
    assert.match(error(d, Buffer.from(long)), /longer than the limit/);
  });
});

describe('ENCODE ACCESS_LOG options', () => {
  test('errors name the option or the part of the format string', () => {
    sqlError(() => decoderFor('ACCESS_LOG', new Map(), reference), '22023', /needs log_format/);
    sqlError(
      () => log('combined', reference, [['format', 'x']]),
      '22023',
      /unknown ENCODE ACCESS_LOG option "format"/,
    );
    sqlError(
      () => log('combined', reference, [['log_format_style', 'iis']]),
      '22023',
      /log_format_style must be/,
    );
    sqlError(() => log('combined', reference, [['client_ip', 'x_real_ip']]), '22023', /client_ip must be/);
    sqlError(() => log('%h %Q'), '22023', /log_format: unknown directive %Q at offset 3/);
    sqlError(() => log('%h %{%Q}t'), '22023', /%\{%Q\}t: tidewatch cannot read the time conversion "%Q"/);
    sqlError(() => log('%h %i'), '22023', /%i needs a name in braces/);
    sqlError(
      () => log('$remote_addr$remote_user'),
      '22023',
      /\$remote_addr and \$remote_user have nothing between them/,
    );
    sqlError(() => log('$remote_addr %h'), '22023', /set log_format_style/);
    sqlError(() => log('just text'), '22023', /has no fields/);
    sqlError(() => log('${remote_addr'), '22023', /has no "}"/);
    sqlError(
      () => log('common', reference, [['client_ip', 'x_forwarded_for']]),
      '22023',
      /needs X-Forwarded-For/,
    );
    sqlError(
      () => log('common', cols(['request_timestamp', T.int8])),
      '42804',
      /column "request_timestamp" is bigint/,
    );
    sqlError(
      () => log('%h %t "%r" %>s %D', cols(['response_time', T.timestamp])),
      '42804',
      /column "response_time" is timestamp without time zone, but %D \(milliseconds\) needs a number or text column/,
    );
  });

  test('an explicit style reads a format the guess cannot decide', () => {
    const d = log('$remote_addr 100% "$request" $status', reference, [['log_format_style', 'nginx']]);
    assert.equal(row(d, '10.0.0.1 100% "GET / HTTP/1.1" 200')[5], 200);
  });
});

describe('the access-log readers agree with the engine’s text input functions', () => {
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n: number) => String(n).padStart(2, '0');

  test('CLF and ISO 8601 times', () => {
    for (let k = 0; k < 2000; k++) {
      const d = new Date(Math.floor(rand() * 4e12));
      const zone = Math.floor(rand() * 49 - 24) * 30;
      const sign = zone < 0 ? '-' : '+';
      const zh = two(Math.floor(Math.abs(zone) / 60));
      const zm = two(Math.abs(zone) % 60);
      const date = `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}`;
      const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
      const clf = `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${time} ${sign}${zh}${zm}`;
      const iso = `${date}T${time}${sign}${zh}:${zm}`;
      const expected = parseTimestampText(`${date} ${time}${sign}${zh}:${zm}`, true);
      assert.equal(clfMicros(clf, 0, clf.length), expected, clf);
      assert.equal(isoMicros(iso, 0, iso.length), expected, iso);
    }
  });

  test('status codes and byte counts, read in place', () => {
    for (const type of [T.int2, T.int4, T.int8, T.numeric, T.float8]) {
      const d = log('$status $body_bytes_sent', cols(['status', type], ['body_bytes_sent', type]));
      for (const text of [
        '0',
        '200',
        '007',
        '32767',
        '32768',
        '999999999',
        '1000000000',
        '99999999999999999999',
        '1e3',
        '12a',
      ]) {
        const expect = (t: string): Value | string => {
          try {
            return fromText(type)(t);
          } catch (e) {
            return (e as Error).message;
          }
        };
        const r = d.decode(`${text} ${text}`);
        const got = 'row' in r ? r.row : [r.error.replace(/^\w+: /, ''), r.error.replace(/^\w+: /, '')];
        assert.deepEqual(got[0], expect(text), `${type.name} ${text}`);
        if ('row' in r) assert.deepEqual(got[1], expect(text), `${type.name} ${text}`);
      }
    }
  });

  test('milliseconds from seconds and microseconds, into integers as numeric → integer casts', () => {
    const toInt = castFn(T.numeric, T.int4);
    for (const [format, unit] of [
      ['"$request" $request_time', 3],
      ['"%r" %D', -3],
    ] as const) {
      const d = log(format, cols(['response_time', T.int4], ['response_time', T.numeric]));
      for (let k = 0; k < 500; k++) {
        const digits = String(Math.floor(rand() * 10 ** Math.floor(rand() * 7)));
        const frac =
          unit === 3 ? String(Math.floor(rand() * 10 ** 4)).padStart(1 + Math.floor(rand() * 4), '0') : '';
        const text = frac === '' ? digits : `${digits}.${frac}`;
        const [asInt, asNumeric] = row(d, `"GET / HTTP/1.1" ${text}`);
        const exact = parseNumeric(text);
        // text × 10^unit: coef × 10^(unit − scale)
        const shift = unit - exact.scale;
        const ms = shift >= 0 ? numeric(exact.coef * 10n ** BigInt(shift), 0) : numeric(exact.coef, -shift);
        assert.deepEqual(asNumeric, ms, text);
        assert.equal(asInt, toInt(ms), text);
      }
    }
  });
});
