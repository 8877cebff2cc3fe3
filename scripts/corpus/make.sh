#!/usr/bin/env bash
# Rebuilds the reader corpus, apps/worker/test/corpus/: files written by real office programs, not by the
# importer's code. Run it by hand after changing books.py (tests and CI only read the committed files):
#
#   scripts/corpus/make.sh
#
# Needs the Debian packages libreoffice-calc-nogui, gnumeric, python3-openpyxl, python3-xlsxwriter and
# python3-xlwt. The python libraries are those of the system python (/usr/bin/python3). Writes VERSIONS.md
# next to the files with each program's version.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$(cd "$HERE/../.." && pwd)/apps/worker/test/corpus"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
PYTHON=/usr/bin/python3
# A LibreOffice profile of its own, so that a running LibreOffice or the user's settings change nothing.
SOFFICE=(soffice "-env:UserInstallation=file://$WORK/profile" --headless)
# LibreOffice's CSV filter options: separator, quote, character set (76 UTF-8, 1 Windows-1252, 65535
# UTF-16 LE with a byte-order mark), first line, column formats, language, quoted fields as text, detect
# special numbers, save cell contents as shown, export formulas, remove spaces, sheet to export (2: the
# companies; the first sheet is the hidden list sheet).
lo_text() { echo "Text - txt - csv (StarCalc):$1,34,$2,1,,0,false,true,true,false,false,2"; }

mkdir -p "$OUT"
rm -f "$OUT"/*.xlsx "$OUT"/*.xls "$OUT"/*.csv "$OUT"/*.txt
mkdir -p "$WORK/src" "$WORK/lo"

# openpyxl, XlsxWriter and xlwt write their files directly; the sources for LibreOffice and Gnumeric too.
"$PYTHON" "$HERE/books.py" "$OUT" "$WORK/src"

# LibreOffice names what it writes after its input: copy each source under the name it should end with.
cp "$WORK/src/source.xlsx" "$WORK/lo/libreoffice.xlsx"
cp "$WORK/src/source-1904.xlsx" "$WORK/lo/libreoffice-1904.xlsx"
cp "$WORK/src/referentiel.xlsx" "$WORK/lo/libreoffice-referentiel.xlsx"
"${SOFFICE[@]}" --convert-to 'xlsx:Calc MS Excel 2007 XML' --outdir "$OUT" \
  "$WORK/lo/libreoffice.xlsx" "$WORK/lo/libreoffice-1904.xlsx" "$WORK/lo/libreoffice-referentiel.xlsx"
"${SOFFICE[@]}" --convert-to 'xls:MS Excel 97' --outdir "$OUT" "$WORK/lo/libreoffice.xlsx" "$WORK/lo/libreoffice-1904.xlsx"

csv() { # name extension separator charset
  cp "$WORK/src/source.xlsx" "$WORK/lo/$1.xlsx"
  "${SOFFICE[@]}" --convert-to "$2:$(lo_text "$3" "$4")" --outdir "$WORK/lo" "$WORK/lo/$1.xlsx"
  mv "$WORK/lo/$1-Entreprises.$2" "$OUT/$1.$2"
}
csv libreoffice-utf8-semicolon csv 59 76
csv libreoffice-windows-1252-semicolon csv 59 1
csv libreoffice-utf16-tab txt 9 65535 # "Unicode text"

# Gnumeric computes the formulas (--recalc) and writes XLSX, BIFF8 and CSV (comma, CRLF, UTF-8).
ssconvert --recalc --export-type=Gnumeric_Excel:xlsx2 "$WORK/src/source.xlsx" "$OUT/gnumeric.xlsx"
ssconvert --recalc --export-type=Gnumeric_Excel:excel_biff8 "$WORK/src/source.xlsx" "$OUT/gnumeric.xls"
ssconvert --recalc --export-type=Gnumeric_stf:stf_assistant -O 'sheet=Entreprises separator=, eol=windows format=automatic' \
  "$WORK/src/source.xlsx" "$OUT/gnumeric-comma-crlf.csv"

module_version() { "$PYTHON" -c "import $1; print($1.$2)"; }
cat >"$OUT/VERSIONS.md" <<EOF
# Programs that wrote this corpus

Written by \`scripts/corpus/make.sh\` (with \`scripts/corpus/books.py\`) on $(date -u +%Y-%m-%d); see
apps/worker/test/corpus.test.ts for what each file must store.

| program | version |
|---|---|
| LibreOffice | $("${SOFFICE[@]}" --version | head -n 1) |
| Gnumeric (ssconvert) | $(ssconvert --version | head -n 1) |
| Python | $("$PYTHON" --version) |
| openpyxl | $(module_version openpyxl __version__) |
| XlsxWriter | $(module_version xlsxwriter __version__) |
| xlwt | $(module_version xlwt __VERSION__) |

| file | written by |
|---|---|
| openpyxl.xlsx, openpyxl-1904.xlsx | openpyxl (no formula results: values only) |
| xlsxwriter.xlsx, xlsxwriter-1904-constant-memory.xlsx | XlsxWriter (formulas with results, human headers; inline strings in constant-memory mode) |
| xlwt.xls, xlwt-1904.xls | xlwt, BIFF8 (values only) |
| libreoffice.xlsx, libreoffice-1904.xlsx, libreoffice.xls, libreoffice-1904.xls | LibreOffice, from an openpyxl workbook with formulas |
| libreoffice-utf8-semicolon.csv, libreoffice-windows-1252-semicolon.csv, libreoffice-utf16-tab.txt | LibreOffice's CSV filter, from the same workbook |
| libreoffice-referentiel.xlsx | LibreOffice: categories and subcategories, one sheet each |
| gnumeric.xlsx, gnumeric.xls, gnumeric-comma-crlf.csv | Gnumeric's ssconvert, from the same workbook |
EOF
ls -l "$OUT"
