/**
 * The records of a legacy XLS workbook's BIFF stream (the `Workbook` stream of its OLE2 container, `Book`
 * for Excel 5/95), walked without parsing them: each is a 2-byte type, a 2-byte length and its body.
 */

/** Record types that each hold one cell with a value (BIFF5 and BIFF8). */
const ONE_CELL = new Set([
  0x0006, // FORMULA (its cached value)
  0x0203, // NUMBER
  0x027e, // RK
  0x00fd, // LABELSST
  0x0204, // LABEL
  0x00d6, // RSTRING
  0x0205, // BOOLERR
]);
/** MULRK: a row, a first column, 6 bytes per cell, a last column. */
const MULRK = 0x00bd;

/**
 * Cells with a value the stream's records hold, every sheet together: what a reader that loads the
 * workbook whole keeps in memory. Blank cells (BLANK, MULBLANK) are not counted: they are not kept.
 */
export function countCells(stream: Uint8Array): number {
  let cells = 0;
  for (let at = 0; at + 4 <= stream.length;) {
    const type = (stream[at] as number) | ((stream[at + 1] as number) << 8);
    const length = (stream[at + 2] as number) | ((stream[at + 3] as number) << 8);
    if (ONE_CELL.has(type)) cells++;
    else if (type === MULRK && length >= 6) cells += Math.floor((length - 6) / 6);
    at += 4 + length;
  }
  return cells;
}
