/** CSV dialect sniffing: pure functions over the first decoded characters of a file (line endings `\n`). */
import Papa from 'papaparse';
import { BadFileError } from '../errors';

/** The delimiters Importer accepts, in order of preference when two fit a sample equally well. */
const DELIMITERS = [',', ';', '\t', '|'] as const;
export type Delimiter = (typeof DELIMITERS)[number];

const SAMPLE_RECORDS = 50;

/** Excel's `sep=;` first line (also written quoted, `"sep=;"`): the delimiter it names and its length. */
export function readSepLine(head: string): { delimiter: Delimiter; length: number } | null {
  const match = /^"?sep=(.?)"?[ \t]*(\n|$)/i.exec(head);
  if (!match) return null;
  const delimiter = match[1] as string;
  if (!(DELIMITERS as readonly string[]).includes(delimiter)) {
    throw new BadFileError(
      'unsupported_delimiter',
      `The file's first line "${match[0].trim()}" names the delimiter "${delimiter}"; use a comma, a semicolon, a tab or "|".`,
      { delimiter },
    );
  }
  return { delimiter: delimiter as Delimiter, length: match[0].length };
}

/**
 * Guesses the delimiter from a sample: for each candidate, the sample is parsed (quotes respected) and the
 * candidate scores by the share of its first non-empty records that have as many fields as the header
 * row; a header with fewer than two non-empty fields does not count. Ties go to the header with more
 * fields, then to the order of `DELIMITERS`. A file with one column is read as comma-separated.
 */
export function sniffDelimiter(sample: string): Delimiter {
  let best: { delimiter: Delimiter; score: number; fields: number } | null = null;
  for (const delimiter of DELIMITERS) {
    const records = Papa.parse<string[]>(sample, { delimiter, newline: '\n', quoteChar: '"', preview: SAMPLE_RECORDS * 2 })
      .data.filter((record) => !(record.length === 1 && record[0]?.trim() === ''))
      .slice(0, SAMPLE_RECORDS);
    const header = records[0] ?? [];
    if (header.filter((field) => field.trim() !== '').length < 2) continue;
    const fields = header.length;
    // The last record of a sample may be cut short; leave it out unless it is the only one after the header.
    const body = records.length > 2 ? records.slice(1, -1) : records.slice(1);
    const consistent = body.filter((record) => record.length === fields).length + 1;
    const score = consistent / (body.length + 1);
    const bestScore: number = best ? best.score : -1;
    if (score > bestScore || (best && score === bestScore && fields > best.fields)) best = { delimiter, score, fields };
  }
  return best?.delimiter ?? ',';
}
