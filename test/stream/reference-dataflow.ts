/**
 * The reference pipeline's trickier views wired by hand, the way the compile step wires them
 * (shared by reference-pipeline.test.ts, which checks them against DuckDB, and
 * snapshot.test.ts, which checks that they survive a checkpoint and restore), and a random
 * insert/delete stream of source rows for them.
 *
 * Source rows: `[id, request_timestamp, user_action, status_code, response_time, security_level]`.
 */
import { Dataflow } from '../../src/stream/graph.ts';
import { Aggregate } from '../../src/stream/operators/aggregate.ts';
import { Join } from '../../src/stream/operators/join.ts';
import { Materialize } from '../../src/stream/operators/materialize.ts';
import { OverWindow } from '../../src/stream/operators/over-window.ts';
import { Project } from '../../src/stream/operators/project.ts';
import type { Source } from '../../src/stream/operators/source.ts';
import { TopN } from '../../src/stream/operators/top-n.ts';
import { Tumble } from '../../src/stream/operators/tumble.ts';
import type { Row, Value } from '../../src/stream/value.ts';
import { int, pick } from './helpers.ts';

export const MIN = 60_000_000;

const c =
  (i: number) =>
  (r: Row): Value =>
    r[i] as Value;

export interface ReferenceViews {
  readonly g: Dataflow;
  readonly src: Source;
  readonly topView: Materialize;
  readonly statusView: Materialize;
  readonly securityView: Materialize;
}

/**
 * top_user_actions (aggregate → top-N), status_code_analysis_summary (aggregate → window
 * functions → project) and security_level_analysis_summary (aggregate → aggregate of the
 * aggregate → join with it).
 */
export function buildReferenceViews(): ReferenceViews {
  // tumble adds window_start, window_end as columns 6, 7
  const g = new Dataflow();
  const src = g.source('website_logs_source', 6);
  const t = g.add(new Tumble({ timeColumn: 1, size: MIN, width: 6 }), src);

  // top_user_actions: [action, ws, we, count] → top 5 per window by count desc
  const actions = g.add(
    new Aggregate({
      groupBy: (r) => [r[2] as Value, r[6] as Value, r[7] as Value],
      calls: [{ kind: 'count', arg: c(2) }],
    }),
    t,
  );
  const top = g.add(
    new TopN({
      partitionBy: (r) => [r[1] as Value, r[2] as Value],
      orderBy: [{ value: c(3), desc: true }],
      limit: 5,
    }),
    actions,
  );
  const topView = g.add(
    new Materialize('top_user_actions'),
    g.add(new Project((r) => [r[0], r[3], r[1], r[2]] as Value[]), top),
  );

  // status_code_analysis_summary
  const statuses = g.add(
    new Aggregate({
      groupBy: (r) => [r[3] as Value, r[6] as Value, r[7] as Value],
      calls: [
        { kind: 'count', arg: c(3) },
        { kind: 'avg', arg: c(4) },
      ],
    }),
    t,
  );
  const byWindow = (r: Row) => [r[1] as Value, r[2] as Value];
  const cumulative = g.add(
    new OverWindow({
      partitionBy: byWindow,
      orderBy: [{ value: c(0) }],
      calls: [{ kind: 'sum', arg: c(3) }],
    }),
    statuses,
  );
  const totals = g.add(
    new OverWindow({ partitionBy: byWindow, calls: [{ kind: 'sum', arg: c(3) }] }),
    cumulative,
  );
  const statusView = g.add(
    new Materialize('status_code_analysis_summary'),
    g.add(
      new Project(
        (r) => [r[0], r[3], r[4], r[5], ((r[5] as number) * 100.0) / (r[6] as number), r[1], r[2]] as Value[],
      ),
      totals,
    ),
  );

  // security_level_analysis_summary
  const levels = g.add(
    new Aggregate({
      groupBy: (r) => [r[5] as Value, r[6] as Value, r[7] as Value],
      calls: [{ kind: 'count' }, { kind: 'avg', arg: c(4) }],
    }),
    t,
  );
  const medians = g.add(
    new Aggregate({ groupBy: byWindow, calls: [{ kind: 'percentile_cont', arg: c(3), fraction: 0.5 }] }),
    levels,
  );
  const joined = g.add(
    new Join({
      type: 'inner',
      leftKey: byWindow,
      rightKey: (r) => [r[0] as Value, r[1] as Value],
      leftWidth: 5,
      rightWidth: 3,
    }),
    levels,
    medians,
  );
  const securityView = g.add(
    new Materialize('security_level_analysis_summary'),
    g.add(new Project((r) => [r[0], r[3], r[4], r[7], r[1], r[2]] as Value[]), joined),
  );
  return { g, src, topView, statusView, securityView };
}

/** Random source rows over three minutes: mostly inserts, a quarter deletes of live rows. */
export class ReferenceTraffic {
  /** Live rows by id. */
  readonly live = new Map<number, Row>();
  readonly #rand: () => number;
  #id = 0;

  constructor(rand: () => number) {
    this.#rand = rand;
  }

  /** Up to `maxChanges` changes of one epoch. */
  epoch(maxChanges = 60): { rows: Row[]; weights: number[] } {
    const rand = this.#rand;
    const rows: Row[] = [];
    const weights: number[] = [];
    for (let i = int(rand, 0, maxChanges); i > 0; i--) {
      if (rand() < 0.25 && this.live.size > 0) {
        const victim = pick(rand, [...this.live.keys()]);
        rows.push(this.live.get(victim) as Row);
        weights.push(-1);
        this.live.delete(victim);
      } else {
        const row: Row = [
          this.#id++,
          1_706_184_000_000_000 + int(rand, 0, 3 * MIN),
          pick(rand, [
            'view_page',
            'login',
            'logout',
            'submit_form',
            'scroll_page',
            'download_file',
            'open_new_tab',
          ]),
          pick(rand, [200, 200, 200, 301, 404, 500]),
          int(rand, 5, 900),
          pick(rand, ['low', 'medium', 'high']),
        ];
        rows.push(row);
        weights.push(1);
        this.live.set(row[0] as number, row);
      }
    }
    return { rows, weights };
  }
}
