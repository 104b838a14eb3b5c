"""Read a table file of any supported kind: detect the format and the text encoding."""

from __future__ import annotations

import codecs
import hashlib
import io
import re
import stat
import zipfile
from pathlib import Path

from duban.importer.columns import has_header
from duban.importer.documents import parse_docx, parse_pdf
from duban.importer.errors import TableError
from duban.importer.grid import unmerge
from duban.importer.html_text import html_table_grid, html_to_lines, looks_like_html
from duban.importer.layout import NOTE_RE
from duban.importer.own_ledger import refuse_own_ledger
from duban.importer.parse_sheet import parse_rows, read_csv, read_xlsx
from duban.importer.table import ParsedTable
from duban.importer.text_layouts import read_text

ZIP_MAGIC = b"PK\x03\x04"  # XLSX and DOCX are both zip packages
PDF_MAGIC = b"%PDF-"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls / .doc
MAX_BYTES = 64 * 2**20  # a published table is kilobytes; /dev/zero or a disk image is not one


def load_table(path: Path | str, layout: str | None = None) -> ParsedTable:
    """Parse a task table: text in one of the published layouts (or the web page itself, HTML),
    XLSX, CSV (UTF-8, with or without BOM, GB18030, or UTF-16 with BOM), Word (DOCX) or PDF.
    The kind comes from the content (zip package, %PDF), the suffix only where content cannot
    tell. `layout` forces a text layout (duban.importer.text_layouts.LAYOUTS) instead of
    detecting it. Raises TableError naming the file and line."""
    path = Path(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise TableError(path, None, f"cannot read the file: {kind}")
        if info.st_size > MAX_BYTES:
            raise TableError(
                path,
                None,
                f"{info.st_size / 2**20:.0f} MiB is far more than a task table "
                f"(at most {MAX_BYTES // 2**20} MiB): is it the right file?",
            )
        data = path.read_bytes()
    except OSError as exc:
        raise TableError(path, None, f"cannot read the file: {exc.strerror}") from exc
    if not data.strip():
        raise TableError(path, 1, "the file is empty")
    suffix = path.suffix.lower()
    if data.startswith(OLE_MAGIC) and suffix in (".xlsx", ".xlsm"):
        raise TableError(
            path, None, "a password-protected (encrypted) workbook: save it without a password"
        )
    if data.startswith(ZIP_MAGIC) or suffix in (".xlsx", ".xlsm", ".docx"):
        if _zip_kind(data, suffix) == "docx":
            table = parse_docx(path, layout)
        else:
            refuse_own_ledger(path)
            grid = read_xlsx(path)
            rows, headings = unmerge(grid)
            try:
                table = parse_rows(rows, path, "xlsx", headings)
            except TableError as exc:
                raise grid.locate(exc) from exc
            table.places = grid.places
    elif data.startswith(PDF_MAGIC) or suffix == ".pdf":
        table = parse_pdf(path, layout)
    elif data.startswith(OLE_MAGIC) and suffix in (".doc", ".wps"):
        raise TableError(
            path, None, "old binary Word (.doc) is not supported: save it as DOCX, PDF or text"
        )
    elif data.startswith(OLE_MAGIC) or suffix == ".xls":
        raise TableError(
            path, None, "old binary Excel (.xls) is not supported: save it as XLSX or CSV"
        )
    else:
        text = decode(data, path)
        if not text.strip():
            raise TableError(path, 1, "the file is empty")
        if suffix not in (".csv", ".tsv") and (
            suffix in (".html", ".htm") or looks_like_html(text)
        ):
            table = _parse_html(text, path, layout)
        elif suffix in (".csv", ".tsv") or _looks_like_csv(text):
            table = parse_rows(read_csv(text, path), path, "csv")
        else:
            table = read_text(text, path, layout)
    table.sha256 = hashlib.sha256(data).hexdigest()
    return table


def _parse_html(text: str, path: Path, layout: str | None) -> ParsedTable:
    """A page whose table has a row of column names is read by column, like a sheet; any other
    page as the text layout. Line numbers refer to the page's visible text either way."""
    lines = html_to_lines(text)
    grid = html_table_grid(text)
    if has_header(grid.plain()) and layout is None:
        rows, headings = unmerge(grid)
        table = parse_rows(rows, path, "html", headings)
        if not table.note:  # the closing note usually follows the table in a paragraph
            table.note = next((x for x in lines.splitlines() if NOTE_RE.match(x)), "")
    else:
        table = read_text(lines, path, layout)
    table.format = "html"
    return table


def decode(data: bytes, path: Path) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise TableError(
            path,
            data.count(b"\n", 0, nul) + 1,
            f"binary data (a NUL byte at byte {nul}): expected a text, CSV or XLSX table",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            bad = utf8_error.start
            raise TableError(
                path,
                data.count(b"\n", 0, bad) + 1,
                f"not UTF-8 or GB18030 text (undecodable byte 0x{data[bad]:02x} at byte {bad})",
            ) from None


def _zip_kind(data: bytes, suffix: str) -> str:
    """ "docx" for a Word package (word/document.xml), else "xlsx" (whose reader names what is
    wrong with a zip that is no workbook)."""
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, OSError):
        return "docx" if suffix == ".docx" else "xlsx"
    if "word/document.xml" in names:
        return "docx"
    if any(name.startswith("xl/") for name in names):
        return "xlsx"
    return "docx" if suffix == ".docx" else "xlsx"


def _looks_like_csv(text: str) -> bool:
    """A header line of column names separated by commas or tabs."""
    for line in text.splitlines()[:60]:
        if ("," in line or "\t" in line) and has_header([(1, re.split(r"[,\t]", line))]):
            return True
    return False
