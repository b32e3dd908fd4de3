/**
 * to_char(numeric, format) for the usual number templates: `9` (digit, blank when leading),
 * `0` (digit, zero when leading), `.`/`D` decimal point, `,`/`G` group separator, `FM`
 * (no padding, no trailing zeros in `9` positions), `S`/`MI`/`PL`/`SG` sign placement.
 * Too few digit positions print `#`s, as PostgreSQL does; so does Infinity, and NaN prints
 * ` NaN`. The digits are the exact decimal ones (numeric values, src/sql/numeric.ts).
 */
import { absNumeric, formatNumeric, type Numeric, numericSign, roundNumeric } from '../../../sql/numeric.ts';

export function formatNumberChar(x: Numeric, format: string): string {
  let fm = false;
  let pre = 0;
  let post = 0;
  let seenPoint = false;
  let firstZero = -1;
  let explicitSign = false;
  let anchoredPlus = false;
  const items: string[] = [];
  for (let i = 0; i < format.length; i++) {
    const rest = format.slice(i);
    const up = rest.toUpperCase();
    if (up.startsWith('FM')) {
      fm = true;
      i++;
      continue;
    }
    if (up.startsWith('MI') || up.startsWith('PL') || up.startsWith('SG')) {
      items.push(up.slice(0, 2));
      explicitSign = true;
      i++;
      continue;
    }
    const c = format[i] as string;
    const u = c.toUpperCase();
    if (c === '9' || c === '0') {
      if (seenPoint) post++;
      else {
        if (c === '0' && firstZero < 0) firstZero = pre;
        pre++;
      }
      items.push(c);
    } else if (c === '.' || u === 'D') {
      seenPoint = true;
      items.push('.');
    } else if (c === ',' || u === 'G') {
      items.push(',');
    } else if (u === 'S') {
      // a leading S anchors the sign to the number, a trailing one prints in place
      if (pre === 0 && !seenPoint) anchoredPlus = true;
      else {
        items.push('S');
        explicitSign = true;
      }
    } else {
      items.push(`=${c}`);
    }
  }
  if (x.special === 'NaN') return ' NaN';
  const neg = numericSign(x) < 0;
  const text =
    x.special !== undefined ? '#'.repeat(pre + 1) : formatNumeric(roundNumeric(absNumeric(x), post));
  const [intText = '', fracText = ''] = text.split('.');
  let intDigits = intText === '0' ? (post > 0 ? '' : '0') : intText;
  const overflow = intDigits.length > pre;
  if (overflow) intDigits = '';
  let out = '';
  let k = 0; // integer position
  let f = 0; // fraction position
  let started = false;
  let signDone = false;
  const signChar = neg ? '-' : anchoredPlus ? '+' : fm ? '' : ' ';
  for (const it of items) {
    if (it === '9' || it === '0') {
      if (k < pre) {
        const idx = intDigits.length - (pre - k);
        if (overflow) out += '#';
        else if (idx >= 0) {
          if (!started && !explicitSign && !signDone) {
            out += signChar;
            signDone = true;
          }
          started = true;
          out += intDigits[idx];
        } else if (it === '0' || (firstZero >= 0 && k >= firstZero)) {
          if (!started && !explicitSign && !signDone) {
            out += signChar;
            signDone = true;
          }
          started = true;
          out += '0';
        } else if (!fm) out += ' ';
        k++;
      } else {
        out += overflow ? '#' : (fracText[f] ?? '0');
        f++;
      }
    } else if (it === '.') {
      if (!started && !explicitSign && !signDone) {
        out += signChar;
        signDone = true;
      }
      started = true;
      out += '.';
    } else if (it === ',') {
      out += started ? ',' : fm ? '' : ' ';
    } else if (it === 'S') {
      out += neg ? '-' : '+';
    } else if (it === 'MI') {
      out += neg ? '-' : fm ? '' : ' ';
    } else if (it === 'PL') {
      out += neg ? '' : '+';
    } else if (it === 'SG') {
      out += neg ? '-' : '+';
    } else {
      out += it.slice(1);
    }
  }
  if (!signDone && !explicitSign) out = signChar + out;
  if (fm) {
    // drop trailing zeros of `9` fraction positions
    const nines = items.filter((i) => i === '9' || i === '0');
    let end = out.length;
    for (let j = nines.length - 1; j >= pre && nines[j] === '9' && out[end - 1] === '0'; j--) end--;
    out = out.slice(0, end);
  }
  return out;
}
