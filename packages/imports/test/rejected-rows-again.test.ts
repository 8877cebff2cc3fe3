/**
 * A rejected-rows download uploaded again (`POST /imports/:id/resubmit` or `POST /imports`): its error
 * columns are ignored without being reported, its cells lose the `'` the download added, and its own
 * download carries one set of error columns.
 */
import { mapHeaders } from '../src/headers';
import { companiesProfile } from '../src/profiles/companies';
import {
  isRejectedRowsDownload,
  neutralise,
  rejectedRowCells,
  rejectedRowsHeader,
  restoreNeutralised,
  restoreNeutralisedCells,
} from '../src/rejected-rows';

describe('a rejected-rows download uploaded again', () => {
  const headers = ['siren', 'nom', 'Remarque', 'error_column', 'error_code', 'error_message'];

  it('is recognised by its three error columns, which map to nothing and are not reported as unknown', () => {
    expect(isRejectedRowsDownload(headers)).toBe(true);
    expect(isRejectedRowsDownload(['siren', 'nom', 'Error Code', 'error-column', 'ERROR_MESSAGE'])).toBe(true);
    expect(isRejectedRowsDownload(['siren', 'nom', 'error_code'])).toBe(false);
    const map = mapHeaders(companiesProfile, headers);
    expect(map.columns.map(({ spec }) => spec.name)).toEqual(['siren', 'nom']);
    expect(map.unknown).toEqual(['Remarque']);
  });

  it('gets back every cell as the file held it, whatever neutralise added', () => {
    const cells = [
      '+33 1 23 45 67 89',
      '=1+1',
      '-5',
      '@SUM(A1)',
      '\tx',
      'a,=b;-c',
      'a,"=1+1"',
      'line\n@x\r\n=1',
      'Dupont, Jean-Pierre',
      '5-3',
      '',
    ];
    for (const cell of cells) expect(restoreNeutralised(neutralise(cell))).toBe(cell);
    // A quote the file itself held elsewhere stays.
    for (const cell of ["l'usine", "'quoted'", "a,'b"]) expect(restoreNeutralised(cell)).toBe(cell);

    const records = [{ row: 2, cells: ["'+33 1", 5, null, "a;'-b"] }];
    restoreNeutralisedCells(records);
    expect(records[0]?.cells).toEqual(['+33 1', 5, null, 'a;-b']);
  });

  it("leaves the previous download's error columns out of its own download", () => {
    expect(rejectedRowsHeader(headers)).toEqual(['siren', 'nom', 'Remarque', 'error_column', 'error_code', 'error_message']);
    const cells = rejectedRowCells(headers, {
      raw: ['123', 'Acme', 'x', 'siren', 'invalid_siren', 'stale'],
      errors: [{ column: 'siren', code: 'invalid_siren', message: 'siren: must be 9 digits' }],
    });
    expect(cells).toEqual(['123', 'Acme', 'x', 'siren', 'invalid_siren', 'siren: must be 9 digits']);
  });
});
