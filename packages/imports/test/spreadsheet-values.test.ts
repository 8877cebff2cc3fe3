import {
  builtinFormatKind,
  columnIndex,
  columnName,
  formatCodeKind,
  serialToIsoDate,
  serialToTime,
} from '../src/readers/spreadsheet-values';

describe('cell references', () => {
  it('turns column letters into zero-based indexes and back', () => {
    expect(columnIndex('A1')).toBe(0);
    expect(columnIndex('Z9')).toBe(25);
    expect(columnIndex('AA10')).toBe(26);
    expect(columnIndex('ab3')).toBe(27);
    expect(columnIndex('XFD1048576')).toBe(16_383);
    for (const index of [0, 25, 26, 27, 701, 702, 16_383]) expect(columnIndex(columnName(index))).toBe(index);
    expect(columnName(27)).toBe('AB');
  });

  it('rejects references without letters or with more than three', () => {
    expect(columnIndex('12')).toBe(-1);
    expect(columnIndex('')).toBe(-1);
    expect(columnIndex('ABCD1')).toBe(-1);
  });
});

describe('number formats', () => {
  it('knows the built-in date and time formats by id', () => {
    expect(builtinFormatKind(14)).toBe('date'); // d/m/yyyy
    expect(builtinFormatKind(22)).toBe('date'); // m/d/yy h:mm
    expect(builtinFormatKind(20)).toBe('time'); // h:mm
    expect(builtinFormatKind(0)).toBe('number'); // General
    expect(builtinFormatKind(49)).toBe('number'); // @ (text)
    expect(builtinFormatKind(4)).toBe('number'); // #,##0.00
  });

  it.each([
    ['dd/mm/yyyy', 'date'],
    ['yyyy-mm-dd;@', 'date'],
    ['[$-40C]d mmmm yyyy', 'date'],
    ['d-mmm', 'date'],
    ['mmm yy', 'date'],
    ['DD/MM/YYYY HH:MM', 'date'],
    ['h:mm:ss', 'time'],
    ['[h]:mm', 'time'],
    ['mm:ss', 'time'],
    ['h:mm AM/PM', 'time'],
    ['General', 'number'],
    ['0.00', 'number'],
    ['#,##0.00 "€"', 'number'],
    ['0.00E+00', 'number'],
    ['_-* #,##0.00\\ _€_-;\\-* #,##0.00\\ _€_-', 'number'],
    ['"day "0', 'number'],
    ['[Red]0;[Blue]-0', 'number'],
    ['@', 'number'],
  ])('reads %s as %s', (code, kind) => {
    expect(formatCodeKind(code)).toBe(kind);
  });
});

describe('date serials', () => {
  it('converts 1900-system serials to calendar dates in UTC, whatever the time zone', () => {
    expect(serialToIsoDate(1)).toBe('1900-01-01');
    expect(serialToIsoDate(59)).toBe('1900-02-28');
    expect(serialToIsoDate(61)).toBe('1900-03-01');
    expect(serialToIsoDate(40617)).toBe('2011-03-15');
    expect(serialToIsoDate(43647)).toBe('2019-07-01');
    expect(serialToIsoDate(45351)).toBe('2024-02-29');
    expect(serialToIsoDate(2_958_465)).toBe('9999-12-31');
  });

  it('keeps Excel phantom 1900-02-29 (serial 60) visible, and refuses serials that are no date', () => {
    expect(serialToIsoDate(60)).toBe('1900-02-29');
    expect(serialToIsoDate(0)).toBeNull();
    expect(serialToIsoDate(-1)).toBeNull();
    expect(serialToIsoDate(Number.NaN)).toBeNull();
    expect(serialToIsoDate(2_958_466)).toBeNull();
  });

  it('counts from 1904-01-01 in the 1904 system', () => {
    expect(serialToIsoDate(0, true)).toBe('1904-01-01');
    expect(serialToIsoDate(39155, true)).toBe('2011-03-15');
  });

  it('drops the time of day, rounding to the second first', () => {
    expect(serialToIsoDate(40617.75)).toBe('2011-03-15');
    expect(serialToIsoDate(40617.999_999_99)).toBe('2011-03-16');
  });

  it('gives the time of day of a serial', () => {
    expect(serialToTime(0.5)).toBe('12:00:00');
    expect(serialToTime(40617 + 0.604_166_666_7)).toBe('14:30:00');
    expect(serialToTime(0.999_999_999)).toBe('00:00:00');
  });
});
