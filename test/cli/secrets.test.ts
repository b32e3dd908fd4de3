/**
 * Connector secrets stay secret through the real `tidewatch start`: a Kafka source's SASL
 * password, a webhook sink's token, authorization header and the password in its URL are
 * redacted in rw_sources, rw_sinks, pg_class's neighbours and /api/status — for root as for a
 * read-only user — and no line on stderr prints them, while the sink keeps trying its target.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { RestartableServer } from '../helpers/restartable-server.ts';

const SECRETS = ['sasl-hunter2', 'token-abc123', 'header-xyz789', 'url-pw-456'];

test('connector secrets are redacted in the catalog and /api/status, and never printed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tw-secrets-'));
  const server = new RestartableServer({
    dataDir: join(dir, 'data'),
    args: ['--pipeline', 'none', '--no-generator', '--status-interval', '600'],
  });
  t.after(async () => {
    await server.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
  await server.start();
  const root = await server.connect();
  try {
    await root.query(`CREATE SOURCE leaky (a INT) WITH (
      connector = 'kafka', topic = 't', properties.bootstrap.server = '127.0.0.1:9',
      properties.security.protocol = 'SASL_PLAINTEXT', properties.sasl.mechanism = 'PLAIN',
      properties.sasl.username = 'bob', properties.sasl.password = 'sasl-hunter2') FORMAT PLAIN ENCODE JSON`);
    await root.query('CREATE TABLE alerts (ip VARCHAR) APPEND ONLY');
    await root.query(`CREATE SINK hook FROM alerts WITH (connector = 'webhook',
      url = 'http://hookuser:url-pw-456@127.0.0.1:9/alerts', auth.token = 'token-abc123',
      "headers.x-api-key" = 'header-xyz789', type = 'append-only')`);
    await root.query("INSERT INTO alerts VALUES ('10.0.0.1')");
    await root.query("CREATE USER reader WITH PASSWORD 'reader-pw'");
    const reader = new pg.Client({ host: '127.0.0.1', port: server.pgPort, user: 'reader', database: 'dev' });
    reader.on('error', () => undefined);
    await reader.connect();
    try {
      for (const c of [root, reader]) {
        const shown = [
          await c.query('SELECT definition, connector_props::varchar AS p FROM rw_sources'),
          await c.query('SELECT definition, connector_props::varchar AS p FROM rw_sinks'),
        ]
          .flatMap((r) => r.rows.map((row) => `${row.definition} ${row.p}`))
          .join('\n');
        assert.match(shown, /properties\.sasl\.password = '\[REDACTED\]'/);
        assert.match(shown, /hookuser:\[REDACTED\]@127\.0\.0\.1/);
        assert.match(shown, /properties\.sasl\.username = 'bob'/, 'what is no secret is shown');
        for (const secret of SECRETS) assert.doesNotMatch(shown, new RegExp(secret));
      }
    } finally {
      await reader.end();
    }
    // The sink tries its target (nothing listens) and says why: without the URL's password.
    const deadline = Date.now() + 20_000;
    let status = '';
    while (Date.now() < deadline) {
      status = await (await fetch(`${server.httpUrl}/api/status`)).text();
      if (/"last_?[eE]rror"\s*:\s*"/.test(status)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const secret of SECRETS) {
      assert.doesNotMatch(status, new RegExp(secret), '/api/status');
      assert.doesNotMatch(server.stderr, new RegExp(secret), 'stderr');
    }
  } finally {
    await root.end();
  }
});
