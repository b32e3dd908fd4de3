/**
 * What top-N and window functions share: each partition's rows kept in ORDER BY order
 * (SortedPartitions), every partition changed in the epoch recomputed whole at the barrier
 * and `Δout = new − old` emitted; watermarks on partition-key columns passed on after that
 * output, the first closing the partitions below it (their state goes, their rows stay).
 * A subclass says what a partition outputs (`compute`) and which per-row values besides the
 * row it needs (`argsOf`, window function arguments).
 *
 * Watermarks pass on partition-key columns only: a later input can change only its own
 * partition, so a watermark on another column would be broken by retractions.
 */
import type { Chunk, WeightedRow } from '../chunk.ts';
import { HeldWatermarks, Operator, type Watermark, type WatermarkEntries } from '../operator.ts';
import { type PartitionState, SortedPartitions } from '../sorted-partitions.ts';
import { type SortedRows, sortKeyOf } from '../sorted-rows.ts';
import type { Row, SortKey, Value } from '../value.ts';

export interface PartitionedOptions {
  /** Partition key; absent: one partition. */
  readonly partitionBy?: (row: Row) => Value[];
  readonly orderBy?: readonly SortKey[];
  /**
   * Watermarks to pass: `[column, partition-key index]` for partition-key columns copied from
   * the input. The first one also closes partitions.
   */
  readonly watermarks?: readonly (readonly [column: number, keyIndex: number])[];
}

interface PartitionedState {
  readonly kind: string;
  /** What the operator computes (`settings`), checked on restore. */
  readonly settings: string;
  readonly partitions: PartitionState[];
  readonly watermarks: WatermarkEntries;
}

const NO_PARTITION: Row = [];

/** Where a row goes in a partitioned operator: its partition, ORDER BY key and per-row values. */
export interface PlacedRow {
  readonly pk: Row;
  readonly key: Value[];
  readonly args: readonly Value[];
}

/** How a partitioned operator places its rows. */
export interface Placement {
  readonly partitionBy: ((row: Row) => Value[]) | undefined;
  readonly order: readonly SortKey[];
  readonly argsOf: (row: Row) => readonly Value[];
}

/**
 * Visits each change of the chunk with its place; a row whose place cannot be computed (a SQL
 * error in an argument) goes to `fail` instead.
 */
export function placeRows(
  chunk: Chunk,
  how: Placement,
  fail: (e: unknown) => void,
  visit: (row: Row, weight: number, placed: PlacedRow) => void,
): void {
  const { rows, weights } = chunk;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as Row;
    const w = weights[i] as number;
    if (w === 0) continue;
    let placed: PlacedRow;
    try {
      const pk = how.partitionBy === undefined ? NO_PARTITION : how.partitionBy(row);
      placed = { pk, key: sortKeyOf(how.order, row), args: how.argsOf(row) };
    } catch (e) {
      fail(e);
      continue;
    }
    visit(row, w, placed);
  }
}
const NONE: readonly Value[] = [];

export abstract class PartitionedOperator extends Operator {
  readonly arity = 1;
  readonly #partitionBy: ((row: Row) => Value[]) | undefined;
  readonly #order: readonly SortKey[];
  readonly #watermarks: PartitionedOptions['watermarks'];
  readonly #partitions: SortedPartitions;
  readonly #held = new HeldWatermarks();

  constructor(name: string, options: PartitionedOptions) {
    super(name);
    this.#partitionBy = options.partitionBy;
    this.#order = options.orderBy ?? [];
    this.#watermarks = options.watermarks;
    this.#partitions = new SortedPartitions(this.#order, options.watermarks?.[0]?.[1]);
  }

  /** All output rows of a partition, keyed by row. */
  protected abstract compute(rows: SortedRows): Map<string, WeightedRow>;

  /** The snapshot's kind and what this operator computes, so a restore cannot mix them up. */
  protected abstract readonly stateKind: string;
  protected abstract settings(): string;

  /** Per-row values kept beside the row (none by default). */
  protected argsOf(_row: Row): readonly Value[] {
    return NONE;
  }

  get partitions(): number {
    return this.#partitions.size;
  }

  override get stateSize(): number {
    return this.#partitions.rows;
  }

  protected onChunk(chunk: Chunk): void {
    const how = {
      partitionBy: this.#partitionBy,
      order: this.#order,
      argsOf: (row: Row) => this.argsOf(row),
    };
    placeRows(
      chunk,
      how,
      (e) => this.fail(e),
      (row, w, p) => this.#partitions.add(p.pk, row, p.key, p.args, w),
    );
  }

  protected override onBarrier(): void {
    const out = this.#partitions.recompute((rows) => this.compute(rows));
    if (out !== undefined) this.emitBuilder(out);
    this.#partitions.releaseWatermarks(this.#held, this.#watermarks?.[0]?.[0], (wm) => this.emit(wm));
  }

  protected override onWatermark(wm: Watermark): void {
    if (this.#watermarks?.some(([c]) => c === wm.column) === true) this.#held.hold(wm);
  }

  override snapshot(): PartitionedState {
    this.assertSettled(this.#partitions.pending, 'changed partitions');
    this.assertSettled(this.#held.pending, 'held watermarks');
    return {
      kind: this.stateKind,
      settings: this.settings(),
      partitions: this.#partitions.snapshot(),
      watermarks: this.#held.snapshot(),
    };
  }

  override restore(state: unknown): void {
    const s = this.stateOf<PartitionedState>(state, this.stateKind);
    if (s.settings !== this.settings())
      throw new Error(`${this.name}: the snapshot computes ${s.settings}, this operator ${this.settings()}`);
    this.#partitions.restore(s.partitions);
    this.#held.restore(s.watermarks);
  }
}
