/**
 * The small parts of an XLSX package, read before any sheet: the package relationships, the workbook
 * (sheet names and date system), its relationships (where each sheet, the shared strings and the styles
 * live) and the styles (which cells are dates).
 */
import path from 'node:path';
import { BadFileError } from '../errors';
import { builtinFormatKind, formatCodeKind, type FormatKind } from './spreadsheet-values';
import { parseXmlPart } from './xml';
import type { ZipArchive } from './zip';

/** More sheets, relationships, number formats or cell styles than this: not a real workbook. */
const MAX_ITEMS = 100_000;

const REL_OFFICE_DOCUMENT = /\/officeDocument$/;
const REL_WORKSHEET = /\/(worksheet|chartsheet|dialogsheet)$/;
const REL_SHARED_STRINGS = /\/sharedStrings$/;
const REL_STYLES = /\/styles$/;

export interface SheetRef {
  name: string;
  /** Zip entry of the sheet's XML, or null when the workbook points nowhere. */
  part: string | null;
  /** Hidden from the person who opens the workbook (`state="hidden"` or `"veryHidden"`). */
  hidden: boolean;
}

export interface WorkbookInfo {
  date1904: boolean;
  sheets: SheetRef[];
  sharedStringsPart: string | null;
  stylesPart: string | null;
}

interface Relationship {
  type: string;
  target: string;
}

/** Reads the part names and sheet list of an XLSX package. */
export async function readWorkbookInfo(archive: ZipArchive, maxPendingChars: number): Promise<WorkbookInfo> {
  const rootRels = archive.has('_rels/.rels')
    ? await readRelationships(archive, '_rels/.rels', maxPendingChars)
    : new Map<string, Relationship>();
  const office = [...rootRels.values()].find((rel) => REL_OFFICE_DOCUMENT.test(rel.type));
  const workbookPart = office ? resolvePartPath('', office.target) : 'xl/workbook.xml';
  if (!archive.has(workbookPart)) {
    throw new BadFileError('unreadable_file', `The file is not an XLSX workbook: it has no ${workbookPart}.`);
  }

  let date1904 = false;
  const declared: { name: string; relId: string; hidden: boolean }[] = [];
  await parseXmlPart(
    workbookPart,
    archive.read(workbookPart),
    {
      open(element) {
        if (element.name === 'workbookPr') date1904 = isTrue(element.attribute('date1904'));
        else if (element.name === 'sheet') {
          if (declared.length >= MAX_ITEMS) throw tooMany(workbookPart, 'sheets');
          const state = element.attribute('state');
          declared.push({
            name: element.attribute('name') ?? `Sheet${declared.length + 1}`,
            relId: element.prefixedAttribute('id') ?? '',
            hidden: state === 'hidden' || state === 'veryHidden',
          });
        }
      },
    },
    maxPendingChars,
  );

  const relsPart = relationshipsPartOf(workbookPart);
  const rels = archive.has(relsPart) ? await readRelationships(archive, relsPart, maxPendingChars) : new Map<string, Relationship>();
  const target = (pattern: RegExp, fallback: string) => {
    const rel = [...rels.values()].find((candidate) => pattern.test(candidate.type));
    const part = rel ? resolvePartPath(workbookPart, rel.target) : fallback;
    return archive.has(part) ? part : null;
  };
  const sheets = declared.map(({ name, relId, hidden }) => {
    const rel = rels.get(relId);
    return { name, hidden, part: rel && REL_WORKSHEET.test(rel.type) ? resolvePartPath(workbookPart, rel.target) : null };
  });
  return {
    date1904,
    sheets,
    sharedStringsPart: target(REL_SHARED_STRINGS, 'xl/sharedStrings.xml'),
    stylesPart: target(REL_STYLES, 'xl/styles.xml'),
  };
}

/**
 * What each cell style (`s` attribute, an index into `cellXfs`) shows numbers as: built-in date formats
 * by id, custom ones (`numFmts`) by their format code.
 */
export async function readCellFormats(archive: ZipArchive, part: string, maxPendingChars: number): Promise<FormatKind[]> {
  const custom = new Map<number, FormatKind>();
  const styles: number[] = [];
  let inCellXfs = false;
  await parseXmlPart(
    part,
    archive.read(part),
    {
      open(element) {
        if (element.name === 'numFmt') {
          if (custom.size >= MAX_ITEMS) throw tooMany(part, 'number formats');
          custom.set(Number(element.attribute('numFmtId')), formatCodeKind(element.attribute('formatCode') ?? ''));
        } else if (element.name === 'cellXfs') inCellXfs = true;
        else if (element.name === 'xf' && inCellXfs) {
          if (styles.length >= MAX_ITEMS) throw tooMany(part, 'cell styles');
          styles.push(Number(element.attribute('numFmtId') ?? 0));
        }
      },
      close(name) {
        if (name === 'cellXfs') inCellXfs = false;
      },
    },
    maxPendingChars,
  );
  return styles.map((id) => custom.get(id) ?? builtinFormatKind(id));
}

/** A package relationships part: id → type and target. */
async function readRelationships(archive: ZipArchive, part: string, maxPendingChars: number): Promise<Map<string, Relationship>> {
  const rels = new Map<string, Relationship>();
  await parseXmlPart(
    part,
    archive.read(part),
    {
      open(element) {
        if (element.name !== 'Relationship' || element.attribute('TargetMode') === 'External') return;
        if (rels.size >= MAX_ITEMS) throw tooMany(part, 'relationships');
        const id = element.attribute('Id');
        const target = element.attribute('Target');
        if (id && target && !rels.has(id)) rels.set(id, { type: element.attribute('Type') ?? '', target });
      },
    },
    maxPendingChars,
  );
  return rels;
}

/** `xl/workbook.xml` → `xl/_rels/workbook.xml.rels`. */
function relationshipsPartOf(part: string): string {
  const dir = path.posix.dirname(part);
  return `${dir === '.' ? '' : `${dir}/`}_rels/${path.posix.basename(part)}.rels`;
}

/**
 * Zip entry a relationship target names, relative to the part that holds the relationship (or absolute
 * with a leading `/`): (`xl/workbook.xml`, `worksheets/sheet1.xml`) → `xl/worksheets/sheet1.xml`.
 */
function resolvePartPath(sourcePart: string, target: string): string {
  const cleaned = target.replace(/\\/g, '/');
  const joined = cleaned.startsWith('/') ? cleaned : path.posix.join(path.posix.dirname(sourcePart), cleaned);
  return path.posix.normalize(joined).replace(/^(\.\.\/|\/)+/, '');
}

const isTrue = (value: string | undefined) => value === '1' || value === 'true';

const tooMany = (part: string, what: string) =>
  new BadFileError('unreadable_file', `${part} lists more than ${MAX_ITEMS} ${what}; the workbook is damaged or hostile.`, { part });
