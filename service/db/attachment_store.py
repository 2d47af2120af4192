"""Where the bytes of attached files live, behind one small interface, keyed by their SHA-256:
the database (the default: one backup holds everything), a folder (APP_ATTACHMENTS_DIR) or an
S3-compatible bucket (APP_STORAGE=s3).

The same content stored twice is kept once. A store that does not answer raises
`StoreUnavailable` (503): the operation's transaction rolls back, nothing is half attached."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from service.db.models import AttachmentBlob
from service.errors import StoreUnavailable

log = logging.getLogger(__name__)


class AttachmentStore(Protocol):
    def put(self, session: Session, sha256: str, content: bytes, mimetype: str) -> None: ...

    def get(self, session: Session, sha256: str) -> bytes | None: ...


class DatabaseStore:
    """In the `attachment_blob` table, in the caller's transaction."""

    def put(self, session: Session, sha256: str, content: bytes, mimetype: str) -> None:
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

    def put(self, session: Session, sha256: str, content: bytes, mimetype: str) -> None:
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


class S3Store:
    """Objects named by their hash in an S3-compatible bucket (AWS S3, MinIO, Ceph…), with
    their content type and hash as metadata. The object is written before the row that names
    it commits (as the folder's file is); what comes back is checked against its name.

    boto3 reads the credentials itself: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or its
    other usual places). Timeouts are short: a person waits on the upload."""

    def __init__(self, bucket: str, endpoint: str | None = None, region: str | None = None) -> None:
        import boto3  # only where this store is chosen
        from botocore.config import Config

        self.bucket = bucket
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=region or "us-east-1",
            config=Config(
                connect_timeout=3,
                read_timeout=20,
                retries={"max_attempts": 2, "mode": "standard"},
                # another server than AWS is reached by path (no bucket subdomain to resolve)
                s3={"addressing_style": "path" if endpoint else "auto"},
                # checksums only where S3 requires them: not every compatible server knows the
                # newer trailers, and the key is the SHA-256, checked on reading back
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )
        self.name = f"S3 {bucket}"

    def put(self, session: Session, sha256: str, content: bytes, mimetype: str) -> None:
        # written again if it exists: the same key holds the same bytes, and a HEAD first
        # would need the right to list the bucket to tell "missing" from "forbidden"
        self._call(
            "put_object",
            Bucket=self.bucket,
            Key=sha256,
            Body=content,
            ContentType=mimetype,
            Metadata={"sha256": sha256},
        )

    def get(self, session: Session, sha256: str) -> bytes | None:
        found = self._call("get_object", Bucket=self.bucket, Key=sha256, missing=True)
        if found is None:
            return None
        content: bytes = found["Body"].read()
        if hashlib.sha256(content).hexdigest() != sha256:  # changed in the bucket: not served
            log.error("%s: object %s does not match its hash", self.name, sha256)
            raise StoreUnavailable(self.name, "the stored object does not match its hash")
        return content

    def _call(self, method: str, *, missing: bool = False, **params: Any) -> Any:
        """The client's answer; None for a missing object where `missing`. Anything else that
        fails (no connection, a timeout, an error of the server, refused credentials) makes
        the store unavailable."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, method)(**params)
        except ClientError as err:
            code = str(err.response.get("Error", {}).get("Code", ""))
            if missing and code in {"404", "NoSuchKey", "NotFound"}:
                return None
            log.warning("%s: %s refused: %s", self.name, method, err)
            raise StoreUnavailable(self.name, code) from err
        except BotoCoreError as err:
            log.warning("%s: %s failed: %s", self.name, method, err)
            raise StoreUnavailable(self.name, type(err).__name__) from err


def store_for(
    kind: str,
    folder: Path | None = None,
    bucket: str | None = None,
    endpoint: str | None = None,
    region: str | None = None,
) -> AttachmentStore:
    """The store the settings name: "database", "folder" (`folder`) or "s3" (`bucket`)."""
    if kind == "s3" and bucket:
        return S3Store(bucket, endpoint, region)
    if kind == "folder" and folder is not None:
        return FolderStore(folder)
    if kind == "database":
        return DatabaseStore()
    raise ValueError(f"storage {kind!r} without its bucket or folder")
