/**
 * Where the process's memory is, in MB: the resident set, the JavaScript heap (what V8 holds,
 * and of it what live objects use: the engine's state, tables and views), and the rest of the
 * resident set; of that rest, Node's buffers outside the heap and what DuckDB's buffer manager
 * counts (its cached blocks and working memory). What is left beside them is the allocators'
 * (freed memory not given back), the code and the thread stacks.
 */
export interface MemoryFigures {
  readonly rss_mb: number;
  readonly js_heap_mb: number;
  readonly js_heap_used_mb: number;
  /** Of the JavaScript heap, the engine's thread's (its state, tables and views). */
  readonly engine_js_heap_mb: number;
  readonly engine_js_heap_used_mb: number;
  readonly outside_js_heap_mb: number;
  readonly buffers_mb: number;
  /** null until the store has been asked. */
  readonly duckdb_mb: number | null;
}

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

/**
 * `duckdbBytes`: DuckDB's own count, as last sampled (`ViewStore.memoryBytes`); `otherHeaps`:
 * the heaps of the process's other threads (the engine's), counted with this thread's.
 */
export function memoryFigures(
  duckdbBytes?: number,
  otherHeaps: { readonly used: number; readonly total: number } = { used: 0, total: 0 },
): MemoryFigures {
  const m = process.memoryUsage();
  const heapTotal = m.heapTotal + otherHeaps.total;
  return {
    rss_mb: mb(m.rss),
    js_heap_mb: mb(heapTotal),
    js_heap_used_mb: mb(m.heapUsed + otherHeaps.used),
    engine_js_heap_mb: mb(otherHeaps.total),
    engine_js_heap_used_mb: mb(otherHeaps.used),
    outside_js_heap_mb: mb(Math.max(0, m.rss - heapTotal)),
    buffers_mb: mb(m.external),
    duckdb_mb: duckdbBytes === undefined ? null : mb(duckdbBytes),
  };
}
