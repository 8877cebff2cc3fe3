/**
 * The benchmark's catalogue, shaped like the real one: the 21 sections of the French activity nomenclature
 * (NAF rév. 2) as categories, and 704 subcategories under them, each listing one NAF code of its section's
 * divisions (`62.10Z`, `35.21A`, …). Deterministic: the same catalogue at every run.
 */

/** The 21 sections: their name and their divisions (the first two digits of their codes). */
const SECTIONS: readonly { nom: string; divisions: readonly number[] }[] = [
  { nom: 'Agriculture, sylviculture et pêche', divisions: [1, 2, 3] },
  { nom: 'Industries extractives', divisions: [5, 6, 7, 8, 9] },
  { nom: 'Industrie manufacturière', divisions: range(10, 33) },
  { nom: "Production et distribution d'électricité, de gaz, de vapeur et d'air conditionné", divisions: [35] },
  { nom: "Production et distribution d'eau ; assainissement, gestion des déchets et dépollution", divisions: [36, 37, 38, 39] },
  { nom: 'Construction', divisions: [41, 42, 43] },
  { nom: "Commerce ; réparation d'automobiles et de motocycles", divisions: [45, 46, 47] },
  { nom: 'Transports et entreposage', divisions: range(49, 53) },
  { nom: 'Hébergement et restauration', divisions: [55, 56] },
  { nom: 'Information et communication', divisions: range(58, 63) },
  { nom: "Activités financières et d'assurance", divisions: [64, 65, 66] },
  { nom: 'Activités immobilières', divisions: [68] },
  { nom: 'Activités spécialisées, scientifiques et techniques', divisions: range(69, 75) },
  { nom: 'Activités de services administratifs et de soutien', divisions: range(77, 82) },
  { nom: 'Administration publique', divisions: [84] },
  { nom: 'Enseignement', divisions: [85] },
  { nom: 'Santé humaine et action sociale', divisions: [86, 87, 88] },
  { nom: 'Arts, spectacles et activités récréatives', divisions: range(90, 93) },
  { nom: 'Autres activités de services', divisions: [94, 95, 96] },
  { nom: "Activités des ménages en tant qu'employeurs", divisions: [97, 98] },
  { nom: 'Activités extra-territoriales', divisions: [99] },
];

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

export interface BenchSubcategory {
  nom: string;
  categorie: string;
  /** Its one NAF code, normalised (`NN.NNL`). */
  naf: string;
}

const SUBCATEGORY_COUNT = 704;

export const CATEGORIES: readonly string[] = SECTIONS.map((s) => s.nom);

/**
 * 704 subcategories, 33 or 34 per section. The j-th of a section takes the section's divisions in turn;
 * its group and class digits and its letter come from how many times the divisions have been gone round,
 * so that no two codes are the same.
 */
export const SUBCATEGORIES: readonly BenchSubcategory[] = SECTIONS.flatMap((section, s) => {
  const count = Math.floor(SUBCATEGORY_COUNT / SECTIONS.length) + (s < SUBCATEGORY_COUNT % SECTIONS.length ? 1 : 0);
  return Array.from({ length: count }, (_, j) => {
    const division = section.divisions[j % section.divisions.length] as number;
    const round = Math.floor(j / section.divisions.length);
    const naf = `${String(division).padStart(2, '0')}.${1 + (round % 9)}${Math.floor(round / 9)}${'ZAB'[round % 3]}`;
    return { nom: `Activités ${naf}`, categorie: section.nom, naf };
  });
});
