/**
 * PostgreSQL's array input syntax (`{1,2,NULL}`, `{"a b","c\"d"}`, `{{1,2},{3,4}}`) split
 * into element texts, for text-format array parameters. Elements are converted by their type
 * elsewhere; here only braces, quotes, backslashes and NULL matter.
 */

export type ArrayItem = string | null | readonly ArrayItem[];

/** The nested element texts of an array literal; undefined when the text is not one. */
export function splitArrayLiteral(text: string): readonly ArrayItem[] | undefined {
  const p = { text, at: 0 };
  skipBlanks(p);
  const items = list(p);
  if (items === undefined) return undefined;
  skipBlanks(p);
  return p.at === text.length ? items : undefined;
}

interface Cursor {
  readonly text: string;
  at: number;
}

function skipBlanks(p: Cursor): void {
  while (p.at < p.text.length && /\s/.test(p.text[p.at] as string)) p.at++;
}

function list(p: Cursor): ArrayItem[] | undefined {
  if (p.text[p.at] !== '{') return undefined;
  p.at++;
  const items: ArrayItem[] = [];
  skipBlanks(p);
  if (p.text[p.at] === '}') {
    p.at++;
    return items;
  }
  for (;;) {
    skipBlanks(p);
    const item = p.text[p.at] === '{' ? list(p) : element(p);
    if (item === undefined) return undefined;
    items.push(item);
    skipBlanks(p);
    const c = p.text[p.at++];
    if (c === '}') return items;
    if (c !== ',') return undefined;
  }
}

function element(p: Cursor): string | null | undefined {
  let out = '';
  if (p.text[p.at] === '"') {
    p.at++;
    for (;;) {
      const c = p.text[p.at++];
      if (c === undefined) return undefined;
      if (c === '"') return out;
      if (c === '\\') {
        const next = p.text[p.at++];
        if (next === undefined) return undefined;
        out += next;
      } else out += c;
    }
  }
  let quotedSome = false;
  let trailingBlanks = 0;
  for (;;) {
    const c = p.text[p.at];
    if (c === undefined || c === ',' || c === '}') break;
    if (c === '{' || c === '"') return undefined;
    p.at++;
    if (c === '\\') {
      const next = p.text[p.at++];
      if (next === undefined) return undefined;
      out += next;
      quotedSome = true;
      trailingBlanks = 0;
    } else {
      out += c;
      trailingBlanks = /\s/.test(c) ? trailingBlanks + 1 : 0;
    }
  }
  out = out.slice(0, out.length - trailingBlanks);
  if (out === '' && !quotedSome) return undefined;
  return !quotedSome && out.toUpperCase() === 'NULL' ? null : out;
}
