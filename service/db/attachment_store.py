"""Where the bytes of attached files live, behind one small interface, keyed by their SHA-256:
the database (the default: one backup holds everything) or a folder (APP_ATTACHMENTS_DIR).

The same content stored twice is kept once. An S3-compatible store would be a third class of
two methods; it is not built here (no server to test it against)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Protocol

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from service.db.models import AttachmentBlob


class AttachmentStore(Protocol):
    def put(self, session: Session, sha256: str, content: bytes) -> None: ...

    def get(self, session: Session, sha256: str) -> bytes | None: ...


class DatabaseStore:
    """In the `attachment_blob` table, in the caller's transaction."""

    def put(self, session: Session, sha256: str, content: bytes) -> None:
        insert = (
            postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        )
        session.execute(
            insert(AttachmentBlob)
            .values(sha256=sha256, content=content)
            .on_conflict_do_nothing(index_elements=["sha256"])
        )

    def get(self, session: Session, sha256: str) -> bytes | None:
        blob = session.get(AttachmentBlob, sha256)
        return None if blob is None else blob.content


class FolderStore:
    """Files named by their hash under `root` (ab/abcdef…). A file is written whole (a
    temporary file renamed) before the row that names it commits; a rolled-back upload leaves
    an unnamed file, never a row without its file."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put(self, session: Session, sha256: str, content: bytes) -> None:
        path = self._path(sha256)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
            tmp.write(content)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp.name, path)

    def get(self, session: Session, sha256: str) -> bytes | None:
        path = self._path(sha256)
        return path.read_bytes() if path.exists() else None


def store_for(folder: Path | None) -> AttachmentStore:
    return DatabaseStore() if folder is None else FolderStore(folder)
