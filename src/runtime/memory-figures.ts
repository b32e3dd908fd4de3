/**
 * Where the process's memory is, in MB: the resident set, the JavaScript heap (what V8 holds,
 * and of it what live objects use: the engine's state, tables and views), and the rest of the
 * resident set — mostly DuckDB's (its buffers and allocator), the code and the thread stacks.
 */
export interface MemoryFigures {
  readonly rss_mb: number;
  readonly js_heap_mb: number;
  readonly js_heap_used_mb: number;
  readonly outside_js_heap_mb: number;
}

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

export function memoryFigures(): MemoryFigures {
  const m = process.memoryUsage();
  return {
    rss_mb: mb(m.rss),
    js_heap_mb: mb(m.heapTotal),
    js_heap_used_mb: mb(m.heapUsed),
    outside_js_heap_mb: mb(Math.max(0, m.rss - m.heapTotal)),
  };
}
