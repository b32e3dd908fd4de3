/**
 * Emit on window close (RisingWave's `EMIT ON WINDOW CLOSE`): holds a view's changes back
 * until the watermark on `column` passes their value there, then releases each closed
 * window's net changes at once — final rows, emitted once, never updated afterwards.
 *
 * Delta: changes are summed per window (the value in `column`) and per row, so an update
 * inside an open window nets to its last version; a watermark `v` on `column` emits the sums
 * of every window below `v` (oldest first) and forgets them. Stateful operators upstream
 * send a watermark only after their output for the epoch, so a released window is complete.
 * State: the net changes of the open windows. Watermarks pass on after the release; a row
 * whose `column` is not a number (NULL) belongs to no window and is never released.
 * Snapshot: each open window's net changes (rows and weights, in arrival order).
 */
import { type Chunk, ChunkBuilder, fromMultiset, integrate, type WeightedRow } from '../chunk.ts';
import { Operator, type Watermark } from '../operator.ts';
import { type Row, rowIdentity } from '../value.ts';

interface EmitOnWindowCloseState {
  readonly kind: 'emit_on_window_close';
  readonly column: number;
  readonly windows: number[];
  readonly rows: (readonly Row[])[];
  readonly weights: (readonly number[])[];
}

export class EmitOnWindowClose extends Operator {
  readonly arity = 1;
  readonly #column: number;
  readonly #windows = new Map<number, Map<string, WeightedRow>>();

  constructor(column: number, name = 'emit_on_window_close') {
    super(name);
    this.#column = column;
  }

  /** Number of windows holding changes. */
  get openWindows(): number {
    return this.#windows.size;
  }

  override get stateSize(): number {
    let n = 0;
    for (const w of this.#windows.values()) n += w.size;
    return n;
  }

  protected onChunk(chunk: Chunk): void {
    const { rows, weights } = chunk;
    const c = this.#column;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Row;
      const t = row[c];
      if (typeof t !== 'number') continue;
      let w = this.#windows.get(t);
      if (w === undefined) {
        w = new Map();
        this.#windows.set(t, w);
      }
      integrate(w, [row], [weights[i] as number]);
    }
  }

  protected override onWatermark(wm: Watermark): void {
    if (wm.column === this.#column && typeof wm.value === 'number') {
      const bound = wm.value;
      const closed = [...this.#windows.keys()].filter((t) => t < bound).sort((a, b) => a - b);
      const out = new ChunkBuilder();
      for (const t of closed) {
        for (const e of (this.#windows.get(t) as Map<string, WeightedRow>).values())
          if (e.weight !== 0) out.push(e.row, e.weight);
        this.#windows.delete(t);
      }
      this.emitBuilder(out);
    }
    this.emit(wm);
  }

  override snapshot(): EmitOnWindowCloseState {
    const s: EmitOnWindowCloseState = {
      kind: 'emit_on_window_close',
      column: this.#column,
      windows: [],
      rows: [],
      weights: [],
    };
    for (const [t, changes] of this.#windows) {
      const { rows, weights } = fromMultiset(changes);
      s.windows.push(t);
      s.rows.push(rows);
      s.weights.push(weights);
    }
    return s;
  }

  override restore(state: unknown): void {
    const s = this.stateOf<EmitOnWindowCloseState>(state, 'emit_on_window_close');
    if (s.column !== this.#column)
      throw new Error(`${this.name}: the snapshot's windows are on column ${s.column}, not ${this.#column}`);
    this.#windows.clear();
    for (let i = 0; i < s.windows.length; i++) {
      const changes = new Map<string, WeightedRow>();
      const rows = s.rows[i] as Row[];
      const weights = s.weights[i] as number[];
      for (let j = 0; j < rows.length; j++) {
        const row = rows[j] as Row;
        changes.set(rowIdentity(row), { row, weight: weights[j] as number });
      }
      this.#windows.set(s.windows[i] as number, changes);
    }
  }
}
