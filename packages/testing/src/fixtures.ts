import { crc32, deflateRawSync } from 'node:zlib';
import * as XLSX from '@e965/xlsx';
import Papa from 'papaparse';

/** Luhn check digit that makes `base + digit` valid. */
export function luhnDigit(base: string): string {
  for (let digit = 0; digit <= 9; digit++) {
    const candidate = `${base}${digit}`;
    let sum = 0;
    for (let i = 0; i < candidate.length; i++) {
      let value = candidate.charCodeAt(candidate.length - 1 - i) - 48;
      if (i % 2 === 1) {
        value *= 2;
        if (value > 9) value -= 9;
      }
      sum += value;
    }
    if (sum % 10 === 0) return String(digit);
  }
  throw new Error('unreachable');
}

/** The n-th valid SIREN, deterministic. */
export const sirenFor = (n: number) => {
  const base = String(100_000_00 + n).padStart(8, '0');
  return `${base}${luhnDigit(base)}`;
};

/** A valid SIRET of that SIREN. */
export const siretFor = (siren: string, establishment = 1) => {
  const base = `${siren}${String(establishment).padStart(4, '0')}`;
  return `${base}${luhnDigit(base)}`;
};

/** Column order of the FoxReviews companies export. */
export const COMPANY_HEADERS = [
  'siren',
  'siret',
  'nom',
  'nom_commercial',
  'adresse',
  'code_postal',
  'ville_nom',
  'naf_code',
  'naf_libelle',
  'telephone',
  'email_contact',
  'site_web',
  'is_active',
] as const;
export const CATEGORY_HEADERS = ['nom', 'description', 'meta_description', 'ordre'] as const;
export const SUBCATEGORY_HEADERS = ['nom', 'categorie', 'description', 'meta_description', 'mots_cles', 'ordre'] as const;

export type FixtureRow = Record<string, string | number | boolean | null>;

const NAF = ['6201Z', '47.11B', '5610A', '43.21A', '7022Z'];

/** The n-th company as a FoxReviews export would hold it (text cells). */
export function companyRow(n: number, overrides: FixtureRow = {}): FixtureRow {
  const siren = sirenFor(n);
  return {
    siren,
    siret: siretFor(siren),
    nom: `Société ${n}`,
    nom_commercial: `Enseigne ${n}`,
    adresse: `${(n % 200) + 1} rue de la République`,
    code_postal: String(1000 + (n % 90000)).padStart(5, '0'),
    ville_nom: `Ville ${n % 500}`,
    naf_code: NAF[n % NAF.length] ?? '6201Z',
    naf_libelle: 'Programmation informatique',
    telephone: `01 23 45 ${String(n % 100).padStart(2, '0')} 00`,
    email_contact: `contact${n}@example.fr`,
    site_web: `https://www.societe${n}.fr`,
    is_active: n % 7 === 0 ? 'non' : 'oui',
    ...overrides,
  };
}

export function toCsv(
  headers: readonly string[],
  rows: readonly FixtureRow[],
  options: { delimiter?: string; newline?: string } = {},
): string {
  return Papa.unparse(
    { fields: [...headers], data: rows.map((row) => headers.map((h) => row[h] ?? '')) },
    { delimiter: options.delimiter ?? ',', newline: options.newline ?? '\n' },
  );
}

/** An XLSX workbook (one sheet) holding the rows, typed as given: numbers stay numbers. */
export function toXlsx(headers: readonly string[], rows: readonly FixtureRow[], sheetName = 'Feuil1'): Buffer {
  const sheet = XLSX.utils.aoa_to_sheet([[...headers], ...rows.map((row) => headers.map((h) => row[h] ?? null))]);
  const book = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(book, sheet, sheetName);
  return XLSX.write(book, { type: 'buffer', bookType: 'xlsx' }) as Buffer;
}

/** One entry of a hand-built zip; the size and CRC it declares can be made to lie. */
export interface ZipEntrySpec {
  name: string;
  data: Buffer | string;
  /** Stored instead of deflated. */
  store?: boolean;
  /** Inflated size written in the headers (default: the true one). */
  declaredSize?: number;
  /** CRC-32 written in the headers (default: the true one). */
  crc?: number;
  /** Bytes written as the entry's deflated data as they are (to make it malformed). */
  compressed?: Buffer;
}

/** A zip archive built byte by byte (local headers, central directory, end record), for hostile fixtures. */
export function zipArchive(entries: readonly ZipEntrySpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const raw = Buffer.isBuffer(entry.data) ? entry.data : Buffer.from(entry.data);
    const data = entry.compressed ?? (entry.store ? raw : deflateRawSync(raw));
    const name = Buffer.from(entry.name);
    const size = entry.declaredSize ?? raw.length;
    const crc = entry.crc ?? crc32(raw);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(entry.store ? 0 : 8, 8);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(entry.store ? 0 : 8, 10);
    central.writeUInt32LE(crc >>> 0, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += local.length + name.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

const SPREADSHEET_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const REL_TYPE = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A cell of `sheetXml`: text becomes an inline string, a number a number; an object gives the raw parts. */
export type XlsxCell = string | number | boolean | null | { t?: string; s?: number; v?: string; f?: string; is?: string };

/** A worksheet part whose rows are numbered from 1 (or as `rowNumbers` says), cells placed from column A. */
export function sheetXml(
  rows: readonly (readonly XlsxCell[])[],
  options: { dimension?: string; rowNumbers?: readonly number[] } = {},
): string {
  const letters = (index: number) => {
    let name = '';
    for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
    return name;
  };
  const body = rows
    .map((cells, r) => {
      const rowNumber = options.rowNumbers?.[r] ?? r + 1;
      const xml = cells
        .map((cell, c) => {
          const ref = `${letters(c)}${rowNumber}`;
          if (cell === null) return '';
          if (typeof cell === 'string') return `<c r="${ref}" t="inlineStr"><is><t xml:space="preserve">${escapeXml(cell)}</t></is></c>`;
          if (typeof cell === 'number') return `<c r="${ref}"><v>${cell}</v></c>`;
          if (typeof cell === 'boolean') return `<c r="${ref}" t="b"><v>${cell ? 1 : 0}</v></c>`;
          const attrs = `${cell.t ? ` t="${cell.t}"` : ''}${cell.s !== undefined ? ` s="${cell.s}"` : ''}`;
          const inner = `${cell.f !== undefined ? `<f>${escapeXml(cell.f)}</f>` : ''}${cell.v !== undefined ? `<v>${escapeXml(cell.v)}</v>` : ''}${
            cell.is !== undefined ? `<is><t>${escapeXml(cell.is)}</t></is>` : ''
          }`;
          return `<c r="${ref}"${attrs}>${inner}</c>`;
        })
        .join('');
      return `<row r="${rowNumber}">${xml}</row>`;
    })
    .join('');
  const dimension = options.dimension ? `<dimension ref="${options.dimension}"/>` : '';
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="${SPREADSHEET_NS}" xmlns:r="${REL_NS}">${dimension}<sheetData>${body}</sheetData></worksheet>`;
}

export interface XlsxPackageSpec {
  /** `state`: written as the sheet's `state` attribute (`hidden`, `veryHidden`). */
  sheets: readonly { name: string; xml: string; state?: string }[];
  /** Shared strings, `<si>` elements' inner XML given as plain text (escaped here). */
  sharedStrings?: readonly string[];
  /** The whole styles part. */
  stylesXml?: string;
  date1904?: boolean;
  /** Replaces or adds parts by name (after the defaults are built). */
  parts?: Record<string, string | Buffer>;
  /** Changes an entry before it is zipped (to make its headers lie). */
  tamper?: (entry: ZipEntrySpec) => ZipEntrySpec;
}

/** A minimal XLSX package, part by part, so tests control every byte (hostile files included). */
export function xlsxPackage(spec: XlsxPackageSpec): Buffer {
  const parts = new Map<string, string | Buffer>();
  const sheetOverrides = spec.sheets
    .map(
      (_, i) =>
        `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`,
    )
    .join('');
  parts.set(
    '[Content_Types].xml',
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
      `<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
      `<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>${sheetOverrides}</Types>`,
  );
  parts.set(
    '_rels/.rels',
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
      `<Relationship Id="rId1" Type="${REL_TYPE}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
  );
  const sheets = spec.sheets
    .map(
      (sheet, i) =>
        `<sheet name="${escapeXml(sheet.name)}" sheetId="${i + 1}"${sheet.state ? ` state="${sheet.state}"` : ''} r:id="rId${i + 1}"/>`,
    )
    .join('');
  parts.set(
    'xl/workbook.xml',
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="${SPREADSHEET_NS}" xmlns:r="${REL_NS}">` +
      `${spec.date1904 ? '<workbookPr date1904="1"/>' : '<workbookPr/>'}<sheets>${sheets}</sheets></workbook>`,
  );
  const n = spec.sheets.length;
  const rels = spec.sheets.map(
    (_, i) => `<Relationship Id="rId${i + 1}" Type="${REL_TYPE}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`,
  );
  if (spec.sharedStrings) rels.push(`<Relationship Id="rId${n + 1}" Type="${REL_TYPE}/sharedStrings" Target="sharedStrings.xml"/>`);
  if (spec.stylesXml) rels.push(`<Relationship Id="rId${n + 2}" Type="${REL_TYPE}/styles" Target="styles.xml"/>`);
  parts.set(
    'xl/_rels/workbook.xml.rels',
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${rels.join('')}</Relationships>`,
  );
  spec.sheets.forEach((sheet, i) => parts.set(`xl/worksheets/sheet${i + 1}.xml`, sheet.xml));
  if (spec.sharedStrings) {
    const items = spec.sharedStrings.map((text) => `<si><t xml:space="preserve">${escapeXml(text)}</t></si>`).join('');
    parts.set(
      'xl/sharedStrings.xml',
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="${SPREADSHEET_NS}">${items}</sst>`,
    );
  }
  if (spec.stylesXml) parts.set('xl/styles.xml', spec.stylesXml);
  for (const [name, data] of Object.entries(spec.parts ?? {})) parts.set(name, data);
  const tamper = spec.tamper ?? ((entry: ZipEntrySpec) => entry);
  return zipArchive([...parts].map(([name, data]) => tamper({ name, data })));
}

/** Every text made of at most `maxPieces` of the given pieces, the empty text included (parsers checked against their patterns). */
export function everyTextOf(pieces: readonly string[], maxPieces: number): string[] {
  let texts = [''];
  const all = [''];
  for (let length = 1; length <= maxPieces; length++) {
    texts = texts.flatMap((text) => pieces.map((piece) => text + piece));
    all.push(...texts);
  }
  return all;
}
