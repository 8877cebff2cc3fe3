import type { ColumnMapping, HeaderSuggestion, MappingSource } from '@importer/contracts';
import { createColumnMappingsRepository, type Queryable } from '@importer/db';
import { BadFileError } from './errors';
import { mapHeaders, type HeaderMap } from './headers';
import type { ColumnSpec, Profile } from './profiles/profile';
import { foldHeader } from './text';

/**
 * What a file layout is known by: its headers folded as header matching folds them, blanks and repeats
 * dropped, sorted. A saved mapping applies to every file of its profile with the same set, whatever the
 * order, case or accents of its headers.
 */
export function headerSet(headers: readonly string[]): string[] {
  return [...new Set(headers.map(foldHeader).filter((folded) => folded !== ''))].sort();
}

/** What is wrong with a mapping, each list naming the culprits; empty lists when nothing is. */
export interface MappingProblems {
  /** Columns the profile does not have. */
  unknownColumns: string[];
  /** Columns that more than one header is mapped to, with those headers. */
  columnsMappedTwice: { column: string; headers: string[] }[];
  /** Headers the mapping lists more than once once folded (`Nom` and `NOM`). */
  repeatedHeaders: string[][];
  /** Headers the mapping lists that the file does not have (only when the headers are known). */
  headersNotInFile: string[];
}

/**
 * Checks a mapping against a profile (and against the file's headers, when they are known): the upload and
 * `POST /mappings` refuse a mapping with problems, naming them (docs/api.md, `invalid_mapping`).
 */
export function mappingProblems(profile: Profile, mapping: ColumnMapping, headers?: readonly string[]): MappingProblems | null {
  const known = new Set(profile.columns.map((spec) => spec.name));
  const entries = Object.entries(mapping);
  const unknownColumns = [...new Set(entries.map(([, column]) => column).filter((column) => !known.has(column)))];
  const byColumn = new Map<string, string[]>();
  const byFolded = new Map<string, string[]>();
  for (const [header, column] of entries) {
    byColumn.set(column, [...(byColumn.get(column) ?? []), header]);
    const folded = foldHeader(header);
    byFolded.set(folded, [...(byFolded.get(folded) ?? []), header]);
  }
  const columnsMappedTwice = [...byColumn]
    .filter(([column, mapped]) => known.has(column) && mapped.length > 1)
    .map(([column, mapped]) => ({ column, headers: mapped }));
  const repeatedHeaders = [...byFolded.values()].filter((same) => same.length > 1);
  const inFile = headers ? new Set(headerSet(headers)) : null;
  const headersNotInFile = inFile ? entries.map(([header]) => header).filter((header) => !inFile.has(foldHeader(header))) : [];
  const problems = { unknownColumns, columnsMappedTwice, repeatedHeaders, headersNotInFile };
  return Object.values(problems).some((list) => list.length > 0) ? problems : null;
}

const quote = (texts: readonly string[]) => texts.map((text) => `"${text}"`).join(', ');

/** The problems as one sentence per kind, for the error's message. */
export function describeMappingProblems(profile: Profile, problems: MappingProblems): string {
  const sentences: string[] = [];
  if (problems.unknownColumns.length > 0) {
    sentences.push(
      `Profile "${profile.name}" has no column ${quote(problems.unknownColumns)}; its columns are ${profile.columns.map((spec) => spec.name).join(', ')}.`,
    );
  }
  for (const { column, headers } of problems.columnsMappedTwice) {
    sentences.push(`The headers ${quote(headers)} are all mapped to the column "${column}"; map one header to each column.`);
  }
  for (const same of problems.repeatedHeaders) sentences.push(`The headers ${quote(same)} are the same header; list it once.`);
  if (problems.headersNotInFile.length > 0) {
    sentences.push(`The file has no header ${quote(problems.headersNotInFile)}.`);
  }
  return `Invalid mapping: ${sentences.join(' ')}`;
}

/** The file's headers matched to the profile's columns, and how. */
export interface FileHeaderMap extends HeaderMap {
  mappingSource: MappingSource;
}

/**
 * Maps a file's header row for the worker (docs/profiles.md, "Column mappings"): with the upload's mapping
 * when it has one (every header it names must be in the file: `mapped_header_not_found`); else by names and
 * aliases; and when these leave a required column unmatched, with the mapping saved for the file's header
 * set, if there is one. Without it the import fails as it always did, `missing_columns` naming them.
 */
export async function mapFileHeaders(
  db: Queryable,
  profile: Profile,
  headers: readonly string[],
  requested: ColumnMapping | undefined,
): Promise<FileHeaderMap> {
  if (requested) {
    const inFile = new Set(headerSet(headers));
    const absent = Object.keys(requested).filter((header) => !inFile.has(foldHeader(header)));
    if (absent.length > 0) {
      throw new BadFileError(
        'mapped_header_not_found',
        `The mapping names ${absent.length > 1 ? 'headers' : 'a header'} ${quote(absent)} that the file does not have; ` +
          `its headers are ${quote(headers.filter((header) => header.trim() !== ''))}.`,
        { headers: absent, found: [...headers] },
      );
    }
    return { ...mapHeaders(profile, headers, requested), mappingSource: 'request' };
  }
  try {
    return { ...mapHeaders(profile, headers), mappingSource: 'aliases' };
  } catch (error) {
    if (!(error instanceof BadFileError) || error.code !== 'missing_columns') throw error;
    const saved = await createColumnMappingsRepository(db).find(profile.name, headerSet(headers));
    if (!saved) throw error;
    return { ...mapHeaders(profile, headers, saved.mapping), mappingSource: 'saved' };
  }
}

/** Columns the names and aliases alone give each header (`null`: none), without failing on anything. */
function aliasColumns(profile: Profile, headers: readonly string[]): (ColumnSpec | null)[] {
  const byName = new Map<string, ColumnSpec>();
  for (const spec of profile.columns) {
    for (const name of [spec.name, ...(spec.aliases ?? [])]) byName.set(foldHeader(name), spec);
  }
  return headers.map((header) => byName.get(foldHeader(header)) ?? null);
}

/** Levenshtein distance, for the closest column name. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The column whose folded name or alias is nearest to the folded header: at most 2 edits, and at most a third
 * of the name's length (so `cp` suggests nothing, `raison_social` suggests `nom` through `raison_sociale`).
 */
function closestColumn(folded: string, candidates: readonly ColumnSpec[]): ColumnSpec | null {
  let best: { spec: ColumnSpec; distance: number } | null = null;
  for (const spec of candidates) {
    for (const name of [spec.name, ...(spec.aliases ?? [])].map(foldHeader)) {
      const distance = editDistance(folded, name);
      if (distance > Math.min(2, Math.floor(name.length / 3))) continue;
      if (!best || distance < best.distance) best = { spec, distance };
    }
  }
  return best?.spec ?? null;
}

/** A header row's suggestions and the required columns names and aliases alone leave unmatched. */
export interface HeaderSuggestions {
  columns: HeaderSuggestion[];
  missingRequired: string[];
}

/**
 * Suggests a column for each non-empty header, for the admin UI's mapping step: its name or alias first, then
 * the saved mapping of its header set, then the closest column name not already suggested.
 */
export function suggestColumns(profile: Profile, headers: readonly string[], saved: ColumnMapping | null): HeaderSuggestions {
  const present = headers.filter((header) => foldHeader(header) !== '');
  const byAlias = aliasColumns(profile, present);
  const savedByHeader = new Map(Object.entries(saved ?? {}).map(([header, column]) => [foldHeader(header), column]));
  const taken = new Set(byAlias.flatMap((spec) => (spec ? [spec.name] : [])));
  const columns: HeaderSuggestion[] = present.map((header, index) => {
    const alias = byAlias[index];
    if (alias) return { header, suggestion: alias.name, source: 'alias' };
    const fromSaved = savedByHeader.get(foldHeader(header));
    if (fromSaved && profile.columns.some((spec) => spec.name === fromSaved) && !taken.has(fromSaved)) {
      taken.add(fromSaved);
      return { header, suggestion: fromSaved, source: 'saved' };
    }
    return { header, suggestion: null, source: null };
  });
  for (const entry of columns) {
    if (entry.suggestion !== null) continue;
    const closest = closestColumn(
      foldHeader(entry.header),
      profile.columns.filter((spec) => !taken.has(spec.name)),
    );
    if (closest) {
      taken.add(closest.name);
      entry.suggestion = closest.name;
      entry.source = 'closest';
    }
  }
  const matched = new Set(byAlias.flatMap((spec) => (spec ? [spec.name] : [])));
  const missingRequired = profile.columns.filter((spec) => spec.required && !matched.has(spec.name)).map((spec) => spec.name);
  return { columns, missingRequired };
}
