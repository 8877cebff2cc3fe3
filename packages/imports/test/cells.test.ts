import { boolean, CellIssue, date, email, integer, nafCode, nafList, postalCode, siren, siret, text, url, type Parsed } from '../src/cells';
import { sirenFor, siretFor } from '@importer/testing';

const value = <T>(parsed: Parsed<T>) => (parsed instanceof CellIssue ? undefined : parsed);
const code = (parsed: Parsed<unknown>) => (parsed instanceof CellIssue ? parsed.code : undefined);

describe('cell rules', () => {
  it('accepts a SIREN with spaces and a valid checksum, and rejects a bad checksum or length', () => {
    const good = sirenFor(42);
    expect(value(siren(`${good.slice(0, 3)} ${good.slice(3, 6)} ${good.slice(6)}`))).toBe(good);
    expect(value(siren(Number(good)))).toBe(good);
    expect(code(siren(`${good.slice(0, 8)}${(Number(good[8]) + 1) % 10}`))).toBe('invalid_siren');
    expect(code(siren('12345'))).toBe('invalid_siren');
  });

  it('checks SIRET length and checksum', () => {
    const s = siretFor(sirenFor(7));
    expect(value(siret(s))).toBe(s);
    expect(code(siret(`${s.slice(0, 13)}${(Number(s[13]) + 1) % 10}`))).toBe('invalid_siret');
  });

  it('pads numeric postal codes and rejects malformed ones', () => {
    expect(value(postalCode(1000))).toBe('01000');
    expect(value(postalCode('1000'))).toBe('01000');
    expect(value(postalCode('75001'))).toBe('75001');
    expect(code(postalCode('750011'))).toBe('invalid_postal_code');
  });

  it('normalises NAF codes, alone and in lists', () => {
    expect(value(nafCode('6201Z'))).toBe('62.01Z');
    expect(value(nafCode('62.01z'))).toBe('62.01Z');
    expect(code(nafCode('62A1Z'))).toBe('invalid_naf_code');
    expect(value(nafList('6201Z; 62.02A,6201Z'))).toEqual(['62.01Z', '62.02A']);
  });

  it('parses booleans, integers, dates, e-mails and URLs', () => {
    expect(value(boolean('Oui'))).toBe(true);
    expect(value(boolean('0'))).toBe(false);
    expect(code(boolean('peut-être'))).toBe('invalid_boolean');
    expect(value(integer({ min: 0 })('12'))).toBe(12);
    expect(code(integer({ min: 0 })('-1'))).toBe('out_of_range');
    expect(code(integer()('1.5'))).toBe('invalid_integer');
    expect(value(date('31/12/2020'))).toBe('2020-12-31');
    expect(value(date('2020-02-29'))).toBe('2020-02-29');
    expect(code(date('31/02/2021'))).toBe('invalid_date');
    // As LibreOffice, Gnumeric and Excel write date-and-time cells to CSV; the time is dropped.
    expect(value(date('31/12/1999 18:45'))).toBe('1999-12-31');
    expect(value(date('1999/12/31 18:45:00'))).toBe('1999-12-31');
    expect(value(date('2020-02-29T10:00:00.000Z'))).toBe('2020-02-29');
    expect(value(date('31.12.1999'))).toBe('1999-12-31');
    for (const rejected of ['31/12/1999 noon', '31/12/1999 18h45', '12/1999', '1999-12']) {
      expect(code(date(rejected))).toBe('invalid_date');
    }
    expect(value(email('a.b@example.fr'))).toBe('a.b@example.fr');
    expect(code(email('not-an-email'))).toBe('invalid_email');
    expect(value(url('https://example.fr/x'))).toBe('https://example.fr/x');
    expect(code(url('ftp://example.fr'))).toBe('invalid_url');
    expect(code(text({ max: 3 })('abcd'))).toBe('too_long');
  });

  it('url accepts exactly what the URL parser accepts as an http(s) address with a dotted host', () => {
    // Plain addresses take a fast path; the others go through the parser, whose verdict stands.
    for (const accepted of [
      'HTTPS://EXAMPLE.FR',
      'http://a.b/x y',
      'https://a.b:8080/x',
      'https://a_b.fr',
      'https://1.2.3.4/',
      'https://0x7f.1',
    ]) {
      expect(code(url(accepted))).toBeUndefined();
    }
    for (const rejected of [
      'https://xn--zz.fr',
      'https://a.xn--9.fr',
      'https://1.2.3.256/',
      'https://999.999.999.999',
      'https://localhost',
    ]) {
      expect(code(url(rejected))).toBe('invalid_url');
    }
  });

  it('nafCode leaves a canonical code as it is and normalises the others', () => {
    expect(value(nafCode('62.01Z'))).toBe('62.01Z');
    expect(value(nafCode(' 62 01 z'))).toBe('62.01Z');
    expect(code(nafCode('62.01ZZ'))).toBe('invalid_naf_code');
  });
});
