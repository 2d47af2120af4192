"""Sheets to import: CSV (UTF-8, with or without a byte-order mark) or Excel workbooks, read as
rows of text keyed by the header row's column names, each with its row number in the sheet."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

from openpyxl import load_workbook

from service.errors import Invalid, Message

Rows = list[tuple[int, dict[str, str]]]  # (row number in the sheet, column -> text)
MAX_ROWS = 5000
_NOT_A_SHEET = Message("not_a_sheet", "Not a CSV file in UTF-8, nor an Excel workbook.")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores 16360 as 16360.0
    return str(value).strip()


def _rows(lines: list[list[Any]]) -> Rows:
    if not lines:
        raise Invalid({"file": [Message("sheet_empty", "The sheet is empty.")]})
    headers = [_text(h).lower() for h in lines[0]]
    found = []
    for number, line in enumerate(lines[1:], start=2):
        row = {h: _text(v) for h, v in zip(headers, line, strict=False) if h}
        if any(row.values()):
            found.append((number, row))
    if len(found) > MAX_ROWS:
        raise Invalid(
            {"file": [Message("too_many_rows", "At most %(max)s rows at a time.", max=MAX_ROWS)]}
        )
    return found


def read_rows(filename: str, data: bytes) -> Rows:
    """:raise Invalid: (`file`) neither a CSV in UTF-8 nor an Excel workbook, or empty."""
    if filename.lower().endswith(".xlsx"):
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError):
            raise Invalid(
                {"file": [Message("not_xlsx", "Not an Excel workbook (.xlsx).")]}
            ) from None
        sheet = book.worksheets[0]
        return _rows([list(line) for line in sheet.iter_rows(values_only=True)])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid({"file": [_NOT_A_SHEET]}) from None
    if "\x00" in text:
        raise Invalid({"file": [_NOT_A_SHEET]})
    return _rows(list(csv.reader(io.StringIO(text))))
