// The load of the endpoint benchmarks (pg-endpoint*.bench.ts): `workers` loops alternating a
// point query with a parameter and a small aggregate. Run as a program
// (`node bench/pg-load.ts PORT CLIENTS SECONDS PACE_MS [WORKLOAD_JSON]`), it is the
// endpoint's clients in a process of their own, as real clients are, and prints their
// latencies as JSON.
import pg from 'pg';

export const IPS = 5_000;
export const POINT = 'SELECT * FROM v WHERE ip = $1';
export const AGGREGATE = 'SELECT window_start, sum(hits) FROM v GROUP BY 1 ORDER BY 1 LIMIT 10';

export const ipOf = (n: number) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;

/** The two queries of a run, and the values the point query's parameter is drawn from. */
export interface Workload {
  readonly point: string;
  readonly aggregate: string;
  readonly keys: readonly string[];
}

/** The 100,000-row view `v` of pg-endpoint.bench.ts. */
export const VIEW_WORKLOAD: Workload = {
  point: POINT,
  aggregate: AGGREGATE,
  keys: Array.from({ length: IPS }, (_, i) => ipOf(i)),
};

let seed = 7;
/** mulberry32: a deterministic generator in 32-bit integer arithmetic. */
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
};

/** Runs a query; resolves with its number of rows. */
export type Runner = (sql: string, params: readonly string[]) => Promise<number>;

export interface Latencies {
  readonly point: number[];
  readonly aggregate: number[];
  readonly seconds: number;
}

/**
 * Each runner in a loop of its own, alternating the point query and the aggregate for
 * `seconds`; with `paceMs`, a pair every `paceMs` per runner (the runners spread over one
 * period). Latencies by query.
 */
export async function latencies(
  runners: readonly Runner[],
  seconds: number,
  paceMs = 0,
  workload: Workload = VIEW_WORKLOAD,
): Promise<Latencies> {
  const point: number[] = [];
  const aggregate: number[] = [];
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    runners.map(async (run, k) => {
      let tick = t0 + (paceMs * k) / runners.length;
      while (performance.now() < end) {
        if (paceMs > 0) {
          const wait = tick - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          tick += paceMs;
        }
        let t = performance.now();
        await run(workload.point, [workload.keys[Math.floor(random() * workload.keys.length)] as string]);
        point.push(performance.now() - t);
        t = performance.now();
        await run(workload.aggregate, []);
        aggregate.push(performance.now() - t);
      }
    }),
  );
  return { point, aggregate, seconds: (performance.now() - t0) / 1000 };
}

if (import.meta.main) {
  const [port, clients, seconds, pace] = process.argv.slice(2, 6).map(Number);
  const workload = process.argv[6] === undefined ? VIEW_WORKLOAD : (JSON.parse(process.argv[6]) as Workload);
  const connected = await Promise.all(
    Array.from({ length: clients ?? 1 }, async () => {
      const c = new pg.Client({ host: '127.0.0.1', port, user: 'root', database: 'dev' });
      await c.connect();
      return c;
    }),
  );
  const runners = connected.map(
    (c): Runner =>
      async (sql, params) =>
        (await c.query(sql, params as string[])).rows.length,
  );
  await latencies(runners, 0.5, 0, workload); // warm-up: each session's first queries
  const result = await latencies(runners, seconds ?? 1, pace ?? 0, workload);
  await Promise.all(connected.map((c) => c.end()));
  process.stdout.write(JSON.stringify(result));
}
