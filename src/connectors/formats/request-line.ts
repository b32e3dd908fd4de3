/**
 * A logged request line (`GET /search?q=x HTTP/1.1`) split into method, target and protocol.
 *
 * The method is the text before the first space when it is an HTTP token (RFC 9110: letters,
 * digits and ``!#$%&'*+-.^_`|~``); the protocol the text after the last space when it is
 * `HTTP/<digits>[.<digits>]`; the target what lies between, as logged (escapes kept, spaces
 * too). A line with a method and no protocol is HTTP/0.9's `GET /path`.
 *
 * Anything else — a TLS handshake sent to the plain port (`\x16\x03\x01…`), binary garbage, a
 * bare word — is still a request: method and protocol NULL, the target the whole text as
 * logged, so a view can still see and count it. `-` (no request line at all, as servers log a
 * connection closed before one) is NULL for all three.
 */

/** Where the parts lie: `[methodStart, methodEnd, targetStart, targetEnd, protocolStart, protocolEnd]`, -1 for NULL. */
export type RequestParts = Int32Array;

export function requestParts(): RequestParts {
  return new Int32Array(6);
}

/** Whether the code is an RFC 9110 `tchar`. */
function isTokenChar(c: number): boolean {
  if ((c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a)) return true;
  switch (c) {
    case 0x21: // !
    case 0x23: // #
    case 0x24: // $
    case 0x25: // %
    case 0x26: // &
    case 0x27: // '
    case 0x2a: // *
    case 0x2b: // +
    case 0x2d: // -
    case 0x2e: // .
    case 0x5e: // ^
    case 0x5f: // _
    case 0x60: // `
    case 0x7c: // |
    case 0x7e: // ~
      return true;
    default:
      return false;
  }
}

/** `HTTP/1.1`, `HTTP/2`, `HTTP/2.0` in `s[a, e)`. */
function isProtocol(s: string, a: number, e: number): boolean {
  if (e - a < 6 || !s.startsWith('HTTP/', a)) return false;
  let k = a + 5;
  const digits = (): boolean => {
    const from = k;
    while (k < e && s.charCodeAt(k) >= 0x30 && s.charCodeAt(k) <= 0x39) k++;
    return k > from;
  };
  if (!digits()) return false;
  if (k < e && s.charCodeAt(k) === 0x2e) {
    k++;
    if (!digits()) return false;
  }
  return k === e;
}

/** Splits the request line `s[a, e)` into `out`. */
export function splitRequest(s: string, a: number, e: number, out: RequestParts): void {
  out.fill(-1);
  if (e - a === 1 && s.charCodeAt(a) === 0x2d) return;
  const space = s.indexOf(' ', a);
  let token = space > a && space < e;
  for (let k = a; token && k < space; k++) if (!isTokenChar(s.charCodeAt(k))) token = false;
  if (!token) {
    out[2] = a;
    out[3] = e;
    return;
  }
  out[0] = a;
  out[1] = space;
  const last = s.lastIndexOf(' ', e - 1);
  if (last > space && isProtocol(s, last + 1, e)) {
    out[2] = space + 1;
    out[3] = last;
    out[4] = last + 1;
    out[5] = e;
  } else {
    out[2] = space + 1;
    out[3] = e;
  }
}
