/**
 * Reading libpg-query's parse tree generically. A node is an object with one key, its kind
 * (`{ ColumnRef: { fields, location } }`); lists are arrays of nodes. The rewriter looks at a
 * few kinds closely and walks through the rest without knowing them, so it never breaks on a
 * construct it has no business with.
 */

/** The fields of a node (`{ fields, location }` of `{ ColumnRef: … }`). */
export type Fields = Record<string, unknown>;

/** The kind and fields of `n` if it is a node. */
export function asNode(n: unknown): { kind: string; fields: Fields } | undefined {
  if (n === null || typeof n !== 'object' || Array.isArray(n)) return undefined;
  const keys = Object.keys(n);
  if (keys.length !== 1) return undefined;
  const kind = keys[0] as string;
  const fields = (n as Record<string, unknown>)[kind];
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) return undefined;
  if (kind[0] === undefined || kind[0] < 'A' || kind[0] > 'Z') return undefined;
  return { kind, fields: fields as Fields };
}

/** The fields of `n` when it is a node of `kind`. */
export function fieldsIf(n: unknown, kind: string): Fields | undefined {
  const node = asNode(n);
  return node?.kind === kind ? node.fields : undefined;
}

/** The elements of a list field (absent → empty). */
export function list(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : [];
}

/** The text of a `String` node (`{ String: { sval } }`), or undefined. */
export function stringOf(n: unknown): string | undefined {
  const f = fieldsIf(n, 'String');
  return f === undefined ? undefined : String(f.sval ?? '');
}

/** The names of a name list (`[String, String]`), undefined when one is not a string (`*`). */
export function namesOf(v: unknown): string[] | undefined {
  const out: string[] = [];
  for (const n of list(v)) {
    const s = stringOf(n);
    if (s === undefined) return undefined;
    out.push(s);
  }
  return out;
}

/** A node's `location`, or -1. */
export function locationOf(fields: Fields): number {
  return typeof fields.location === 'number' ? fields.location : -1;
}

/** The value of an `A_Const` string constant, or undefined. */
export function stringConstant(n: unknown): string | undefined {
  const f = fieldsIf(n, 'A_Const');
  const s = f?.sval as Fields | undefined;
  return s === undefined ? undefined : String(s.sval ?? '');
}

/** Whether `n` is a bind parameter (`$1`). */
export function isParam(n: unknown): boolean {
  return fieldsIf(n, 'ParamRef') !== undefined;
}
