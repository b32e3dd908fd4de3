/**
 * string_agg(x, sep), array_agg(x), and RisingWave's first_value(x ORDER BY …) and
 * last_value(x ORDER BY …) (NULLs included, ties on the key broken by the value).
 * State: the multiset of values. With ORDER BY inside the call the multiset is kept sorted
 * by (sort key, value) — ties on the key are broken by the value so the result is
 * deterministic. Without ORDER BY the order is that of each distinct value's first insertion
 * (copies of one value are adjacent); SQL leaves this order unspecified.
 * string_agg skips NULLs (NULL when nothing is left); array_agg keeps NULL elements (NULL when
 * empty). jsonb_agg is array_agg of its values as jsonb (compile-plan.ts converts them), a JSON
 * array; jsonb_object_agg keeps `[key, value]` pairs and makes an object of them, a later pair
 * replacing an earlier one of the same key as in PostgreSQL.
 */
import { checkBuiltLength } from '../../sql/limits.ts';
import {
  compareKeys,
  compareRowsExact,
  type Row,
  type SortKey,
  type Value,
  valueIdentity,
} from '../value.ts';
import type { Accumulator } from './accumulator.ts';
import { type MultisetState, SortedMultiset } from './sorted-multiset.ts';

/**
 * A `ValueList` as plain data: with ORDER BY its sorted multiset of `[...sortKey, value]`;
 * without, the distinct values in first-insertion order and their counts.
 */
type ValueListState = MultisetState<Row> | [values: Value[], counts: number[]];

interface Counted {
  value: Value;
  count: number;
}

class ValueList {
  readonly #ordered: SortedMultiset<Row> | undefined;
  readonly #byKey = new Map<string, Counted>();

  constructor(orderBy: readonly SortKey[] | undefined) {
    if (orderBy !== undefined && orderBy.length > 0) {
      const spec = [...orderBy, {}];
      this.#ordered = new SortedMultiset<Row>((a, b) => compareKeys(a, b, spec) || compareRowsExact(a, b));
    }
  }

  add(value: Value, weight: number, sortKey: Row | undefined): void {
    if (this.#ordered !== undefined) {
      this.#ordered.add([...(sortKey ?? []), value], weight);
      return;
    }
    const k = valueIdentity(value);
    const e = this.#byKey.get(k);
    if (e === undefined) this.#byKey.set(k, { value, count: weight });
    else {
      e.count += weight;
      if (e.count === 0) this.#byKey.delete(k);
    }
  }

  snapshot(): ValueListState {
    if (this.#ordered !== undefined) return this.#ordered.snapshot();
    const values: Value[] = [];
    const counts: number[] = [];
    for (const e of this.#byKey.values()) {
      values.push(e.value);
      counts.push(e.count);
    }
    return [values, counts];
  }

  restore(state: ValueListState): void {
    if (this.#ordered !== undefined) {
      this.#ordered.restore(state as MultisetState<Row>);
      return;
    }
    const [values, counts] = state as [Value[], number[]];
    this.#byKey.clear();
    for (let i = 0; i < values.length; i++) {
      const value = values[i] as Value;
      this.#byKey.set(valueIdentity(value), { value, count: counts[i] as number });
    }
  }

  /** The first or last value in the ORDER BY order (undefined when empty or unordered). */
  edge(which: 'first' | 'last'): Value | undefined {
    const entry = which === 'first' ? this.#ordered?.first() : this.#ordered?.last();
    return entry === undefined ? undefined : (entry[entry.length - 1] as Value);
  }

  values(): Value[] {
    const out: Value[] = [];
    if (this.#ordered !== undefined) {
      for (const entry of this.#ordered.expand()) out.push(entry[entry.length - 1] as Value);
    } else {
      for (const e of this.#byKey.values()) for (let c = e.count; c > 0; c--) out.push(e.value);
    }
    return out;
  }
}

/** What array_agg, jsonb_agg and jsonb_object_agg have in common: the list of values, NULLs kept. */
abstract class ListAccumulator implements Accumulator {
  protected readonly list: ValueList;

  constructor(orderBy: readonly SortKey[] | undefined) {
    this.list = new ValueList(orderBy);
  }

  add(value: Value, weight: number, sortKey?: Row): void {
    this.list.add(value, weight, sortKey);
  }

  abstract result(): Value;

  snapshot(): ValueListState {
    return this.list.snapshot();
  }

  restore(state: unknown): void {
    this.list.restore(state as ValueListState);
  }
}

export class StringAggAccumulator implements Accumulator {
  readonly #list: ValueList;
  readonly #sep: string;

  constructor(separator: string, orderBy: readonly SortKey[] | undefined) {
    this.#sep = separator;
    this.#list = new ValueList(orderBy);
  }

  add(value: Value, weight: number, sortKey?: Row): void {
    if (value !== null) this.#list.add(value, weight, sortKey);
  }

  result(): Value {
    const vs = this.#list.values();
    if (vs.length === 0) return null;
    const texts = vs.map((v) => (typeof v === 'string' ? v : String(v)));
    let length = this.#sep.length * (texts.length - 1);
    for (const t of texts) length += t.length;
    checkBuiltLength(length);
    return texts.join(this.#sep);
  }

  snapshot(): ValueListState {
    return this.#list.snapshot();
  }

  restore(state: unknown): void {
    this.#list.restore(state as ValueListState);
  }
}

export class ArrayAggAccumulator extends ListAccumulator {
  result(): Value {
    const vs = this.list.values();
    checkBuiltLength(vs.length);
    return vs.length === 0 ? null : vs;
  }
}

/** jsonb_agg(x): its values are jsonb already, so the array is the JSON array. */
export class JsonbAggAccumulator extends ArrayAggAccumulator {}

export class JsonbObjectAggAccumulator extends ListAccumulator {
  override add(pair: Value, weight: number, sortKey?: Row): void {
    if ((pair as readonly Value[])[0] === null)
      throw Object.assign(new Error('field name must not be null'), { sqlstate: '22023' });
    super.add(pair, weight, sortKey);
  }

  result(): Value {
    const pairs = this.list.values() as unknown as readonly [string, Value][];
    checkBuiltLength(pairs.length);
    if (pairs.length === 0) return null;
    const out: Record<string, Value> = {};
    for (const [k, v] of pairs) out[k] = v;
    return out as unknown as Value;
  }
}

/** first_value(x ORDER BY …) / last_value(x ORDER BY …): the edge of the ordered multiset. */
export class EdgeValueAccumulator extends ListAccumulator {
  readonly #which: 'first' | 'last';

  constructor(which: 'first' | 'last', orderBy: readonly SortKey[]) {
    super(orderBy);
    this.#which = which;
  }

  result(): Value {
    return this.list.edge(this.#which) ?? null;
  }
}
