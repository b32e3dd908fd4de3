/**
 * A copy of `text` stored as one contiguous string. Strings built by concatenation are ropes in V8;
 * serialising a flat string is about 10 % faster, which matters for values written millions of times.
 */
export function flatString(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}
