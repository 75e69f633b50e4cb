import { expect } from 'chai';
import { canonicalHetu, checkCharacter, fictionalHetu, isValidHetu, validateHetu } from './hetu.ts';

describe('henkilötunnus validation', () => {
  it('accepts the classic example 131052-308T', () => {
    const r = validateHetu('131052-308T');
    expect(r).to.deep.equal({ valid: true, hetu: '131052-308T', birthDate: '1952-10-13', isFictional: false, individualNumber: 308 });
  });

  it('canonicalises case and surrounding whitespace', () => {
    expect(canonicalHetu(' 131052-308t ')).to.equal('131052-308T');
    const r = validateHetu(' 131052-308t ');
    expect(r.valid && r.hetu).to.equal('131052-308T');
  });

  it('reads every century sign, including the 2023 additions', () => {
    const base = { dd: '01', mm: '01', yy: '05', zzz: '123' };
    const q = checkCharacter(base.dd + base.mm + base.yy, base.zzz);
    const years: Record<string, string> = { '+': '1805', '-': '1905', A: '2005' };
    for (const s of 'YXWVU') years[s] = '1905';
    for (const s of 'BCDEF') years[s] = '2005';
    for (const [sign, year] of Object.entries(years)) {
      const r = validateHetu(`010105${sign}123${q}`);
      expect(r, sign).to.include({ valid: true, birthDate: `${year}-01-01` });
    }
  });

  it('rejects other century signs and malformed shapes as format', () => {
    for (const bad of ['', '131052308T', '131052-308', '131052-308TT', '131052G308T', '13105-2308T', '131052-30XT', '131052-308G', 'abcdefghijk']) {
      expect(validateHetu(bad), JSON.stringify(bad)).to.deep.include({ valid: false, reason: 'format' });
    }
  });

  it('rejects impossible dates', () => {
    const withCheck = (ddmmyy: string, sign = '-') => `${ddmmyy}${sign}123${checkCharacter(ddmmyy, '123')}`;
    expect(validateHetu(withCheck('310452'))).to.deep.include({ reason: 'date' }); // 31 April
    expect(validateHetu(withCheck('001052'))).to.deep.include({ reason: 'date' });
    expect(validateHetu(withCheck('011352'))).to.deep.include({ reason: 'date' });
    expect(validateHetu(withCheck('290201'))).to.deep.include({ reason: 'date' }); // 1901 not leap
    expect(validateHetu(withCheck('290200', '-'))).to.deep.include({ reason: 'date' }); // 1900 not leap
    expect(validateHetu(withCheck('290200', 'A')).valid).to.equal(true); // 2000 is leap
    expect(validateHetu(withCheck('290204')).valid).to.equal(true);
  });

  it('rejects individual numbers 000 and 001', () => {
    for (const zzz of ['000', '001']) {
      const code = `131052-${zzz}${checkCharacter('131052', zzz)}`;
      expect(validateHetu(code)).to.deep.include({ valid: false, reason: 'individual_number' });
    }
    expect(validateHetu(`131052-002${checkCharacter('131052', '002')}`).valid).to.equal(true);
  });

  it('rejects a wrong check character with a message naming it', () => {
    const r = validateHetu('131052-308U');
    expect(r).to.deep.include({ valid: false, reason: 'check_character' });
    expect(!r.valid && r.message).to.match(/check character/);
  });

  it('flags individual numbers 900–999 as fictional', () => {
    const code = `131052-900${checkCharacter('131052', '900')}`;
    expect(validateHetu(code)).to.deep.include({ valid: true, isFictional: true });
    expect(validateHetu(`131052-899${checkCharacter('131052', '899')}`)).to.deep.include({ isFictional: false });
  });

  it('uses the check alphabet without G, I, O, Q, Z', () => {
    // remainders 16..30 map to H..Y
    const seen = new Set<string>();
    for (let z = 2; z < 100; z++) seen.add(checkCharacter('010101', String(z).padStart(3, '0')));
    for (const c of 'GIOQZ') expect(seen.has(c)).to.equal(false);
  });

  describe('fictionalHetu', () => {
    it('produces valid fictional codes for every century', () => {
      for (const [date, sign] of [['1899-12-31', '+'], ['1952-10-13', '-'], ['2024-02-29', 'A']] as const) {
        for (let n = 0; n < 100; n++) {
          const code = fictionalHetu(date, n);
          expect(code[6]).to.equal(sign);
          const r = validateHetu(code);
          expect(r, code).to.deep.include({ valid: true, isFictional: true, birthDate: date, individualNumber: 900 + n });
        }
      }
    });

    it('accepts a Date (UTC) and wraps n into 900–999', () => {
      const code = fictionalHetu(new Date(Date.UTC(1980, 4, 17)), 123);
      expect(code.startsWith('170580-923')).to.equal(true);
      expect(isValidHetu(code)).to.equal(true);
      expect(fictionalHetu('1980-05-17', -1).slice(7, 10)).to.equal('999');
    });

    it('refuses impossible dates', () => {
      expect(() => fictionalHetu('2023-02-29', 0)).to.throw(RangeError);
      expect(() => fictionalHetu('17.05.1980', 0)).to.throw(RangeError);
    });
  });
});
