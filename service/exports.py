"""Tables as downloads: CSV (UTF-8 with a byte-order mark, so Excel reads Vietnamese right)
and Excel workbooks (openpyxl)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from flask import Response, send_file
from openpyxl import Workbook
from openpyxl.styles import Font

Table = tuple[Sequence[str], Sequence[Sequence[Any]]]  # headers, rows


def to_csv(table: Table) -> bytes:
    headers, rows = table
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(headers)
    writer.writerows(rows)
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def to_xlsx(title: str, table: Table) -> bytes:
    headers, rows = table
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = title[:31]  # Excel's limit
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    for column, header in zip(sheet.columns, headers, strict=True):
        width = max(len(str(c.value or "")) for c in column)
        sheet.column_dimensions[column[0].column_letter].width = min(
            max(width, len(header)) + 2, 60
        )
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def encode(fmt: str, title: str, table: Table) -> tuple[bytes, str]:
    """The table in `fmt` ("csv" or "xlsx") and its media type."""
    return (to_csv(table), "text/csv") if fmt == "csv" else (to_xlsx(title, table), XLSX)


def send_table(fmt: str, title: str, table: Table, name: str) -> Response:
    """The table as a file to save, for the pages and the API alike."""
    body, mimetype = encode(fmt, title, table)
    return send_file(io.BytesIO(body), mimetype=mimetype, as_attachment=True, download_name=name)
