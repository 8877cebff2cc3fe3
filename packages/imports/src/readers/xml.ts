import { StringDecoder } from 'node:string_decoder';
import iconv from 'iconv-lite';
import { BadFileError } from '../errors';

/**
 * A start tag as the handlers see it: its local name (prefix dropped) and its attributes, read on demand
 * (nothing is allocated for attributes nobody asks for). Valid only during the handler call.
 */
export interface XmlElement {
  readonly name: string;
  readonly selfClosing: boolean;
  /** The attribute named `name` as written (`r`, `r:id`), entities decoded; undefined when absent. */
  attribute(name: string): string | undefined;
  /** The first prefixed attribute whose local name is `name` (`r:id`, whatever its prefix, for `id`). */
  prefixedAttribute(name: string): string | undefined;
}

/** Called as plain functions, never on the handlers object. */
export interface XmlHandlers {
  open?: (element: XmlElement) => void;
  /** Character data (text and CDATA), entities decoded, line ends normalised; possibly in several pieces. */
  text?: (text: string) => void;
  close?: (name: string) => void;
  /** Whether `text` wants the character data at this point (default: always); unwanted text is skipped unread. */
  wantsText?: () => boolean;
  /**
   * Reads a whole element itself, when it can: called at each `<` inside the root with the text scanned
   * and its position; returns the index after the element's end, or -1 to leave it to the scanner, tag by
   * tag (markup it does not expect), or `XML_NEEDS_MORE` when the element is cut by the end of the text
   * scanned (it is then offered again, whole, with the next piece: up to `maxPendingChars`, and not at the
   * end of the part). A fast path for a part's regular, repeated markup (a sheet's rows); it must not
   * change anything when it returns -1 or `XML_NEEDS_MORE`.
   */
  element?: (source: string, at: number) => number;
}

/** What `XmlHandlers.element` returns for an element cut by the end of the text scanned. */
export const XML_NEEDS_MORE = -2;

/** Code of the error for text longer than a part may hold between two tags. */
export const XML_VALUE_TOO_LARGE = 'xml_value_too_large';

/** `<!DOCTYPE` or `<!ENTITY` anywhere: the only way into entity expansion, refused outright. */
const DTD = /<!(DOCTYPE|ENTITY)/;
const DTD_CARRY = '<!DOCTYPE'.length - 1;

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const QUESTION = 0x3f;
const BANG = 0x21;
const EQUALS = 0x3d;
const DOUBLE_QUOTE = 0x22;
const SINGLE_QUOTE = 0x27;
const CR = 0x0d;

const isSpace = (code: number) => code === 0x20 || code === 0x0a || code === 0x09 || code === CR;
const NOT_SPACE = /[^ \t\r\n]/;
const LINE_END = /\r\n?/g;
const ATTRIBUTE_SPACE = /\r\n|[\t\n\r]/g;
/** Returned by a step that needs more input to finish its markup. */
const INCOMPLETE = -1;
/** Slots of the cache of element names (names recur: one string each, not one per tag). */
const NAME_SLOTS = 64;

/** The start tag being read: offsets into the text scanned, so attributes cost nothing until asked for. */
class StartTag implements XmlElement {
  name = '';
  selfClosing = false;
  source = '';
  count = 0;
  /** Per attribute: name start, name end, value start, value end. */
  offsets: number[] = [];

  constructor(private readonly part: string) {}

  attribute(name: string): string | undefined {
    const { offsets, source } = this;
    for (let k = 0; k < this.count * 4; k += 4) {
      const start = offsets[k] as number;
      if ((offsets[k + 1] as number) - start === name.length && source.startsWith(name, start)) return this.value(k);
    }
    return undefined;
  }

  prefixedAttribute(name: string): string | undefined {
    const { offsets, source } = this;
    for (let k = 0; k < this.count * 4; k += 4) {
      const end = offsets[k + 1] as number;
      const colon = source.indexOf(':', offsets[k]);
      if (colon >= 0 && colon < end && end - colon - 1 === name.length && source.startsWith(name, colon + 1)) return this.value(k);
    }
    return undefined;
  }

  private value(k: number): string {
    let value = this.source.slice(this.offsets[k + 2], this.offsets[k + 3]);
    if (value.includes('\r') || value.includes('\n') || value.includes('\t')) value = value.replace(ATTRIBUTE_SPACE, ' ');
    if (!value.includes('&')) return value;
    const decoded = decodeEntities(value);
    if (decoded === null) throw invalidXml(this.part);
    return decoded;
  }
}

/**
 * Streams one OOXML part through a small XML scanner written for it: decodes the part (UTF-8, or UTF-16
 * with a byte-order mark), refuses any DTD, and bounds what it holds between two pieces of markup (a tag,
 * comment or CDATA section longer than `maxPendingChars`), so a hostile part cannot grow memory; the
 * handlers bound the text they keep. It checks what a reader relies on — tags nest and close, one root,
 * attributes quoted, entities the five XML predefines or character references, no text outside the root —
 * and skips, unread, the text no handler wants. Errors name the part.
 */
export class XmlPartParser {
  private decoder: { write(chunk: Buffer): string; end(): string | undefined } | null = null;
  private carry = '';
  /** Text not scanned yet: the start of a tag (or entity) cut by the end of the previous piece. */
  private rest = '';
  private readonly tag: StartTag;
  private readonly open: ((element: XmlElement) => void) | undefined;
  private readonly text: ((text: string) => void) | undefined;
  private readonly close: ((name: string) => void) | undefined;
  private readonly wantsText: (() => boolean) | undefined;
  private readonly element: ((source: string, at: number) => number) | undefined;
  /** Qualified and local names of the open elements. */
  private readonly stack: string[] = [];
  private readonly localStack: string[] = [];
  private depth = 0;
  private rootSeen = false;
  private readonly names: (string | undefined)[] = new Array<string | undefined>(NAME_SLOTS);
  private readonly localNames: string[] = new Array<string>(NAME_SLOTS);

  constructor(
    readonly part: string,
    handlers: XmlHandlers,
    private readonly maxPendingChars: number,
  ) {
    this.open = handlers.open;
    this.text = handlers.text;
    this.close = handlers.close;
    this.wantsText = handlers.wantsText;
    this.element = handlers.element;
    this.tag = new StartTag(part);
  }

  write(bytes: Buffer): void {
    if (!this.decoder) this.decoder = xmlDecoder(bytes);
    this.feed(this.decoder.write(bytes), false);
  }

  /** Ends the part: a truncated document fails here. */
  end(): void {
    this.feed(this.decoder?.end() ?? '', true);
    if (this.rest !== '' || this.depth > 0 || !this.rootSeen) this.invalid();
  }

  private feed(text: string, final: boolean): void {
    if (text !== '') {
      // A declaration may straddle two pieces: test the seam, then the piece.
      if (this.carry !== '' && DTD.test(this.carry + text.slice(0, DTD_CARRY))) throw this.dtdError();
      if (text.includes('<!') && DTD.test(text)) throw this.dtdError();
      this.carry = text.length >= DTD_CARRY ? text.slice(-DTD_CARRY) : (this.carry + text).slice(-DTD_CARRY);
    }
    const source = this.rest === '' ? text : this.rest + text;
    const scanned = this.scan(source, final);
    this.rest = scanned >= source.length ? '' : source.slice(scanned);
    if (this.rest.length > this.maxPendingChars) {
      throw new BadFileError(
        XML_VALUE_TOO_LARGE,
        `${this.part} holds a value or tag longer than ${this.maxPendingChars} characters; the workbook is damaged or hostile.`,
        { part: this.part },
      );
    }
  }

  /** Reads markup and text up to the first piece that needs more input; returns where it stopped. */
  private scan(source: string, final: boolean): number {
    const length = source.length;
    let at = 0;
    while (at < length) {
      if (source.charCodeAt(at) !== LT) {
        const next = source.indexOf('<', at);
        if (next < 0) return final ? this.characters(source, at, length) : this.partialText(source, at);
        at = this.characters(source, at, next);
        continue;
      }
      if (this.element !== undefined && this.depth > 0) {
        const end = this.element(source, at);
        if (end >= 0) {
          at = end;
          continue;
        }
        // Read whole with the next piece, rather than tag by tag here and there.
        if (end === XML_NEEDS_MORE && !final && length - at <= this.maxPendingChars) return at;
      }
      const next = this.markup(source, at);
      if (next === INCOMPLETE) return at;
      at = next;
    }
    return at;
  }

  /** Text cut by the end of the piece: handed on up to a character reference or CR it may cut. */
  private partialText(source: string, start: number): number {
    let end = source.length;
    if (this.depth > 0 && this.textWanted()) {
      const amp = source.lastIndexOf('&');
      if (amp >= start && source.indexOf(';', amp) < 0) end = amp;
      if (end > start && source.charCodeAt(end - 1) === CR) end--;
    }
    return this.characters(source, start, end);
  }

  private textWanted(): boolean {
    return this.text !== undefined && (this.wantsText === undefined || this.wantsText());
  }

  private characters(source: string, start: number, end: number): number {
    if (start === end) return end;
    if (this.depth === 0) {
      if (NOT_SPACE.test(source.slice(start, end))) this.invalid();
      return end;
    }
    if (!this.textWanted()) return end;
    (this.text as (text: string) => void)(xmlText(source.slice(start, end), this.part));
    return end;
  }

  /** One piece of markup at `at` (a `<`); returns the index after it, or INCOMPLETE. */
  private markup(source: string, at: number): number {
    if (at + 1 >= source.length) return INCOMPLETE;
    const kind = source.charCodeAt(at + 1);
    if (kind === SLASH) {
      const gt = source.indexOf('>', at + 2);
      if (gt < 0) return INCOMPLETE;
      let end = gt;
      while (end > at + 2 && isSpace(source.charCodeAt(end - 1))) end--;
      this.endTag(source, at + 2, end);
      return gt + 1;
    }
    if (kind === QUESTION) {
      const end = source.indexOf('?>', at + 2);
      return end < 0 ? INCOMPLETE : end + 2;
    }
    if (kind === BANG) {
      if (source.startsWith('<!--', at)) {
        const end = source.indexOf('-->', at + 4);
        return end < 0 ? INCOMPLETE : end + 3;
      }
      if (source.startsWith('<![CDATA[', at)) {
        const end = source.indexOf(']]>', at + 9);
        if (end < 0) return INCOMPLETE;
        if (this.depth === 0) this.invalid();
        if (end > at + 9 && this.textWanted()) {
          const text = source.slice(at + 9, end);
          (this.text as (text: string) => void)(text.includes('\r') ? text.replace(LINE_END, '\n') : text);
        }
        return end + 3;
      }
      // A DTD was refused before scanning; anything else starting `<!` is not XML, once it can be told.
      if (source.length - at < 9) return INCOMPLETE;
      this.invalid();
    }
    return this.startTag(source, at);
  }

  private startTag(source: string, at: number): number {
    const length = source.length;
    // No `>` at all: the tag goes on in the next piece (a `>` inside a value is found below).
    if (source.indexOf('>', at + 1) < 0) return INCOMPLETE;
    let p = at + 1;
    while (p < length) {
      const code = source.charCodeAt(p);
      if (code === GT || code === SLASH || isSpace(code)) break;
      p++;
    }
    if (p === at + 1) this.invalid();
    const nameEnd = p;
    const tag = this.tag;
    const offsets = tag.offsets;
    let count = 0;
    let selfClosing = false;
    for (;;) {
      const before = p;
      while (p < length && isSpace(source.charCodeAt(p))) p++;
      if (p >= length) return INCOMPLETE;
      let code = source.charCodeAt(p);
      if (code === GT) {
        p++;
        break;
      }
      if (code === SLASH) {
        if (p + 1 >= length) return INCOMPLETE;
        if (source.charCodeAt(p + 1) !== GT) this.invalid();
        selfClosing = true;
        p += 2;
        break;
      }
      if (p === before) this.invalid(); // attributes are separated by white space
      const attributeStart = p;
      while (p < length) {
        code = source.charCodeAt(p);
        if (code === EQUALS || isSpace(code) || code === GT || code === SLASH || code === LT) break;
        p++;
      }
      const attributeEnd = p;
      while (p < length && isSpace(source.charCodeAt(p))) p++;
      if (p >= length) return INCOMPLETE;
      if (source.charCodeAt(p) !== EQUALS || attributeEnd === attributeStart) this.invalid();
      p++;
      while (p < length && isSpace(source.charCodeAt(p))) p++;
      if (p >= length) return INCOMPLETE;
      const quote = source.charCodeAt(p);
      if (quote !== DOUBLE_QUOTE && quote !== SINGLE_QUOTE) this.invalid();
      const valueEnd = source.indexOf(quote === DOUBLE_QUOTE ? '"' : "'", p + 1);
      if (valueEnd < 0) return INCOMPLETE;
      const k = count * 4;
      offsets[k] = attributeStart;
      offsets[k + 1] = attributeEnd;
      offsets[k + 2] = p + 1;
      offsets[k + 3] = valueEnd;
      count++;
      p = valueEnd + 1;
    }
    if (this.depth === 0) {
      if (this.rootSeen) this.invalid();
      this.rootSeen = true;
    }
    const slot = this.nameSlot(source, at + 1, nameEnd);
    const qualified = this.names[slot] as string;
    const local = this.localNames[slot] as string;
    tag.name = local;
    tag.selfClosing = selfClosing;
    tag.source = source;
    tag.count = count;
    this.open?.(tag);
    if (selfClosing) this.close?.(local);
    else {
      this.stack[this.depth] = qualified;
      this.localStack[this.depth] = local;
      this.depth++;
    }
    return p;
  }

  private endTag(source: string, start: number, end: number): void {
    if (this.depth === 0) this.invalid();
    const open = this.stack[this.depth - 1] as string;
    if (end - start !== open.length || !source.startsWith(open, start)) this.invalid();
    this.depth--;
    this.close?.(this.localStack[this.depth] as string);
  }

  /** The cache slot holding the element name at `start`…`end` (and its local name), filled if new. */
  private nameSlot(source: string, start: number, end: number): number {
    const slot = (source.charCodeAt(start) * 7 + (end - start)) & (NAME_SLOTS - 1);
    const cached = this.names[slot];
    if (cached !== undefined && cached.length === end - start && source.startsWith(cached, start)) return slot;
    const name = source.slice(start, end);
    const colon = name.indexOf(':');
    if (colon === 0 || colon === name.length - 1) this.invalid();
    this.names[slot] = name;
    this.localNames[slot] = colon < 0 ? name : name.slice(colon + 1);
    return slot;
  }

  private invalid(): never {
    throw invalidXml(this.part);
  }

  private dtdError() {
    return new BadFileError(
      'forbidden_dtd',
      `${this.part} contains a <!DOCTYPE> or <!ENTITY> declaration, which a workbook never needs; the file is refused.`,
      { part: this.part },
    );
  }
}

/** The five entities XML predefines. */
function predefined(name: string): string | undefined {
  switch (name) {
    case 'amp':
      return '&';
    case 'lt':
      return '<';
    case 'gt':
      return '>';
    case 'quot':
      return '"';
    case 'apos':
      return "'";
    default:
      return undefined;
  }
}
const DIGITS = /^[0-9]+$/;
const HEX_DIGITS = /^[0-9a-fA-F]+$/;

/** A character XML 1.0 allows. */
const isXmlChar = (code: number) =>
  code === 0x9 ||
  code === 0xa ||
  code === 0xd ||
  (code >= 0x20 && code <= 0xd7ff) ||
  (code >= 0xe000 && code <= 0xfffd) ||
  (code >= 0x10000 && code <= 0x10ffff);

const invalidXml = (part: string) => new BadFileError('invalid_xml', `${part} is not well-formed XML.`, { part });

/**
 * Character data as XML means it: line ends normalised to LF, then entity and character references
 * replaced. Any other reference (no DTD may define one) fails the part (`invalid_xml`).
 */
export function xmlText(text: string, part: string): string {
  const lines = text.includes('\r') ? text.replace(LINE_END, '\n') : text;
  if (!lines.includes('&')) return lines;
  const decoded = decodeEntities(lines);
  if (decoded === null) throw invalidXml(part);
  return decoded;
}

/** Text with its entity and character references replaced; null when it has any other. */
function decodeEntities(text: string): string | null {
  let decoded = '';
  let from = 0;
  for (let amp = text.indexOf('&'); amp >= 0; amp = text.indexOf('&', from)) {
    const semicolon = text.indexOf(';', amp + 1);
    if (semicolon < 0 || semicolon - amp > 10) return null;
    const reference = text.slice(amp + 1, semicolon);
    let replacement = predefined(reference);
    if (replacement === undefined) {
      const hex = reference.startsWith('#x');
      const digits = reference.slice(hex ? 2 : 1);
      if (!reference.startsWith('#') || digits === '' || !(hex ? HEX_DIGITS : DIGITS).test(digits)) return null;
      const code = Number.parseInt(digits, hex ? 16 : 10);
      if (!isXmlChar(code)) return null;
      replacement = String.fromCodePoint(code);
    }
    decoded += text.slice(from, amp) + replacement;
    from = semicolon + 1;
  }
  return decoded + text.slice(from);
}

/** Decoder for a part, from its first bytes: UTF-16 by byte-order mark (or `<?` in UTF-16), else UTF-8. */
function xmlDecoder(head: Buffer) {
  const b0 = head[0];
  const b1 = head[1];
  if ((b0 === 0xff && b1 === 0xfe) || (b0 === 0x3c && b1 === 0x00)) return iconv.getDecoder('utf-16le');
  if ((b0 === 0xfe && b1 === 0xff) || (b0 === 0x00 && b1 === 0x3c)) return iconv.getDecoder('utf-16be');
  // UTF-8, its byte-order mark (if any) dropped: it would be text before the root. (string_decoder rather
  // than TextDecoder: in the worker's thread, with its flags, TextDecoder took 3× as long on a sheet.)
  const decoder = new StringDecoder('utf8');
  let first = true;
  return {
    write(chunk: Buffer) {
      const text = decoder.write(chunk);
      if (!first || text === '') return text;
      first = false;
      return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    },
    end: () => decoder.end(),
  };
}

/** Parses a whole part from its chunks. */
export async function parseXmlPart(
  part: string,
  chunks: AsyncIterable<Buffer>,
  handlers: XmlHandlers,
  maxPendingChars: number,
): Promise<void> {
  const parser = new XmlPartParser(part, handlers, maxPendingChars);
  for await (const chunk of chunks) parser.write(chunk);
  parser.end();
}
