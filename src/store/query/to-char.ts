/**
 * PostgreSQL's `to_char(timestamp, format)` for the patterns dashboards use: years, months,
 * days, hours (`HH24`, `HH12`), minutes, seconds, fractions (`MS`, `US`), month and day
 * names (`Mon`, `Month`, `Dy`, `Day` in their three casings), `AM`/`PM`, `Q`, `D`, `DDD`,
 * `IW`/`ID`, `TZ`; the `FM` prefix; double-quoted literal text. Times are UTC.
 */

const MICROS_PER_DAY = 86_400_000_000;
const months = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

interface Civil {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** Days since 1970-01-01 → proleptic Gregorian date (H. Hinnant's algorithm). */
function civil(z0: number): Civil {
  const z = z0 + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function daysFromCivil(y0: number, m: number, d: number): number {
  const y = m <= 2 ? y0 - 1 : y0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function isoWeek(dayNumber: number): number {
  const isoDow = (((dayNumber + 4) % 7) + 7) % 7 || 7;
  const thursday = dayNumber + 4 - isoDow;
  const year = civil(thursday).year;
  const jan1 = daysFromCivil(year, 1, 1);
  return Math.floor((thursday - jan1) / 7) + 1;
}

function pad(n: number, width: number, fill: boolean): string {
  return fill ? String(n).padStart(width, '0') : String(n);
}

function cased(name: string, pattern: string): string {
  if (pattern === pattern.toUpperCase()) return name.toUpperCase();
  if (pattern === pattern.toLowerCase()) return name.toLowerCase();
  return name;
}

const patterns = [
  'HH24',
  'HH12',
  'YYYY',
  'MONTH',
  'Month',
  'month',
  'A.M.',
  'P.M.',
  'a.m.',
  'p.m.',
  'DDD',
  'YYY',
  'MON',
  'Mon',
  'mon',
  'DAY',
  'Day',
  'day',
  'HH',
  'MI',
  'SS',
  'MS',
  'US',
  'YY',
  'MM',
  'DD',
  'DY',
  'Dy',
  'dy',
  'IW',
  'ID',
  'AM',
  'PM',
  'am',
  'pm',
  'TZ',
  'tz',
  'Y',
  'Q',
  'D',
];

/** `to_char(ts, format)` of a timestamp given in microseconds since 1970 (UTC). */
export function formatTimestampAs(micros: number, format: string): string {
  const dayNumber = Math.floor(micros / MICROS_PER_DAY);
  const c = civil(dayNumber);
  const t = micros - dayNumber * MICROS_PER_DAY;
  const hour = Math.floor(t / 3_600_000_000);
  const minute = Math.floor(t / 60_000_000) % 60;
  const second = Math.floor(t / 1_000_000) % 60;
  const frac = t % 1_000_000;
  const dow = (((dayNumber + 4) % 7) + 7) % 7;
  const doy = dayNumber - daysFromCivil(c.year, 1, 1) + 1;
  let out = '';
  let i = 0;
  while (i < format.length) {
    if (format[i] === '"') {
      const close = format.indexOf('"', i + 1);
      const end = close < 0 ? format.length : close;
      out += format.slice(i + 1, end);
      i = end + 1;
      continue;
    }
    if (format[i] === '\\' && i + 1 < format.length) {
      out += format[i + 1];
      i += 2;
      continue;
    }
    let fill = true;
    if (format.startsWith('FM', i) || format.startsWith('fm', i)) {
      fill = false;
      i += 2;
    }
    const p = patterns.find((x) => format.startsWith(x, i));
    if (p === undefined) {
      out += format[i];
      i++;
      continue;
    }
    i += p.length;
    const h12 = hour % 12 === 0 ? 12 : hour % 12;
    switch (p.toUpperCase()) {
      case 'HH24':
        out += pad(hour, 2, fill);
        break;
      case 'HH12':
      case 'HH':
        out += pad(h12, 2, fill);
        break;
      case 'MI':
        out += pad(minute, 2, fill);
        break;
      case 'SS':
        out += pad(second, 2, fill);
        break;
      case 'MS':
        out += pad(Math.floor(frac / 1000), 3, fill);
        break;
      case 'US':
        out += pad(frac, 6, fill);
        break;
      case 'YYYY':
        out += pad(c.year, 4, fill);
        break;
      case 'YYY':
        out += pad(c.year % 1000, 3, fill);
        break;
      case 'YY':
        out += pad(c.year % 100, 2, fill);
        break;
      case 'Y':
        out += String(c.year % 10);
        break;
      case 'MM':
        out += pad(c.month, 2, fill);
        break;
      case 'DD':
        out += pad(c.day, 2, fill);
        break;
      case 'DDD':
        out += pad(doy, 3, fill);
        break;
      case 'D':
        out += String(dow + 1);
        break;
      case 'ID':
        out += String(dow === 0 ? 7 : dow);
        break;
      case 'IW':
        out += pad(isoWeek(dayNumber), 2, fill);
        break;
      case 'Q':
        out += String(Math.floor((c.month - 1) / 3) + 1);
        break;
      case 'MONTH': {
        const name = cased(months[c.month - 1] as string, p);
        out += fill ? name.padEnd(9) : name;
        break;
      }
      case 'MON':
        out += cased((months[c.month - 1] as string).slice(0, 3), p);
        break;
      case 'DAY': {
        const name = cased(days[dow] as string, p);
        out += fill ? name.padEnd(9) : name;
        break;
      }
      case 'DY':
        out += cased((days[dow] as string).slice(0, 3), p);
        break;
      case 'AM':
      case 'PM':
        out += cased(hour < 12 ? 'AM' : 'PM', p);
        break;
      case 'A.M.':
      case 'P.M.':
        out += cased(hour < 12 ? 'A.M.' : 'P.M.', p);
        break;
      case 'TZ':
        out += cased('UTC', p);
        break;
    }
  }
  return out;
}
