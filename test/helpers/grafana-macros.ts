/**
 * What Grafana's PostgreSQL data source does to a panel's SQL before sending it: macros and
 * dashboard variables expanded as text, for a time range.
 */

/** `$__timeFilter(c)` over [from, to] as Grafana expands it. */
export function timeFilter(column: string, from: string, to: string): string {
  return `${column} BETWEEN '${from}' AND '${to}'`;
}

/**
 * A panel's SQL as Grafana sends it: `$__timeFilter(c)`, `$__timeFrom()`, `$__timeTo()` for the
 * range, and `${name}` / `$name` replaced by the variable's value (a single value has its quotes
 * doubled, as the data source does; the SQL carries the quotes around it).
 */
export function expandAsGrafana(
  sql: string,
  range: { readonly from: string; readonly to: string },
  variables: Readonly<Record<string, string>>,
): string {
  return sql
    .replace(/\$__timeFilter\(\s*([^)]+?)\s*\)/g, (_, column: string) =>
      timeFilter(column, range.from, range.to),
    )
    .replace(/\$__timeFrom\(\)/g, `'${range.from}'`)
    .replace(/\$__timeTo\(\)/g, `'${range.to}'`)
    .replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
      const name = (braced ?? bare) as string;
      const value = variables[name];
      if (value === undefined) return whole;
      return value.replace(/'/g, "''");
    });
}
