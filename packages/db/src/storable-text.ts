/**
 * PostgreSQL's `text` and `jsonb` cannot hold the NUL character (U+0000): a parameter holding one fails its
 * whole statement. Text read from a file that is only stored to be shown again (row errors' values and
 * original cells, headers, messages) keeps every other character and has each NUL replaced by U+FFFD, the
 * replacement character; values written to business tables never hold one (a NUL in a mapped cell
 * rejects its row).
 */
export function storableText(text: string): string {
  return text.indexOf('\u0000') === -1 ? text : text.replaceAll('\u0000', '\uFFFD');
}

/** `storableText` of each element; the same array when none holds a NUL. */
export function storableTexts(texts: readonly string[]): string[] {
  return texts.some((text) => text.indexOf('\u0000') !== -1) ? texts.map(storableText) : (texts as string[]);
}
