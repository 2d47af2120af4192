"""Small real files of each accepted type, made here, and a few that must be refused."""

from __future__ import annotations

from io import BytesIO

import docx
import openpyxl
from PIL import Image

# A one-page PDF a viewer opens (objects, xref and trailer as PDF 1.4 has them).
PDF = b"""%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >> endobj
trailer << /Root 1 0 R >>
%%EOF
"""
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def png(colour: str = "red") -> bytes:
    out = BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "PNG")
    return out.getvalue()


def jpeg() -> bytes:
    out = BytesIO()
    Image.new("RGB", (40, 30), "blue").save(out, "JPEG")
    return out.getvalue()


def docx_file() -> bytes:
    document = docx.Document()
    document.add_paragraph("Dự toán chi tiết")
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_file() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["Nội dung", "Số tiền"])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def multipart(content: bytes, name: str) -> dict[str, object]:
    """A test client's request with one file, its body built here: the client's own builder
    spools a large file to a temporary file it never closes (a ResourceWarning)."""
    boundary = "attached-sample-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    body = head.encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}
