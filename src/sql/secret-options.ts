/**
 * Connector secrets — passwords, tokens, SASL and TLS key credentials, authorization headers,
 * the password in a URL — kept out of what the catalog shows (rw_sources, rw_sinks, pg_views…)
 * and out of log lines. The engine keeps the options as written; only what is shown is redacted,
 * as RisingWave redacts secrets in definitions.
 */
import { scan, type Token } from './tokens.ts';

export const REDACTED = '[REDACTED]';

const SECRET_NAME = /password|passwd|secret|token|credential|private|api[._-]?key/i;
const SECRET_HEADER = /auth|key|token|secret|cookie|sign|pass|session/i;

/** Whether a `WITH (…)` option (lower-case name) holds a secret. */
export function isSecretOption(name: string): boolean {
  if (name.startsWith('headers.')) return SECRET_HEADER.test(name.slice('headers.'.length));
  return SECRET_NAME.test(name);
}

/** The password of every URL in a text replaced (`https://user:[REDACTED]@host/`); the rest as it is. */
export function redactUrl(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/[^/@:\s'"]*:)[^/@\s'"]*@/gi, `$1${REDACTED}@`);
}

/** Options with each secret's value redacted. */
export function redactOptions(options: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(options).map(([name, value]) => [
      name,
      isSecretOption(name) ? REDACTED : redactUrl(value),
    ]),
  );
}

/** The option name written before the `=` at `eq`: the text since the `(` or `,` before it, unquoted. */
function optionName(text: string, tokens: readonly Token[], eq: number): string {
  let i = eq - 1;
  while (i >= 0 && tokens[i]?.text !== ',' && tokens[i]?.text !== '(') i--;
  const from = tokens[i]?.end ?? 0;
  return text
    .slice(from, (tokens[eq] as Token).start)
    .replace(/"/g, '')
    .replace(/\s+/g, '')
    .toLowerCase();
}

/**
 * A CREATE statement's text with the values of its secret options — and passwords in URLs —
 * replaced by `'[REDACTED]'`; text that does not scan is not shown at all.
 */
export function redactDefinition(text: string): string {
  let tokens: Token[];
  try {
    tokens = scan(text);
  } catch {
    return REDACTED;
  }
  let out = '';
  let at = 0;
  tokens.forEach((t, i) => {
    if (t.kind !== 'string' || tokens[i - 1]?.text !== '=') return;
    const name = optionName(text, tokens, i - 1);
    const literal = text.slice(t.start, t.end);
    const shown = isSecretOption(name)
      ? `'${REDACTED}'`
      : redactUrl(literal.slice(1)) === literal.slice(1)
        ? literal
        : `'${redactUrl(literal.slice(1))}`;
    out += text.slice(at, t.start) + shown;
    at = t.end;
  });
  return out + text.slice(at);
}
