/** Waiting for a query's answer to become what a test expects. */
import type pg from 'pg';

/** Polls `sql` on `client` until `done` holds of its rows (or 20 s pass); the last rows. */
export async function eventually(
  client: pg.Client,
  sql: string,
  done: (rows: Record<string, unknown>[]) => boolean,
): Promise<Record<string, unknown>[]> {
  const until = Date.now() + 20_000;
  for (;;) {
    const { rows } = await client.query(sql);
    if (done(rows) || Date.now() > until) return rows;
    await new Promise((r) => setTimeout(r, 100));
  }
}
