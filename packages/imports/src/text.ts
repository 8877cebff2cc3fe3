/** Text folding shared by header matching, natural keys and slugs. Pure functions. */

const COMBINING_MARKS = /[\u0300-\u036f]/g;

/** Lower case, accents removed, surrounding spaces trimmed, inner runs of spaces collapsed. */
export function foldName(text: string): string {
  const ascii = asciiFolding(text);
  if (ascii !== null) return ascii;
  return text.normalize('NFD').replace(COMBINING_MARKS, '').toLowerCase().trim().replace(/\s+/g, ' ');
}

/**
 * `foldName` of ASCII text whose only white space is single inner spaces (most names): it has no accent to
 * remove and no space to trim or collapse, so folding is the lower case alone. Null for any other text.
 */
function asciiFolding(text: string): string | null {
  let upper = false;
  let space = true; // a space here would be a leading one, or the second of a run
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 128 || (code >= 9 && code <= 13)) return null;
    if (code === 32) {
      if (space) return null;
      space = true;
    } else {
      space = false;
      if (code >= 65 && code <= 90) upper = true;
    }
  }
  if (space && text.length > 0) return null;
  return upper ? text.toLowerCase() : text;
}

/** Header form: folded, and space, `_` and `-` made the same (`Code-Postal` = `code postal` = `code_postal`). */
export function foldHeader(text: string): string {
  return foldName(text).replace(/[\s_-]+/g, '_');
}

/** URL-safe slug: `Café & Restaurants` → `cafe-restaurants`. */
export function slugify(text: string): string {
  const slug = foldName(text)
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug.slice(0, 100) || 'item';
}
