#!/usr/bin/env python3
"""Verify a process's audit export offline, with nothing but this file and the public key.

    python3 verify_export.py process-1-audit.jsonl --key audit_ed25519.pub.pem

Needs Python 3.11+ and the `cryptography` package. Exit status 0: intact; 1: tampered or
truncated (the line and the reason are printed); 2: the wrong key, or not an export.

This file deliberately imports nothing of the service. An auditor should not need its code, and
a verifier that shares the producer's code shares its bugs. The hashing below therefore repeats
workflows/audit.py (canonical JSON, chain hash, RFC 6962 leaf/node hashes, RFC 9162 inclusion
check); tests/tools/test_verify_export.py checks that the two agree.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

FORMAT = "antq-audit-export/1"
GENESIS = "0" * 64


class Failed(Exception):
    """The export is not intact: `status` 1 (tampered, truncated) or 2 (wrong key, unreadable)."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def canonical(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8; an export holds no floats (the reader refused them)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def event_hash(record: Any, prev_hash: str) -> str:
    return hashlib.sha256(canonical(record) + prev_hash.encode("ascii")).hexdigest()


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def included(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: whether `proof` puts `leaf` at `index` in the tree of `root`."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def _no_float(text: str) -> Any:
    raise ValueError(f"a float ({text}), which no event holds")


def read_lines(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise Failed(f"cannot read {path}: {err}", 2) from err
    rows = text.split("\n")
    if rows[-1]:  # no newline after the last line: the file was cut
        raise Failed(f"truncated: line {len(rows)} is incomplete")
    lines = []
    for number, row in enumerate(rows[:-1], start=1):
        try:
            lines.append(json.loads(row, parse_float=_no_float))
        except ValueError as err:
            raise Failed(f"line {number}: not an export line ({err}) (modified)") from err
    if not lines or "header" not in lines[0] or lines[0]["header"].get("format") != FORMAT:
        raise Failed(f"line 1: not an {FORMAT} file", 2)
    if "end" not in lines[-1]:
        raise Failed(f"truncated: the file stops after line {len(lines)}, before its last line")
    return lines


def check_signature(header: dict[str, Any], key: Ed25519PublicKey) -> tuple[int, bytes]:
    """(tree size, root) of the export's checkpoint, once its signature is checked."""
    cp = header.get("checkpoint")
    if not cp:
        raise Failed("line 1: no checkpoint, so nothing in this export is signed")
    mine = hashlib.sha256(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()
    try:
        key.verify(bytes.fromhex(cp["signature"]), cp["note"].encode("utf-8"))
    except (InvalidSignature, ValueError) as err:
        if cp.get("key_fingerprint") != mine:
            raise Failed(
                f"wrong key: the export was signed by key {cp.get('key_fingerprint')}, "
                f"the key given is {mine}",
                2,
            ) from err
        raise Failed("line 1: the checkpoint's signature does not verify (modified)") from err
    _origin, size, root, _time, end = cp["note"].split("\n")
    if end or not size.isdigit() or cp["tree_size"] != int(size):
        raise Failed("line 1: the checkpoint does not match its signed note (modified)")
    return int(size), bytes.fromhex(root)


def check_events(lines: list[dict[str, Any]], size: int, root: bytes) -> tuple[int, int]:
    """(events, unanchored events); raises on the first event that fails."""
    prev, expected, count, unanchored = GENESIS, 1, 0, 0
    seqs = {line["event"]["seq"] for line in lines[1:-1] if "event" in line}
    for number, line in enumerate(lines[1:-1], start=2):
        if "definition" in line:
            diagram = line["definition"]
            if hashlib.sha256(diagram["bpmn"].encode("utf-8")).hexdigest() != diagram["sha256"]:
                raise Failed(f"line {number}: the diagram does not match its sha256 (modified)")
            continue
        event = line["event"]
        where = f"line {number}: event {event['id']} (seq {event['seq']})"
        if event["seq"] > expected:
            moved = "comes later (reordered)" if expected in seqs else "is missing (deleted)"
            raise Failed(f"{where}: seq {expected} {moved}")
        if event["seq"] < expected:
            raise Failed(f"{where}: out of order (reordered)")
        if event_hash(event["record"], event["prev_hash"]) != event["hash"]:
            raise Failed(f"{where}: its contents do not match its hash (modified)")
        if event["prev_hash"] != prev:
            raise Failed(f"{where}: does not link to the event before it (inserted or modified)")
        if event["record"].get("seq") != event["seq"]:
            raise Failed(f"{where}: its seq differs from the hashed one (modified)")
        if event["record"].get("instance_id") != lines[0]["header"]["process_id"]:
            raise Failed(f"{where}: belongs to another process (inserted)")
        if event["leaf_index"] is None:
            unanchored += 1
        elif unanchored:
            raise Failed(f"{where}: an earlier event has no proof (modified)")
        else:
            leaf = hashlib.sha256(b"\x00" + bytes.fromhex(event["hash"])).digest()
            proof = [bytes.fromhex(p) for p in event["proof"]]
            if not included(leaf, event["leaf_index"], size, proof, root):
                raise Failed(f"{where}: not in the signed log (modified or inserted)")
        prev, expected, count = event["hash"], expected + 1, count + 1
    check_header(lines)
    if count != lines[0]["header"]["events"]:
        raise Failed(f"line 1: says {lines[0]['header']['events']} events, {count} follow")
    if lines[-1]["end"]["lines"] != len(lines) - 1:
        raise Failed(f"line {len(lines)}: says {lines[-1]['end']['lines']} lines came before it")
    return count, unanchored


def check_header(lines: list[dict[str, Any]]) -> bool:
    """Whether the header's title and the diagram are vouched for by the first (signed) event,
    `process_started`; raises where they differ. False for a log from before it held them."""
    header = lines[0]["header"]
    diagrams = [line["definition"] for line in lines[1:-1] if "definition" in line]
    events = [line["event"] for line in lines[1:-1] if "event" in line]
    if not events or events[0]["record"].get("action") != "process_started":
        return False
    said = events[0]["record"]["data"]
    if "sha256" not in said:
        return False
    if said.get("title") != header.get("title"):
        raise Failed("line 1: the title differs from the signed process_started event (modified)")
    if len(diagrams) != 1:
        raise Failed("the export holds no single diagram (modified)")
    diagram = diagrams[0]
    shown = (diagram.get("process_id"), diagram.get("version"), diagram.get("sha256"))
    if shown != (said.get("definition"), said.get("version"), said["sha256"]):
        raise Failed("line 2: the diagram is not the one the signed log started (modified)")
    return True


def verify(path: Path, key_path: Path) -> str:
    try:
        key = load_pem_public_key(key_path.read_bytes())
    except (OSError, ValueError) as err:
        raise Failed(f"cannot read the public key {key_path}: {err}", 2) from err
    if not isinstance(key, Ed25519PublicKey):
        raise Failed(f"{key_path} is not an Ed25519 public key", 2)
    lines = read_lines(path)
    header = lines[0]["header"]
    try:
        size, root = check_signature(header, key)
        count, unanchored = check_events(lines, size, root)
        covered = check_header(lines)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise Failed(f"malformed export: {err!r} (modified)") from err
    tail = f"; {unanchored} after the checkpoint, checked by their chain only" if unanchored else ""
    if not covered:
        tail += "; its title and diagram predate their signing in the log (not checked)"
    return (
        f"intact: {count} events of process {header['process_id']}, checked against checkpoint "
        f"{header['checkpoint']['id']} ({size} events, root {root.hex()}){tail}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export", type=Path, help="the exported .jsonl file")
    parser.add_argument("--key", type=Path, required=True, help="the service's public key (PEM)")
    args = parser.parse_args(argv)
    try:
        print(verify(args.export, args.key))
    except Failed as err:
        print(f"NOT VERIFIED — {err}", file=sys.stderr)
        return err.status
    return 0


if __name__ == "__main__":
    sys.exit(main())
