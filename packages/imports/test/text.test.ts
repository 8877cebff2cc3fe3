import { everyTextOf } from '@importer/testing';
import { foldHeader, foldName, slugify } from '../src/text';

describe('text folding', () => {
  it('folds case, accents and spaces', () => {
    expect(foldName('  Café   des  Sports ')).toBe('cafe des sports');
    expect(foldName('Restauration rapide')).toBe('restauration rapide');
    expect(foldName('déjà\tvu')).toBe('deja vu');
    expect(foldHeader('Code-Postal')).toBe('code_postal');
    expect(slugify('Café & Restaurants')).toBe('cafe-restaurants');
  });

  it('folds plain ASCII names as the full rule does (normalise, strip marks, lower case, trim, collapse)', () => {
    const full = (text: string) =>
      text
        .normalize('NFD')
        .replace(/[\u0300-\u036f]/g, '')
        .toLowerCase()
        .trim()
        .replace(/\s+/g, ' ');
    const texts = everyTextOf(['a', 'B', '1', ' ', '  ', '\t', '\n', '\u00a0', 'é', 'e\u0301', '-', '\u0000'], 4);
    const disagreements = texts.filter((text) => foldName(text) !== full(text));
    expect(disagreements).toEqual([]);
  });
});
