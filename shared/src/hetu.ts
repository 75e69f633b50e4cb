// Finnish personal identity code (henkilötunnus): DDMMYYCZZZQ.
// Pure TypeScript without Node APIs: the browser validates as the user types
// and the server validates again before hashing (server/src/directory/client-id.ts).

/** Century sign → first two digits of the year. The letters after `-`/`A` came in 2023. */
const CENTURY: Record<string, number> = {
  '+': 1800,
  '-': 1900, Y: 1900, X: 1900, W: 1900, V: 1900, U: 1900,
  A: 2000, B: 2000, C: 2000, D: 2000, E: 2000, F: 2000,
};

const CHECK_CHARS = '0123456789ABCDEFHJKLMNPRSTUVWXY';
const HETU_SHAPE = /^(\d{2})(\d{2})(\d{2})([-+YXWVUABCDEF])(\d{3})([0-9A-FHJ-NPR-Y])$/;

/** Anything shaped like a code inside free text (any case, valid check character or not). */
const HETU_IN_TEXT = /(^|[^0-9A-Za-z])\d{6}[-+YXWVUABCDEF]\d{3}[0-9A-FHJ-NPR-Y]($|[^0-9A-Za-z])/i;

/** Whether free text (a reason, a purpose) holds something that looks like a henkilötunnus: such text is refused, never stored. */
export function containsHetuShape(text: string): boolean {
  return HETU_IN_TEXT.test(text);
}

export type HetuInvalidReason = 'format' | 'date' | 'individual_number' | 'check_character';

export type HetuResult =
  | {
      valid: true;
      /** The canonical form: trimmed, upper case. Hash and compare only this. */
      hetu: string;
      /** Date of birth, YYYY-MM-DD. */
      birthDate: string;
      /** Individual number 900–999: a temporary or fictional code (test data, demo data). */
      isFictional: boolean;
      individualNumber: number;
    }
  | { valid: false; reason: HetuInvalidReason; message: string };

const MESSAGES: Record<HetuInvalidReason, string> = {
  format: 'format: expected DDMMYYCZZZQ',
  date: 'date: no such calendar date',
  individual_number: 'individual number: must be 002–999',
  check_character: 'check character',
};

const fail = (reason: HetuInvalidReason): HetuResult => ({ valid: false, reason, message: MESSAGES[reason] });

/** Trimmed and upper-cased: `010101a123n` and `010101A123N` are the same code. */
export function canonicalHetu(input: string): string {
  return input.trim().toUpperCase();
}

export function checkCharacter(ddmmyy: string, individual: string): string {
  return CHECK_CHARS[Number(ddmmyy + individual) % 31];
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return day <= days;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

export function validateHetu(input: string): HetuResult {
  const hetu = canonicalHetu(input);
  const m = HETU_SHAPE.exec(hetu);
  if (!m) return fail('format');
  const [, dd, mm, yy, sign, zzz, check] = m;
  const year = CENTURY[sign] + Number(yy);
  if (!isCalendarDate(year, Number(mm), Number(dd))) return fail('date');
  const individualNumber = Number(zzz);
  if (individualNumber < 2) return fail('individual_number');
  if (checkCharacter(dd + mm + yy, zzz) !== check) return fail('check_character');
  return {
    valid: true,
    hetu,
    birthDate: `${year}-${mm}-${dd}`,
    isFictional: individualNumber >= 900,
    individualNumber,
  };
}

export function isValidHetu(input: string): boolean {
  return validateHetu(input).valid;
}

/**
 * A valid fictional code (individual number 900–999) for the given birth date
 * ('YYYY-MM-DD' or a Date, read in UTC). `n` picks the individual number: 900 + n mod 100.
 * Uses the classic century signs (+, -, A).
 */
export function fictionalHetu(date: string | Date, n: number): string {
  let year: number, month: number, day: number;
  if (typeof date === 'string') {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
    if (!m) throw new RangeError('date must be YYYY-MM-DD');
    [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  } else {
    [year, month, day] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
  }
  if (year < 1800 || year > 2099 || !isCalendarDate(year, month, day)) throw new RangeError('date out of range');
  const sign = year < 1900 ? '+' : year < 2000 ? '-' : 'A';
  const ddmmyy = pad(day, 2) + pad(month, 2) + pad(year % 100, 2);
  const individual = pad(900 + (((Math.trunc(n) % 100) + 100) % 100), 3);
  return ddmmyy + sign + individual + checkCharacter(ddmmyy, individual);
}
