import { headerSet, mappingProblems, suggestColumns } from '../src/column-mapping';
import { mapHeaders } from '../src/headers';
import { companiesProfile } from '../src/profiles/companies';
import { thrown } from './read';

describe('column mappings', () => {
  it('knows a file layout by its folded, sorted header set, whatever the order, case, accents or blanks', () => {
    expect(headerSet(['Numéro SIREN', 'Raison  sociale', '', 'ville'])).toEqual(['numero_siren', 'raison_sociale', 'ville']);
    expect(headerSet(['VILLE', 'raison_sociale', 'numero-siren', ' '])).toEqual(headerSet(['Numéro SIREN', 'Raison  sociale', 'ville']));
  });

  it('maps the headers a mapping names, before names and aliases, folding them as header matching does', () => {
    const map = mapHeaders(companiesProfile, ['N° SIREN', 'Dénomination usuelle', 'name', 'Ville'], {
      'n° siren': 'siren',
      'DENOMINATION USUELLE': 'nom',
      name: 'nom_commercial',
    });
    expect(map.columns.map(({ spec, index }) => [spec.name, index])).toEqual([
      ['siren', 0],
      ['nom', 1],
      ['nom_commercial', 2],
      ['ville_nom', 3],
    ]);
    expect(map.unknown).toEqual([]);
  });

  it('fails a mapping that names a column the profile does not have, or a column another header has', () => {
    expect(thrown(() => mapHeaders(companiesProfile, ['a', 'b'], { a: 'siren', b: 'company' }))).toMatchObject({ code: 'invalid_mapping' });
    expect(thrown(() => mapHeaders(companiesProfile, ['siren', 'a', 'name'], { a: 'nom' }))).toMatchObject({
      code: 'duplicate_header',
    });
  });

  it('names every problem of a mapping', () => {
    expect(mappingProblems(companiesProfile, { a: 'siren', b: 'nom' })).toBeNull();
    expect(mappingProblems(companiesProfile, { a: 'siren', A: 'nom', b: 'nom', c: 'zip_code' }, ['a', 'c'])).toEqual({
      unknownColumns: ['zip_code'],
      columnsMappedTwice: [{ column: 'nom', headers: ['A', 'b'] }],
      repeatedHeaders: [['a', 'A']],
      headersNotInFile: ['b'],
    });
  });

  it('suggests the alias, then the saved mapping, then the closest column name not already suggested', () => {
    const headers = ['Ville', 'Villle', 'Raison social', 'Numéro', 'emails', 'x', ''];
    expect(suggestColumns(companiesProfile, headers, { Numéro: 'siren', x: 'no_such_column' })).toEqual({
      columns: [
        { header: 'Ville', suggestion: 'ville_nom', source: 'alias' },
        // ville_nom is taken by the alias: no second suggestion of it.
        { header: 'Villle', suggestion: null, source: null },
        { header: 'Raison social', suggestion: 'nom', source: 'closest' },
        { header: 'Numéro', suggestion: 'siren', source: 'saved' },
        { header: 'emails', suggestion: 'email_contact', source: 'closest' },
        { header: 'x', suggestion: null, source: null },
      ],
      missingRequired: ['siren', 'nom'],
    });
    // Short names need a close match: `cpp` is not `cp`.
    expect(suggestColumns(companiesProfile, ['cpp'], null).columns).toEqual([{ header: 'cpp', suggestion: null, source: null }]);
  });
});
