"""The audit key (Ed25519, outside the database) and the witness folder of signed checkpoints."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

ORIGIN = "antq-workflow audit log"  # the first line of every checkpoint note


def signing_key(path: Path) -> Ed25519PrivateKey:
    """The private key at `path`, made on first use (PEM, readable by its owner only).

    A new key is written whole under a temporary name, then linked into place: of two first
    uses at once, one key wins and both use it.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(pem)
        try:
            os.link(partial, path)
        except FileExistsError:
            pass  # another process made it first: use that one
        finally:
            partial.unlink()
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} holds no Ed25519 private key")
    return key


def verifying_key(path: Path) -> Ed25519PublicKey | None:
    """The public half of the key at `path`; None before the first checkpoint made one."""
    return signing_key(path).public_key() if path.exists() else None


def fingerprint(key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw 32-byte public key, in hex: how notes, exports and people name it."""
    return hashlib.sha256(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def signed_by(key: Ed25519PublicKey, note: str, signature: str) -> bool:
    try:
        key.verify(bytes.fromhex(signature), note.encode("utf-8"))
    except (InvalidSignature, ValueError):
        return False
    return True


def write_witness(folder: Path, copy: dict[str, Any]) -> Path:
    """Store one checkpoint's copy (with the leaves it added) as `checkpoint-NNNNNNNN.json`.

    Written to a temporary name and renamed, so a reader never sees half a file.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"checkpoint-{copy['id']:08d}.json"
    partial = path.with_suffix(".part")
    partial.write_text(json.dumps(copy, ensure_ascii=False), encoding="utf-8")
    os.replace(partial, path)
    return path
