/**
 * The blocklist sink of a real `tidewatch start`, driven through its PostgreSQL endpoint with
 * node-postgres: detections become an nginx deny include (valid for `nginx -t`), a plain list
 * and an ipset restore file; allow-listed addresses (single or CIDR, IPv4 and IPv6) are never
 * written, and leave when the allow-list comes to allow them; a reader polling the file never
 * sees a partial one; blocks expire; the list survives SIGKILL and a restart.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { NO_NGINX, nginxBinary, nginxConfigError, writeNginxConfig } from '../helpers/nginx.ts';
import { type RestartableServer, startEmptyServer, stopEmptyServer } from '../helpers/restartable-server.ts';
import { getStatus, waitFor } from './ingestion-helpers.ts';

let dir: string;
let server: RestartableServer;
let client: pg.Client;

before(async () => {
  ({ dir, server, client } = await startEmptyServer('tw-blocklist-'));
});

after(() => stopEmptyServer({ dir, server, client }));

function read(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

function listed(path: string): string[] {
  return read(path)
    .split('\n')
    .filter((l) => l !== '');
}

/** Waits until the plain list holds exactly `want` (in the file's order). */
async function listIs(path: string, want: readonly string[]): Promise<void> {
  await waitFor(
    `${path} to list ${want.join(' ')}`,
    async () => (JSON.stringify(listed(path)) === JSON.stringify(want) ? true : undefined),
    { describe: () => listed(path).join(' ') },
  );
}

async function targetStats(sink: string): Promise<Record<string, number> | undefined> {
  const status = (await getStatus(server.httpUrl)) as unknown as {
    sinks: { name: string; target?: Record<string, number> }[];
  };
  return status.sinks.find((s) => s.name === sink)?.target;
}

const files = () => ({
  nginx: join(dir, 'deny.conf'),
  list: join(dir, 'blocked.txt'),
  ipset: join(dir, 'blocked.ipset'),
});

describe('blocklist sink', () => {
  test('detections become the three files; what the allow-list allows is never written', async () => {
    const f = files();
    await client.query('CREATE TABLE found (scenario VARCHAR, actor VARCHAR, severity VARCHAR)');
    await client.query('CREATE TABLE never_block (ip VARCHAR, why VARCHAR)');
    await client.query(
      "INSERT INTO never_block VALUES ('10.0.0.0/8', 'office'), ('2001:db8:ffff::/48', 'vpn'), ('192.0.2.1', 'monitor')",
    );
    await client.query(
      `CREATE SINK blocks FROM found WITH (connector = 'blocklist', duration = '1 hour',
         allowlist.table = 'never_block', nginx.path = $1, list.path = $2, ipset.path = $3)`.replace(
        /\$(\d)/g,
        (_, i) => `'${[f.nginx, f.list, f.ipset][Number(i) - 1]}'`,
      ),
    );
    await client.query(
      `INSERT INTO found VALUES
         ('brute-force', '203.0.113.7', 'high'),
         ('path-scan', '2001:DB8:0:0::1', 'medium'),
         ('account-takeover', 'alice', 'high'),
         ('path-scan', '10.1.2.3', 'medium'),
         ('path-scan', '2001:db8:ffff::5', 'medium'),
         ('bad-bot', '192.0.2.1', 'low'),
         ('bad-bot', '::ffff:198.51.100.9', 'low')`,
    );
    await listIs(f.list, ['198.51.100.9', '203.0.113.7', '2001:db8::1']);
    // The sink writes the files one after another: the ipset file, written last, has it all once
    // it lists the IPv6 address.
    await waitFor(
      'the ipset file',
      async () => (read(f.ipset).includes(' 2001:db8::1 ') ? true : undefined),
      {
        describe: () => read(f.ipset),
      },
    );
    const nginx = read(f.nginx);
    assert.deepEqual(
      nginx.split('\n').filter((l) => !l.startsWith('#') && l !== ''),
      ['deny 198.51.100.9;', 'deny 203.0.113.7;', 'deny 2001:db8::1;'],
    );
    const ipset = read(f.ipset).split('\n');
    assert.equal(ipset[0], 'create tidewatch hash:ip family inet timeout 3600 -exist');
    assert.equal(ipset[1], 'flush tidewatch');
    assert.match(ipset[2] as string, /^add tidewatch 198\.51\.100\.9 timeout (35\d\d|3600) -exist$/);
    assert.match(ipset[3] as string, /^add tidewatch 203\.0\.113\.7 timeout (35\d\d|3600) -exist$/);
    assert.equal(ipset[4], 'create tidewatch-v6 hash:ip family inet6 timeout 3600 -exist');
    assert.equal(ipset[5], 'flush tidewatch-v6');
    assert.match(ipset[6] as string, /^add tidewatch-v6 2001:db8::1 timeout (35\d\d|3600) -exist$/);
    let stats: Record<string, number> | undefined;
    await waitFor(
      'the sink to count what it delivered',
      async () => {
        stats = await targetStats('blocks');
        return stats?.blocked === 3 ? true : undefined;
      },
      { describe: () => JSON.stringify(stats) },
    );
    assert.deepEqual(stats, { blocked: 3, ignored: 1, allowed: 3 });

    const nginxBin = nginxBinary();
    if (nginxBin === undefined) console.log(`# skipped nginx -t of the deny include: ${NO_NGINX}`);
    else {
      const nginxDir = join(dir, 'nginx-t');
      const conf = writeNginxConfig(nginxDir, { port: 8080, includes: [f.nginx], root: dir });
      assert.equal(nginxConfigError(nginxBin, conf, nginxDir), undefined);
    }

    // The allow-list comes to allow an address blocked: it leaves the files.
    await client.query("INSERT INTO never_block VALUES ('203.0.113.0/24', 'partner')");
    await listIs(f.list, ['198.51.100.9', '2001:db8::1']);
    assert.doesNotMatch(read(f.nginx), /203\.0\.113\.7/);
  });

  test('a reader polling the deny include never sees a partial file', async () => {
    const f = files();
    let reads = 0;
    let bad = 0;
    let firstBad: string | undefined;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const text = read(f.nginx);
        reads++;
        const header = /^# tidewatch blocklist sink blocks: (\d+) address\(es\)/.exec(text);
        const lines = text.split('\n');
        const denies = lines.filter((l) => l.startsWith('deny '));
        const whole =
          header !== null &&
          text.endsWith('\n') &&
          denies.length === Number(header[1]) &&
          denies.every((l) => /^deny [0-9a-f:.]+;$/.test(l));
        if (!whole) {
          bad++;
          firstBad ??= text;
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    try {
      for (let batch = 0; batch < 30; batch++) {
        const values = Array.from({ length: 40 }, (_, i) => `('flood', '198.18.${batch}.${i + 1}', 'high')`);
        await client.query(`INSERT INTO found VALUES ${values.join(', ')}`);
      }
      await waitFor('1202 blocked', async () => (listed(f.list).length === 1202 ? true : undefined), {
        describe: () => `${listed(f.list).length}`,
      });
    } finally {
      // A poller left running would keep this file's process alive after a failure.
      polling = false;
      await poller;
    }
    assert.equal(firstBad, undefined, `${bad} of ${reads} reads saw a partial file`);
    assert.ok(reads > 100, `${reads} reads`);
  });

  test('blocks expire after their duration from the last detection', async () => {
    const list = join(dir, 'short.txt');
    await client.query('CREATE TABLE brief (actor VARCHAR)');
    await client.query(
      `CREATE SINK brief_blocks FROM brief WITH (connector = 'blocklist', duration = '2 seconds', list.path = '${list}')`,
    );
    await client.query("INSERT INTO brief VALUES ('192.0.2.50')");
    await listIs(list, ['192.0.2.50']);
    const blockedAt = Date.now();
    await listIs(list, []);
    const lasted = Date.now() - blockedAt;
    assert.ok(lasted < 5000, `expired after ${lasted} ms`);
  });

  test('a retracted detection lifts its block only with unblock_on_resolve', async () => {
    const keep = join(dir, 'keep.txt');
    const lift = join(dir, 'lift.txt');
    await client.query('CREATE TABLE live (actor VARCHAR PRIMARY KEY, scenario VARCHAR)');
    await client.query(
      `CREATE SINK live_keep FROM live WITH (connector = 'blocklist', list.path = '${keep}')`,
    );
    await client.query(
      `CREATE SINK live_lift FROM live WITH (connector = 'blocklist', unblock_on_resolve = 'true', list.path = '${lift}')`,
    );
    await client.query("INSERT INTO live VALUES ('192.0.2.60', 'bad-bot'), ('192.0.2.61', 'bad-bot')");
    await listIs(keep, ['192.0.2.60', '192.0.2.61']);
    await listIs(lift, ['192.0.2.60', '192.0.2.61']);
    await client.query("DELETE FROM live WHERE actor = '192.0.2.60'");
    await listIs(lift, ['192.0.2.61']);
    await waitFor('live_keep to deliver the retraction', async () => {
      const { rows } = await client.query(
        "SELECT pending FROM tidewatch_sinks WHERE sink_name = 'live_keep' AND state = 'idle'",
      );
      return (rows[0] as { pending: string } | undefined)?.pending === '0' ? true : undefined;
    });
    assert.deepEqual(listed(keep), ['192.0.2.60', '192.0.2.61']);
    await client.query('DROP SINK live_keep');
    await client.query('DROP SINK live_lift');
  });

  test('the list survives SIGKILL and a restart, and goes on from there', async () => {
    const f = files();
    const beforeKill = listed(f.list);
    assert.equal(beforeKill.length, 1202);
    await client.end();
    await server.kill();
    rmSync(f.list);
    await server.start();
    client = await server.connect();
    await client.query('SET RW_IMPLICIT_FLUSH TO true');
    // The files are written again from the list kept in the data directory.
    await listIs(f.list, beforeKill);
    await client.query("INSERT INTO found VALUES ('brute-force', '198.51.100.200', 'high')");
    await waitFor('the new block', async () =>
      listed(f.list).includes('198.51.100.200') ? true : undefined,
    );
    assert.equal(listed(f.list).length, 1203);
  });

  test('options a blocklist cannot work with are refused at CREATE', async () => {
    const refused = async (sql: string) => {
      try {
        await client.query(sql);
      } catch (e) {
        return (e as { code: string; message: string }).code;
      }
      return 'no error';
    };
    assert.equal(
      await refused("CREATE SINK b1 FROM found WITH (connector = 'blocklist', ip.column = 'nope')"),
      '22023',
    );
    assert.equal(
      await refused("CREATE SINK b2 FROM found WITH (connector = 'blocklist', duration = 'soon')"),
      '22023',
    );
    assert.equal(
      await refused("CREATE SINK b3 FROM found WITH (connector = 'blocklist', ipset.name = 'a b')"),
      '22023',
    );
    assert.equal(
      await refused("CREATE SINK b4 FROM found WITH (connector = 'blocklist', allowlist.column = 'ip')"),
      '22023',
    );
  });
});
