import { sirenFor } from '@importer/testing';
import { mapHeaders } from '../src/headers';
import { companiesProfile } from '../src/profiles/companies';
import { validateRecords } from '../src/validate';

describe('validateRecords', () => {
  const { columns } = mapHeaders(companiesProfile, ['siren', 'nom', 'code_postal']);

  it('refuses a NUL character in a short cell and in a long one, and keeps the other rows', () => {
    const long = `${'x'.repeat(100)}\u0000${'y'.repeat(100)}`;
    const result = validateRecords(
      companiesProfile,
      columns,
      [
        { row: 2, cells: [sirenFor(1), 'Fox\u0000trot', '75001'] },
        { row: 3, cells: [sirenFor(2), long, '1000'] },
        { row: 4, cells: [sirenFor(3), 'x'.repeat(200), '1000'] },
        { row: 5, cells: ['', '', null] },
      ],
      64 * 1024,
    );
    expect(result.rows).toBe(3);
    expect(result.issues.map(({ row, column, code }) => ({ row, column, code }))).toEqual([
      { row: 2, column: 'nom', code: 'invalid_character' },
      { row: 3, column: 'nom', code: 'invalid_character' },
    ]);
    expect(result.valid.map((valid) => valid.values)).toEqual([
      expect.objectContaining({ siren: sirenFor(3), nom: 'x'.repeat(200), code_postal: '01000', siret: undefined }),
    ]);
  });
});
