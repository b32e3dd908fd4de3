/** Limits both paths — views in the engine, ad-hoc queries in DuckDB — hold to alike. */

/**
 * The longest text `repeat`, `lpad` and `rpad` build, in bytes for repeat and characters for
 * the pads (PostgreSQL's limit is 1 GB, past what a small server can hold for one value):
 * beyond it they fail with 54000 "requested length too large", as PostgreSQL's do past its.
 */
export const MAX_BUILT_TEXT = 64 * 1024 * 1024;
