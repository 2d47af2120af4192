"""The audit log's pure core: canonical JSON, per-instance hash chains, an RFC 6962 Merkle tree.

Standard library only. An event's hash covers its canonical JSON and the previous event's hash
(one chain per process instance); signed checkpoints cover every event hash at once, as the
leaves of a Merkle tree in event-id order (`../shared/RELIABILITY.md` §1 gives the reasons).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64  # the prev_hash of an instance's first event


def canonical_json(value: Any) -> bytes:
    """The one byte string for `value`: sorted keys, no spaces, UTF-8, exact integers.

    RFC 8785 (JCS) is the model, made stricter: floats are refused (money is whole VND, and a
    float's text differs between languages), keys must be strings, and a datetime must be aware
    and becomes ISO-8601 UTC with microseconds, the precision both databases store. Keys sort by
    code point; JCS sorts by UTF-16 unit, which differs only for keys outside the BMP.
    """
    _check(value)
    return _ENCODER.encode(value).encode("utf-8")


_PLAIN = frozenset({str, int, bool, type(None)})


def _check(value: Any) -> None:
    """Refuse what has no single JSON text; walks without copying (verification's hot path)."""
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise TypeError("canonical JSON keys must be strings")
            if type(item) not in _PLAIN:
                _check(item)
    elif kind is list or kind is tuple:
        for item in value:
            if type(item) not in _PLAIN:
                _check(item)
    elif kind not in _PLAIN and not isinstance(value, str | int | datetime):
        raise TypeError(f"{kind.__name__} has no canonical JSON form (floats are refused)")
    elif isinstance(value, datetime) and value.tzinfo is None:
        raise ValueError("a naive datetime has no canonical form")


def _utc_text(value: Any) -> str:
    """json.dumps' hook for what it cannot write itself: here, only aware datetimes."""
    if not isinstance(value, datetime):
        raise TypeError(f"{type(value).__name__} has no canonical JSON form")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# one encoder for every call: building one per call costs a quarter of the time
_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_utc_text
)


def event_hash(record: Mapping[str, Any], prev_hash: str) -> str:
    """SHA-256 (hex) of the record's canonical JSON followed by the previous hash (64 hex)."""
    if len(prev_hash) != 64:
        raise ValueError("prev_hash must be 64 hex digits")
    return hashlib.sha256(canonical_json(record) + prev_hash.encode("ascii")).hexdigest()


# --- RFC 6962 Merkle tree (RFC 9162 §2.1) ---------------------------------------------------

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def event_leaf(event_hash_hex: str) -> bytes:
    """The leaf hash of an event in the log's tree: its 32-byte hash is the leaf's entry."""
    return leaf_hash(bytes.fromhex(event_hash_hex))


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def tree_levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the tree over these leaf hashes, leaves first, root last.

    A last node without a sibling moves up unchanged: bottom-up, that builds the same tree as
    RFC 6962's top-down split at the largest power of two below n.
    """
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        above = [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
        if len(below) % 2:
            above.append(below[-1])
        levels.append(above)
    return levels


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    return tree_levels(leaves)[-1][0] if leaves else EMPTY_ROOT


def inclusion_proof(levels: Sequence[Sequence[bytes]], index: int) -> list[bytes]:
    """The audit path of leaf `index` in the tree `tree_levels` built (RFC 9162 §2.1.3.1)."""
    if not 0 <= index < len(levels[0]):
        raise IndexError("leaf index outside the tree")
    proof = []
    for level in levels[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            proof.append(level[sibling])
        index //= 2
    return proof


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether `proof` shows leaf hash `leaf` at `index` in the tree of `size` with `root`.

    The algorithm of RFC 9162 §2.1.3.2, step by step.
    """
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def roots_at(leaves: Iterable[bytes], sizes: Iterable[int]) -> dict[int, bytes]:
    """The root at each requested tree size, in one pass over the leaf hashes.

    Keeps only the perfect subtrees the tree so far splits into (its "compact range"): log n
    hashes. A size larger than the number of leaves is missing from the answer.
    """
    wanted = set(sizes)
    roots = {0: EMPTY_ROOT} if 0 in wanted else {}
    last = max(wanted, default=0)
    stack: list[tuple[int, bytes]] = []  # (leaf count, hash), largest subtree first
    for size, leaf in enumerate(leaves, start=1):
        if size > last:
            break
        count, node = 1, leaf
        while stack and stack[-1][0] == count:
            node, count = node_hash(stack.pop()[1], node), count * 2
        stack.append((count, node))
        if size in wanted:
            root = stack[-1][1]
            for _, left in reversed(stack[:-1]):
                root = node_hash(left, root)
            roots[size] = root
    return roots


# --- chain verification -----------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """One stored event as the verifier reads it: its id, seq, hashed record and both hashes."""

    id: int
    seq: int
    record: Mapping[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Break:
    """The first place a chain fails, with its class and the event it names.

    `reason` is modified, deleted, inserted, reordered or truncated; `id` is None when the
    named event is gone, and then `seq` is the first missing one.
    """

    reason: str
    id: int | None
    seq: int
    detail: str


def verify_chain(links: Sequence[Link], head_seq: int, head_hash: str) -> Break | None:
    """Check one instance's events (in stored seq order) against its recorded head.

    Each event must hash to its stored hash, link to the event before it, follow it in seq, and
    the last must be the head. Where one does not, the stored links say why: an event linking to
    one stored after it was moved; one linking past the event before it follows an insertion;
    one linking to an unknown hash follows a deletion (a seq gap) or an event changed and
    re-hashed.
    """
    position = {GENESIS: -1} | {link.hash: i for i, link in enumerate(links)}
    prev, expected = GENESIS, 1
    for i, link in enumerate(links):
        intact = hashes_to(link)
        if link.prev_hash == prev and link.seq == expected:
            if link.seq > head_seq:
                return Break("inserted", link.id, link.seq, f"the head is seq {head_seq}")
            if intact:
                prev, expected = link.hash, expected + 1
                continue
            skipped = i + 1 < len(links) and links[i + 1].prev_hash == prev
            if skipped:
                return Break("inserted", link.id, link.seq, "the next event links past it")
            return Break("modified", link.id, link.seq, "its contents do not match its hash")
        before = position.get(link.prev_hash)
        if before is not None and before > i:
            moved = link if not intact else links[before]  # a moved event's seq no longer hashes
            return Break("reordered", moved.id, moved.seq, "stored out of its chain's order")
        if before is not None and before < i - 1:
            forged = links[before + 1]
            return Break("inserted", forged.id, forged.seq, "the next event links past it")
        if link.seq > head_seq:
            return Break("inserted", link.id, link.seq, f"the head is seq {head_seq}")
        if link.seq > expected and link.prev_hash != prev:
            return Break("deleted", None, expected, f"seq {expected} is missing")
        if intact and i > 0 and link.seq == expected:
            changed = links[i - 1]
            return Break("modified", changed.id, changed.seq, "re-hashed; the next link breaks")
        return Break("modified", link.id, link.seq, "its seq or link does not match its hash")
    if expected - 1 < head_seq:
        return Break("truncated", None, expected, f"the head is seq {head_seq}")
    if prev != head_hash and links:
        last = links[-1]
        return Break("modified", last.id, last.seq, "re-hashed; the head no longer matches")
    return None


def hashes_to(link: Link) -> bool:
    """Whether the link's record and prev_hash hash to its hash; a value with no canonical form
    (a float, a naive time, a NULL hash) hashes to nothing, so the link is simply not intact."""
    try:
        return event_hash(link.record, link.prev_hash) == link.hash
    except (TypeError, ValueError):
        return False


# --- signed notes --------------------------------------------------------------------------


def checkpoint_note(origin: str, tree_size: int, root: str, time: datetime) -> str:
    """The text a checkpoint signs: `origin\\nsize\\nroot\\ntime\\n` (root in hex, time UTC)."""
    return f"{origin}\n{tree_size}\n{root}\n{_utc_text(time)}\n"


def parse_note(note: str) -> tuple[str, int, str, str]:
    """(origin, tree size, root hex, time) of a checkpoint note. :raise ValueError: malformed."""
    origin, size, root, time, end = note.split("\n")
    if end or len(root) != 64 or not size.isdigit():
        raise ValueError("not a checkpoint note")
    return origin, int(size), root, time
