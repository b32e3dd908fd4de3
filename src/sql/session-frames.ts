/**
 * RisingWave's session frame, `OVER (PARTITION BY … ORDER BY … SESSION WITH GAP g)`, found on
 * the token stream: PostgreSQL's grammar has no such frame, so the parser cuts it out and
 * parses the gap on its own (see QueryAst.sessionGaps).
 */
import { isPunct, isWord, syntaxErrorAt, type TokenSpan } from './risingwave.ts';
import type { Token } from './tokens.ts';

export interface SessionFrameTokens {
  /** Token index of SESSION. */
  readonly session: number;
  /** Token indexes [from, to) of the gap expression. */
  readonly gapFrom: number;
  readonly gapTo: number;
  /** Script location of the window definition's `(` (where libpg-query puts WindowDef.location). */
  readonly open: number;
}

export function findSessionFrames(span: TokenSpan): SessionFrameTokens[] {
  const ts = span.tokens;
  const out: SessionFrameTokens[] = [];
  const opens: number[] = [];
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i] as Token;
    if (isPunct(t, '(')) opens.push(i);
    else if (isPunct(t, ')')) opens.pop();
    else if (isWord(t, 'SESSION') && isWord(ts[i + 1], 'WITH') && isWord(ts[i + 2], 'GAP')) {
      const open = opens[opens.length - 1];
      if (open === undefined) throw syntaxErrorAt(span, i);
      let close = i + 3;
      for (let depth = 0; close < ts.length; close++) {
        const c = ts[close] as Token;
        if (isPunct(c, '(')) depth++;
        else if (isPunct(c, ')') && depth-- === 0) break;
      }
      if (close === i + 3 || close >= ts.length) throw syntaxErrorAt(span, close);
      out.push({ session: i, gapFrom: i + 3, gapTo: close, open: (ts[open] as Token).start });
      i = close - 1;
    }
  }
  return out;
}
