import { mapHeaders } from '../src/headers';
import { companiesProfile } from '../src/profiles/companies';
import { validateRecords } from '../src/validate';
import { thrown } from './read';

describe('mapping headers to a profile', () => {
  it('matches aliases ignoring case, accents, spaces, _ and -, and lists unknown headers', () => {
    const map = mapHeaders(companiesProfile, [' SIREN ', 'Raison sociale', 'Code-Postal', 'Ville', 'Remarque', '']);
    expect(map.columns.map(({ spec, index }) => [spec.name, index])).toEqual([
      ['siren', 0],
      ['nom', 1],
      ['code_postal', 2],
      ['ville_nom', 3],
    ]);
    expect(map.unknown).toEqual(['Remarque']);
  });

  it('fails two headers that name the same column after normalisation (Nom and name), saying which', () => {
    expect(thrown(() => mapHeaders(companiesProfile, ['siren', 'Nom', 'ville', 'name']))).toMatchObject({
      code: 'duplicate_header',
      message:
        'Columns B ("Nom") and D ("name") both name the column "nom"; each column needs its own header, so rename or remove one of them.',
      details: { column: 'nom', headers: ['Nom', 'name'], positions: [2, 4] },
    });
    expect(thrown(() => mapHeaders(companiesProfile, ['siren', 'nom', 'Nom_Commercial', 'nom commercial']))).toMatchObject({
      code: 'duplicate_header',
    });
  });

  it('fails two identical headers even when no column answers to them', () => {
    expect(thrown(() => mapHeaders(companiesProfile, ['siren', 'nom', 'Remarque', 'remarque ']))).toMatchObject({
      code: 'duplicate_header',
      message:
        'Columns C ("Remarque") and D ("remarque ") have the same header; each column needs its own header, so rename or remove one of them.',
    });
  });

  it('treats __proto__, constructor and prototype headers as ordinary unknown columns', () => {
    const headers = ['siren', 'nom', '__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString'];
    const map = mapHeaders(companiesProfile, headers);
    expect(map.columns.map(({ spec }) => spec.name)).toEqual(['siren', 'nom']);
    expect(map.unknown).toEqual(['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString']);
    const validated = validateRecords(
      companiesProfile,
      map.columns,
      [{ row: 2, cells: ['732829320', 'Acme', '{"polluted":true}', 'x', 'y', 'z', 'w'] }],
      1000,
    );
    expect(validated.failed).toBe(0);
    expect(validated.valid[0]?.values).toEqual({ siren: '732829320', nom: 'Acme' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
