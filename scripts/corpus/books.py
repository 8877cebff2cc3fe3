"""
Writes the workbooks of the reader corpus with the Python office libraries (openpyxl, XlsxWriter, xlwt),
and the source workbooks LibreOffice and Gnumeric convert (see make.sh, which runs this with the system
python3: `python3 books.py <out dir> <work dir>`).

Every companies workbook holds the same six companies, typed the way people type them in a spreadsheet
program: SIRENs and postal codes as numbers, real dates and booleans, formulas where the program stores
their computed values, a hidden sheet of lists. What the importer must store for them is written, by hand,
in apps/worker/test/corpus.test.ts.
"""
import datetime as dt
import sys
from pathlib import Path

import openpyxl
import xlsxwriter
import xlwt
from openpyxl.utils.datetime import CALENDAR_MAC_1904

HEADERS = ['siren', 'siret', 'nom', 'nom_commercial', 'adresse', 'code_postal', 'ville_nom', 'naf_code',
           'naf_libelle', 'telephone', 'email_contact', 'site_web', 'is_active', 'date_creation']
# The headers a person types (matched through aliases, case and accents ignored).
HUMAN_HEADERS = ['SIREN', 'SIRET', 'Raison sociale', 'Enseigne', 'Adresse', 'CP', 'Ville', 'Code NAF',
                 'NAF libellé', 'Téléphone', 'Email', 'Site web', 'Actif', 'Date création']


class Formula:
    """A formula and the value it computes (written as the value where the program stores no result)."""

    def __init__(self, text, value):
        self.text = text
        self.value = value


class Date:
    """A date cell with its display format."""

    def __init__(self, value, fmt='DD/MM/YYYY'):
        self.value = value
        self.fmt = fmt


class Number:
    """A number cell with a display format (the postal code shown with its leading zero)."""

    def __init__(self, value, fmt):
        self.value = value
        self.fmt = fmt


# One row per company, in HEADERS order; row 2 of the sheet is COMPANIES[0]. Every text is in Windows-1252.
COMPANIES = [
    [732829320, Number(73282932000017, '0'), 'Boulangerie Martin', Formula('UPPER(C2)', 'BOULANGERIE MARTIN'),
     '3 place de la Halle', Number(1000, '00000'), 'Bourg-en-Bresse', '1071C',
     'Boulangerie et boulangerie-pâtisserie', '04 74 22 10 00', 'contact@boulangerie-martin.fr',
     'https://www.boulangerie-martin.fr', True, Date(dt.date(2011, 3, 15))],
    ['552 100 554', '55210055400013', 'Société Générale d’Ébénisterie', 'Œuvres & Cœurs', '12 € la place',
     75008, 'Paris', '31.09B', "Fabrication d'autres meubles et industries connexes de l'ameublement",
     '01 42 65 00 00', 'atelier@oeuvres-coeurs.fr', 'https://oeuvres-coeurs.fr/atelier?ref=annuaire', False,
     Date(dt.datetime(1999, 12, 31, 18, 45), 'DD/MM/YYYY HH:MM')],
    [402832109, None, 'Dupont; Fils & Cie, "Le Garage"', None, 'Bâtiment A\nEscalier 2\n5 rue des Lilas', '06000',
     'Nice', '45.20A', 'Entretien et réparation de véhicules automobiles légers', None, 'garage@dupont-fils.fr',
     None, None, Date(dt.date(2020, 2, 29))],
    [812345676, Number(81234567600124, '0'), 'Café « Le Zinc »', 'Le Zinc', "1 bis, rue de l'Église", 20090,
     'Ajaccio', '5630Z', 'Débits de boissons', '+33 4 95 00 00 00', 'bonjour@lezinc.fr', 'http://lezinc.fr',
     'oui', '01/07/2019'],
    [300123452, '30012345200017', 'Ets Lefèvre', None, None, 59000, 'Lille', None, None, None, None, None,
     False, Date(dt.date(1904, 1, 2))],
    [443061841, None, 'Coopérative Agricole du Léman', None, 'Route du Lac', Formula('74000+200', 74200),
     'Thonon-les-Bains', '01.11Z', 'Culture de céréales', '04 50 71 00 00', 'info@coop-leman.fr', None,
     Formula('1=1', True), Formula('DATE(1985,6,30)', Date(dt.date(1985, 6, 30)))],
]

# The hidden first sheet: lists a data-validation drop-down would point at.
LISTS = [['Codes NAF', 'Actif'], ['10.71C', 'oui'], ['31.09B', 'non'], ['45.20A', None]]

CATEGORIES = [
    ['nom', 'description', 'meta_description', 'ordre'],
    ['Alimentation', 'Commerces de bouche', 'Boulangeries, cafés et restaurants', 1],
    ['Artisanat', "Métiers d'art\net artisanat", None, 2],
    ['Auto & Moto', None, 'Garages et concessions', 3],
]
SUBCATEGORIES = [
    ['nom', 'categorie', 'description', 'meta_description', 'mots_cles', 'ordre', 'naf_codes'],
    ['Boulangerie', 'Alimentation', 'Pain et viennoiseries', None, 'pain; viennoiserie', 1, '1071C, 10.71D'],
    ['Débits de boissons', 'alimentation', None, 'Cafés et bars', None, 2, '5630Z'],
    ['Ébénisterie', 'Artisanat', None, None, 'meubles', None, '3109B'],
    ['Garages', 'AUTO & MOTO', 'Entretien et réparation', None, None, 1, '45.20A;45.20B'],
]

FIXED_TIME = dt.datetime(2026, 1, 1)


def plain(cell):
    """The value a program that stores no formula results is given instead."""
    if isinstance(cell, Formula):
        return plain(cell.value)
    return cell


# openpyxl ------------------------------------------------------------------------------------------------

def openpyxl_put(ws, row, col, cell, formulas):
    if isinstance(cell, Formula) and formulas:
        target = ws.cell(row=row, column=col, value=f'={cell.text}')
        if isinstance(cell.value, Date):
            target.number_format = cell.value.fmt
        return
    cell = plain(cell)
    if isinstance(cell, (Date, Number)):
        ws.cell(row=row, column=col, value=cell.value).number_format = cell.fmt
    else:
        ws.cell(row=row, column=col, value=cell)


def openpyxl_book(path, *, date1904=False, formulas=False, headers=HEADERS):
    """openpyxl stores no formula results: `formulas` is only for the source LibreOffice and Gnumeric compute."""
    wb = openpyxl.Workbook()
    wb.properties.created = wb.properties.modified = FIXED_TIME
    if date1904:
        wb.epoch = CALENDAR_MAC_1904
    lists = wb.active
    lists.title = 'Listes'
    lists.sheet_state = 'hidden'
    for r, values in enumerate(LISTS, start=1):
        for c, value in enumerate(values, start=1):
            lists.cell(row=r, column=c, value=value)
    ws = wb.create_sheet('Entreprises')
    wb.active = 1
    for c, name in enumerate(headers, start=1):
        ws.cell(row=1, column=c, value=name)
    for r, values in enumerate(COMPANIES, start=2):
        for c, cell in enumerate(values, start=1):
            if cell is not None:
                openpyxl_put(ws, r, c, cell, formulas)
    wb.save(path)


def openpyxl_referentiel(path):
    wb = openpyxl.Workbook()
    wb.properties.created = wb.properties.modified = FIXED_TIME
    wb.active.title = 'Catégories'
    for rows, ws in ((CATEGORIES, wb.active), (SUBCATEGORIES, wb.create_sheet('Sous-catégories'))):
        for r, values in enumerate(rows, start=1):
            for c, value in enumerate(values, start=1):
                if value is not None:
                    ws.cell(row=r, column=c, value=value)
    wb.save(path)


# XlsxWriter -----------------------------------------------------------------------------------------------

def xlsxwriter_book(path, *, date1904=False, constant_memory=False):
    """Formulas with their results, as Excel stores them; human headers; the hidden sheet first."""
    wb = xlsxwriter.Workbook(path, {'date_1904': date1904, 'constant_memory': constant_memory})
    wb.set_properties({'created': FIXED_TIME})
    formats = {}

    def fmt(code):
        if code not in formats:
            formats[code] = wb.add_format({'num_format': code})
        return formats[code]

    lists = wb.add_worksheet('Listes')
    ws = wb.add_worksheet('Entreprises')
    for r, values in enumerate(LISTS):
        for c, value in enumerate(values):
            if value is not None:
                lists.write(r, c, value)
    ws.activate()
    lists.hide()
    ws.write_row(0, 0, HUMAN_HEADERS)
    for r, values in enumerate(COMPANIES, start=1):
        for c, cell in enumerate(values):
            if cell is None:
                continue
            if isinstance(cell, Formula):
                value = cell.value
                if isinstance(value, Date):
                    serial = (value.value - (dt.date(1904, 1, 1) if date1904 else dt.date(1899, 12, 30))).days
                    ws.write_formula(r, c, f'={cell.text}', fmt(value.fmt), serial)
                else:
                    ws.write_formula(r, c, f'={cell.text}', None, value)
            elif isinstance(cell, Date):
                ws.write_datetime(r, c, cell.value if isinstance(cell.value, dt.datetime) else dt.datetime.combine(cell.value, dt.time()), fmt(cell.fmt))
            elif isinstance(cell, Number):
                ws.write_number(r, c, cell.value, fmt(cell.fmt))
            elif isinstance(cell, bool):
                ws.write_boolean(r, c, cell)
            elif isinstance(cell, int):
                ws.write_number(r, c, cell)
            else:
                ws.write_string(r, c, cell)
    wb.close()


# xlwt (BIFF8) ---------------------------------------------------------------------------------------------

def xlwt_book(path, *, date1904=False):
    """xlwt stores no formula results either: the values are written."""
    wb = xlwt.Workbook(encoding='utf-8')
    wb.dates_1904 = date1904
    ws = wb.add_sheet('Entreprises')
    lists = wb.add_sheet('Listes')
    lists.visibility = 1  # hidden
    for r, values in enumerate(LISTS):
        for c, value in enumerate(values):
            if value is not None:
                lists.write(r, c, value)
    styles = {}

    def style(code):
        if code not in styles:
            styles[code] = xlwt.easyxf(num_format_str=code)
        return styles[code]

    for c, name in enumerate(HEADERS):
        ws.write(0, c, name)
    for r, values in enumerate(COMPANIES, start=1):
        for c, cell in enumerate(values):
            cell = plain(cell)
            if cell is None:
                continue
            if isinstance(cell, (Date, Number)):
                ws.write(r, c, cell.value, style(cell.fmt))
            else:
                ws.write(r, c, cell)
    wb.save(path)


def main():
    out, work = Path(sys.argv[1]), Path(sys.argv[2])
    openpyxl_book(out / 'openpyxl.xlsx')
    openpyxl_book(out / 'openpyxl-1904.xlsx', date1904=True)
    xlsxwriter_book(out / 'xlsxwriter.xlsx')
    xlsxwriter_book(out / 'xlsxwriter-1904-constant-memory.xlsx', date1904=True, constant_memory=True)
    xlwt_book(out / 'xlwt.xls')
    xlwt_book(out / 'xlwt-1904.xls', date1904=True)
    # Sources for LibreOffice and Gnumeric, which compute the formulas when they load them.
    openpyxl_book(work / 'source.xlsx', formulas=True)
    openpyxl_book(work / 'source-1904.xlsx', formulas=True, date1904=True)
    openpyxl_referentiel(work / 'referentiel.xlsx')


if __name__ == '__main__':
    main()
