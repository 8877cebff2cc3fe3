import { StringDecoder } from 'node:string_decoder';
import iconv from 'iconv-lite';
import { SaxesParser } from 'saxes';
import { BadFileError } from '../errors';

/**
 * An element as the handlers see it: its local name (prefix dropped) and its attributes (no prototype).
 * Valid only during the handler call.
 */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  selfClosing: boolean;
}

/** Called as plain functions, never on the handlers object. */
export interface XmlHandlers {
  open?: (element: XmlElement) => void;
  /** Character data (text and CDATA), entities decoded. */
  text?: (text: string) => void;
  close?: (name: string) => void;
}

/** Local name of a qualified XML name: `x:row` → `row`. */
export const localName = (name: string) => {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
};

/** Code of the error for text longer than a part may hold between two tags. */
export const XML_VALUE_TOO_LARGE = 'xml_value_too_large';

/** `<!DOCTYPE` or `<!ENTITY` anywhere: the only way into entity expansion, refused outright. */
const DTD = /<!(DOCTYPE|ENTITY)/;
const DTD_CARRY = '<!DOCTYPE'.length - 1;

/**
 * Streams one OOXML part through saxes: decodes it (UTF-8, or UTF-16 with a byte-order mark), refuses any
 * DTD, and bounds the text saxes may accumulate between two events (a value or tag longer than
 * `maxPendingChars`), so a hostile part cannot grow memory. Errors name the part.
 */
export class XmlPartParser {
  private readonly parser = new SaxesParser({ position: false });
  private decoder: { write(chunk: Buffer): string; end(): string | undefined } | null = null;
  private carry = '';
  private pending = 0;
  private inHandler = false;

  constructor(
    readonly part: string,
    handlers: XmlHandlers,
    private readonly maxPendingChars: number,
  ) {
    const { open, text, close } = handlers;
    // One element object, refilled for each tag: handlers read it, never keep it.
    const element: XmlElement = { name: '', attributes: Object.create(null) as Record<string, string>, selfClosing: false };
    // `inHandler` stays true when a handler throws, so `guard` passes its error on unchanged.
    this.parser.on('opentag', (tag) => {
      this.pending = 0;
      if (!open) return;
      element.name = localName(tag.name);
      element.attributes = tag.attributes as Record<string, string>;
      element.selfClosing = tag.isSelfClosing;
      this.inHandler = true;
      open(element);
      this.inHandler = false;
    });
    this.parser.on('closetag', (tag) => {
      this.pending = 0;
      if (!close) return;
      this.inHandler = true;
      close(localName(tag.name));
      this.inHandler = false;
    });
    const onText = (chunk: string) => {
      this.pending = 0;
      if (!text) return;
      this.inHandler = true;
      text(chunk);
      this.inHandler = false;
    };
    this.parser.on('text', onText);
    this.parser.on('cdata', onText);
    this.parser.on('doctype', () => {
      throw this.dtdError();
    });
  }

  write(bytes: Buffer): void {
    if (!this.decoder) this.decoder = xmlDecoder(bytes);
    this.feed(this.decoder.write(bytes));
  }

  /** Ends the part: a truncated document fails here. */
  end(): void {
    if (this.decoder) this.feed(this.decoder.end() ?? '');
    this.guard(() => this.parser.close());
  }

  private feed(text: string): void {
    if (text === '') return;
    // A declaration may straddle two pieces: test the seam, then the piece.
    if (this.carry !== '' && DTD.test(this.carry + text.slice(0, DTD_CARRY))) throw this.dtdError();
    if (text.includes('<!') && DTD.test(text)) throw this.dtdError();
    this.carry = text.length >= DTD_CARRY ? text.slice(-DTD_CARRY) : (this.carry + text).slice(-DTD_CARRY);
    this.pending += text.length;
    this.guard(() => this.parser.write(text));
    if (this.pending > this.maxPendingChars) {
      throw new BadFileError(
        XML_VALUE_TOO_LARGE,
        `${this.part} holds a value or tag longer than ${this.maxPendingChars} characters; the workbook is damaged or hostile.`,
        { part: this.part },
      );
    }
  }

  /** Runs a saxes call, turning its well-formedness errors into a bad-file error naming the part. */
  private guard(run: () => void): void {
    try {
      run();
    } catch (error) {
      if (error instanceof BadFileError) throw error;
      if (this.inHandler) {
        // Not the XML's fault (a disk error, say): left as it is, so the import is retried.
        this.inHandler = false;
        throw error;
      }
      throw new BadFileError('invalid_xml', `${this.part} is not well-formed XML.`, { part: this.part }, { cause: error });
    }
  }

  private dtdError() {
    return new BadFileError(
      'forbidden_dtd',
      `${this.part} contains a <!DOCTYPE> or <!ENTITY> declaration, which a workbook never needs; the file is refused.`,
      { part: this.part },
    );
  }
}

/** Decoder for a part, from its first bytes: UTF-16 by byte-order mark (or `<?` in UTF-16), else UTF-8. */
function xmlDecoder(head: Buffer) {
  const b0 = head[0];
  const b1 = head[1];
  if ((b0 === 0xff && b1 === 0xfe) || (b0 === 0x3c && b1 === 0x00)) return iconv.getDecoder('utf-16le');
  if ((b0 === 0xfe && b1 === 0xff) || (b0 === 0x00 && b1 === 0x3c)) return iconv.getDecoder('utf-16be');
  // UTF-8, its byte-order mark (if any) dropped: saxes would take it for text before the root.
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
