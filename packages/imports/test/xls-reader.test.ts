/**
 * The legacy XLS reader from the TypeScript sources (its thread run through tsx): values, the cell count
 * taken before parsing (MAX_XLS_CELLS), the thread's heap limit (XLS_MEMORY_MB) and files that are OLE2
 * documents but no workbook. apps/worker/test/readers-xls.test.ts runs the same through the compiled worker.
 */
import { CFB, toXls, xlsWithFormula, xlsWithNumberRows } from '@importer/testing';
import { countCells } from '../src/readers/biff';
import { cleanUp, readAll, rejection } from './read';

afterAll(cleanUp);

const header = () => toXls([{ name: 'Feuil1', rows: [['id', 'n']] }]);

describe('legacy XLS in a thread', () => {
  it('reads numbers, booleans, text, dates and a formula’s cached value', async () => {
    const rows = [
      ['id', 'actif', 'cp', 'le'],
      [7, true, '01000', { t: 'n', v: 40617, z: 'dd/mm/yyyy' }],
      [12.5, false, 'x', null],
    ];
    const { source, records } = await readAll(xlsWithFormula(toXls([{ name: 'S', rows }]), 2, 0), 'xls');
    expect(source.headers).toEqual(['id', 'actif', 'cp', 'le']);
    expect(records).toEqual([
      { row: 2, cells: [7, true, '01000', '2011-03-15'] },
      { row: 3, cells: [12.5, false, 'x'] },
    ]);
    expect(source.progress()).toBe(1);
  });

  it('counts the cells of the BIFF records, a MULRK as the cells it holds, blanks not at all', () => {
    const xls = xlsWithNumberRows(
      toXls([
        { name: 'A', rows: [['a', null, 'b']] },
        { name: 'B', rows: [[1, true]] },
      ]),
      1,
      3,
      50,
    );
    const stream = CFB.find(CFB.read(xls, { type: 'buffer' }), 'Workbook')!.content;
    expect(countCells(stream)).toBe(2 + 2 + 3 * 50);
  });

  it('fails a workbook over MAX_XLS_CELLS before parsing it', async () => {
    const error = await rejection(readAll(xlsWithNumberRows(header(), 1, 10, 100), 'xls', { limits: { maxXlsCells: 1_000 } }));
    expect(error).toMatchObject({
      code: 'too_many_cells',
      message:
        'The workbook holds 1,002 cells; at most 1,000 can be read from an XLS file (MAX_XLS_CELLS). Save it as XLSX or CSV, which have no such limit.',
      details: { cells: 1_002, maxCells: 1_000 },
    });
  });

  it('fails a workbook that needs more heap than XLS_MEMORY_MB, and the process goes on', async () => {
    const error = await rejection(readAll(xlsWithNumberRows(header(), 1, 500, 200), 'xls', { limits: { xlsMemoryMb: 24 } }));
    expect(error).toMatchObject({ code: 'file_too_complex', details: { xlsMemoryMb: 24 } });
    const { records } = await readAll(header(), 'xls');
    expect(records).toEqual([]);
  });

  it('fails an OLE2 document that holds no workbook, and a damaged container', async () => {
    const container = CFB.utils.cfb_new();
    CFB.utils.cfb_add(container, 'WordDocument', Buffer.from('not a workbook'));
    const word = Buffer.from(CFB.write(container, { type: 'buffer' }));
    expect(await rejection(readAll(word, 'xls'))).toMatchObject({
      code: 'unreadable_file',
      message: 'The file is an Office document without a workbook in it, not an XLS workbook.',
    });
    const damaged = Buffer.concat([word.subarray(0, 512), Buffer.alloc(100, 0xff)]);
    const error = await rejection(readAll(damaged, 'xls'));
    expect(error).toMatchObject({ code: 'unreadable_file' });
    // In the product's words; SheetJS's own message is the cause, for the worker's log.
    expect(error).toMatchObject({ message: 'The workbook cannot be read: it is damaged, or not an Excel 97–2003 (.xls) workbook.' });
    expect((error as Error).cause).toBeInstanceOf(Error);
  });
});
