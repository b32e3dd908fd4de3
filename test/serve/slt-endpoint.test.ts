/**
 * The sqllogictest files (test/slt/*.slt) through the PostgreSQL endpoint of the real
 * `tidewatch start`, as a client meets them: statements over node-postgres's simple query
 * protocol, values compared in the text form the server sends, errors by SQLSTATE. A view and
 * a table are read the way psql reads them — ad-hoc queries in the store — so a file passing
 * here and in test/engine/slt.test.ts shows both paths agree. Each file gets a server of its own.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { RestartableServer } from '../helpers/restartable-server.ts';
import { runSltFile, type SltExecutor } from '../slt/runner.ts';

const dir = fileURLToPath(new URL('../slt/', import.meta.url));

/** Every value as the text the server sent: no parsing by node-postgres. */
const asText = { getTypeParser: () => (text: string) => text };

function endpointExecutor(client: pg.Client): SltExecutor {
  return {
    name: 'endpoint',
    async run(sql) {
      const out = (await client.query({ text: sql, rowMode: 'array', types: asText })) as
        | pg.QueryArrayResult
        | pg.QueryArrayResult[];
      const last = Array.isArray(out) ? out[out.length - 1] : out;
      if (last === undefined || last.fields.length === 0) return undefined;
      return { columns: last.fields.length, rows: last.rows as (string | null)[][] };
    },
  };
}

for (const f of readdirSync(dir)
  .filter((n) => n.endsWith('.slt'))
  .sort()) {
  test(`slt ${f} through the PostgreSQL endpoint`, async () => {
    const data = mkdtempSync(join(tmpdir(), 'tw-slt-endpoint-'));
    const server = new RestartableServer({
      dataDir: join(data, 'data'),
      args: ['--pipeline', 'none', '--no-generator', '--status-interval', '60'],
    });
    try {
      await server.start();
      const client = await server.connect();
      try {
        const failures = await runSltFile(endpointExecutor(client), `${dir}${f}`);
        assert.equal(failures.length, 0, failures.map((x) => x.message).join('\n\n'));
      } finally {
        await client.end();
      }
    } finally {
      await server.dispose();
      rmSync(data, { recursive: true, force: true });
    }
  });
}
