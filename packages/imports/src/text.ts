/** Text folding shared by header matching, natural keys and slugs. Pure functions. */

const COMBINING_MARKS = /[\u0300-\u036f]/g;

/** Lower case, accents removed, surrounding spaces trimmed, inner runs of spaces collapsed. */
export function foldName(text: string): string {
  return text.normalize('NFD').replace(COMBINING_MARKS, '').toLowerCase().trim().replace(/\s+/g, ' ');
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
