"""The audit core: canonical JSON, RFC 6962 vectors, and every single tampering of a chain."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.audit import (
    EMPTY_ROOT,
    GENESIS,
    Link,
    canonical_json,
    checkpoint_note,
    event_hash,
    inclusion_proof,
    leaf_hash,
    merkle_root,
    node_hash,
    parse_note,
    roots_at,
    tree_levels,
    verify_chain,
    verify_inclusion,
)

# transparency-dev/merkle testonly/constants.go: LeafInputs(), RootHashes() (sizes 0..8) and
# NodeHashes() (every complete subtree of the 8-leaf tree, level by level).
LEAVES = [
    bytes.fromhex(h)
    for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657")
    + ("606162636465666768696a6b6c6d6e6f",)
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
NODES = [
    ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
     "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
     "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
     "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
     "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
     "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
     "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
     "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"],
    ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
     "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
     "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"],
    ["d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
     "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]  # fmt: skip
# transparency-dev/merkle proof/verify_test.go inclusionProofs (its leaf numbers are 1-based).
PROOFS = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
HASHES = [leaf_hash(entry) for entry in LEAVES]


def test_roots_match_the_published_rfc6962_vectors() -> None:
    assert EMPTY_ROOT.hex() == ROOTS[0]
    for size in range(len(LEAVES) + 1):
        assert merkle_root(HASHES[:size]).hex() == ROOTS[size], size
    assert {n: r.hex() for n, r in roots_at(HASHES, range(9)).items()} == dict(enumerate(ROOTS))


def test_every_complete_subtree_matches_the_published_node_hashes() -> None:
    levels = tree_levels(HASHES)
    assert [[node.hex() for node in level] for level in levels] == NODES
    assert node_hash(HASHES[0], HASHES[1]).hex() == NODES[1][0]


def test_inclusion_proofs_match_the_published_ones_and_verify() -> None:
    for index, size, proof in PROOFS:
        root = bytes.fromhex(ROOTS[size])
        path = inclusion_proof(tree_levels(HASHES[:size]), index)
        assert [p.hex() for p in path] == proof
        assert verify_inclusion(HASHES[index], index, size, path, root)
        # the corruptions verify_test.go probes: wrong index, height, leaf or root; garbage
        leaf, flipped = HASHES[index], [bytes([path[0][0] ^ 8]) + path[0][1:], *path[1:]]
        wrong = [
            (leaf, index - 1, size, path, root),
            (leaf, index + 1, size, path, root),
            (leaf, index ^ 2, size, path, root),
            (leaf, index, size * 2, path, root),
            (leaf, index, size // 2, path, root),
            (leaf_hash(b"WrongLeaf"), index, size, path, root),
            (leaf, index, size, path, EMPTY_ROOT),
            (leaf, index, size, [*path, root], root),
            (leaf, index, size, [root, *path], root),
            (leaf, index, size, flipped, root),
            (leaf, index, size, path[:-1], root),
        ]
        for case in wrong:
            assert not verify_inclusion(*case), case[1:3]


@settings(max_examples=200)
@given(st.integers(1, 70), st.data())
def test_every_leaf_proves_its_place_in_every_tree_size(size: int, data: st.DataObject) -> None:
    leaves = [leaf_hash(i.to_bytes(2, "big")) for i in range(size)]
    levels = tree_levels(leaves)
    root = levels[-1][0]
    assert roots_at(leaves, [size]) == {size: root}
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(levels, index)
    assert verify_inclusion(leaves[index], index, size, proof, root)
    other = data.draw(st.integers(0, size - 1).filter(lambda i: i != index)) if size > 1 else None
    if other is not None:
        assert not verify_inclusion(leaves[index], other, size, proof, root)
        assert not verify_inclusion(leaves[other], index, size, proof, root)


def test_canonical_json_is_sorted_compact_utf8_with_utc_times() -> None:
    hanoi = timezone(timedelta(hours=7))
    value = {"b": [1, True, None], "a": "Sở Tài chính", "t": datetime(2026, 1, 2, 7, tzinfo=hanoi)}
    assert canonical_json(value) == (
        '{"a":"Sở Tài chính","b":[1,true,null],"t":"2026-01-02T00:00:00.000000Z"}'.encode()
    )
    assert canonical_json({"n": 10**30}) == b'{"n":1000000000000000000000000000000}'


@pytest.mark.parametrize("bad", [1.5, {"x": float("nan")}, {1: "int key"}, datetime(2026, 1, 1)])
def test_canonical_json_refuses_what_has_no_single_form(bad: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        canonical_json(bad)


def test_note_round_trip() -> None:
    when = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    note = checkpoint_note("antq", 42, "ab" * 32, when)
    assert note == f"antq\n42\n{'ab' * 32}\n2026-11-23T09:30:00.000000Z\n"
    assert parse_note(note) == ("antq", 42, "ab" * 32, "2026-11-23T09:30:00.000000Z")
    with pytest.raises(ValueError):
        parse_note(note + "extra")


# --- chains and their tampering --------------------------------------------------------------

T0 = datetime(2026, 11, 23, 8, tzinfo=UTC)


def record(seq: int, payload: Any) -> dict[str, Any]:
    return {"instance_id": 7, "seq": seq, "action": "task_completed", "task_id": seq,
            "actor_id": 3, "agency_id": 2, "role": "finance", "data": {"v": payload},
            "created_at": T0 + timedelta(minutes=seq)}  # fmt: skip


def chain(payloads: list[Any]) -> list[Link]:
    links, prev = [], GENESIS
    for seq, payload in enumerate(payloads, start=1):
        rec = record(seq, payload)
        links.append(Link(100 + seq, seq, rec, prev, event_hash(rec, prev)))
        prev = links[-1].hash
    return links


def head(links: list[Link]) -> tuple[int, str]:
    return (links[-1].seq, links[-1].hash) if links else (0, GENESIS)


def stored(links: list[Link]) -> list[Link]:
    """The rows as the verifier reads them: ordered by seq."""
    return sorted(links, key=lambda link: link.seq)


def renumbered(link: Link, seq: int) -> Link:
    """What an insider's `UPDATE event SET seq = …` leaves: the row's hash is not recomputed."""
    return dataclasses.replace(link, seq=seq, record={**link.record, "seq": seq})


def modify(link: Link, field: str, rehash: bool) -> Link:
    changes = {
        "action": lambda v: v + "x",
        "role": lambda v: v + "x",
        "actor_id": lambda v: v + 1,
        "created_at": lambda v: v + timedelta(microseconds=1),
        "data": lambda v: {**v, "tampered": True},
    }
    rec = {**link.record, field: changes[field](link.record[field])}
    new_hash = event_hash(rec, link.prev_hash) if rehash else link.hash
    return dataclasses.replace(link, record=rec, hash=new_hash)


payloads = st.lists(st.one_of(st.integers(-(10**12), 10**12), st.text(max_size=8)), min_size=1,
                    max_size=12)  # fmt: skip
EXAMPLES = 1000  # per kind of tampering


@settings(max_examples=300)
@given(payloads)
def test_a_clean_chain_verifies(values: list[Any]) -> None:
    links = chain(values)
    assert verify_chain(links, *head(links)) is None


@settings(max_examples=EXAMPLES)
@given(payloads, st.data(), st.sampled_from(["action", "role", "actor_id", "created_at", "data"]),
       st.booleans())  # fmt: skip
def test_a_modified_event_is_found(
    values: list[Any], data: st.DataObject, field: str, rehash: bool
) -> None:
    links = chain(values)
    i = data.draw(st.integers(0, len(links) - 1))
    tampered = [*links[:i], modify(links[i], field, rehash), *links[i + 1 :]]
    found = verify_chain(stored(tampered), *head(links))
    assert found is not None and (found.reason, found.id) == ("modified", links[i].id)


@settings(max_examples=EXAMPLES)
@given(payloads, st.data())
def test_a_deleted_event_is_found(values: list[Any], data: st.DataObject) -> None:
    links = chain(values)
    i = data.draw(st.integers(0, len(links) - 1))
    found = verify_chain(stored(links[:i] + links[i + 1 :]), *head(links))
    reason = "truncated" if i == len(links) - 1 else "deleted"
    assert found is not None and (found.reason, found.id, found.seq) == (reason, None, i + 1)


@settings(max_examples=EXAMPLES)
@given(payloads, st.data(), st.booleans())
def test_an_inserted_event_is_found(values: list[Any], data: st.DataObject, linked: bool) -> None:
    """A forged event at seq k, the later ones moved up a seq; linked forgeries hash correctly."""
    links = chain(values)
    k = data.draw(st.integers(1, len(links) + 1))
    prev = links[k - 2].hash if k > 1 else GENESIS
    rec = record(k, "forged")
    forged = Link(999, k, rec, prev, event_hash(rec, prev) if linked else "f" * 64)
    moved = [renumbered(link, link.seq + 1) for link in links[k - 1 :]]
    found = verify_chain(stored([*links[: k - 1], forged, *moved]), *head(links))
    assert found is not None and (found.reason, found.id) == ("inserted", 999)


@settings(max_examples=EXAMPLES)
@given(payloads.filter(lambda v: len(v) > 1), st.data())
def test_two_swapped_events_are_found(values: list[Any], data: st.DataObject) -> None:
    links = chain(values)
    i, j = sorted(data.draw(st.lists(st.integers(0, len(links) - 1), min_size=2, max_size=2,
                                     unique=True)))  # fmt: skip
    swapped = list(links)
    swapped[i], swapped[j] = renumbered(links[j], i + 1), renumbered(links[i], j + 1)
    found = verify_chain(stored(swapped), *head(links))
    assert found is not None and found.reason == "reordered"
    assert found.id in {links[i].id, links[j].id}


@settings(max_examples=EXAMPLES)
@given(payloads, st.data())
def test_a_truncated_chain_is_found(values: list[Any], data: st.DataObject) -> None:
    links = chain(values)
    keep = data.draw(st.integers(0, len(links) - 1))
    found = verify_chain(stored(links[:keep]), *head(links))
    assert found is not None and (found.reason, found.seq) == ("truncated", keep + 1)


# Known answers, computed outside Python (printf '%s%s' JSON PREV | sha256sum), so that a
# change to the hash's input (its order, encoding, the time's form) fails here even though the
# rest of the suite builds its expected hashes with event_hash itself.
KNOWN_RECORDS = [
    (
        {
            "seq": 1,
            "action": "task_completed",
            "at": datetime(2023, 4, 20, 9, 0, tzinfo=timezone(timedelta(hours=7))),
            "data": {"title": "Kế hoạch", "budget": 165000000},
        },
        '{"action":"task_completed","at":"2023-04-20T02:00:00.000000Z",'
        '"data":{"budget":165000000,"title":"Kế hoạch"},"seq":1}',
        "f523c08a274e35abb7e474514d2fe1f08f18dfd0f3439339b79d8991796f43ee",
    ),
    (
        {
            "seq": 2,
            "action": "document_signed",
            "at": datetime(2023, 4, 21, 3, 30, 0, 1, tzinfo=UTC),
            "data": {"number": 83, "by": "thanhhoa.chutich"},
        },
        '{"action":"document_signed","at":"2023-04-21T03:30:00.000001Z",'
        '"data":{"by":"thanhhoa.chutich","number":83},"seq":2}',
        "e2662eead66d00da4b0c444e95e4db81a2b9a099f6c52c086f3c2369b1661b6f",
    ),
]


def test_event_hashes_match_known_answers() -> None:
    prev = GENESIS
    for record, text, expected in KNOWN_RECORDS:
        assert canonical_json(record) == text.encode("utf-8")
        assert event_hash(record, prev) == expected
        prev = expected


def test_leaf_hashes_match_the_published_ones() -> None:
    """Computed inside the test: HASHES above is built at import, out of a mutant's reach."""
    assert [leaf_hash(entry).hex() for entry in LEAVES] == NODES[0]


@pytest.mark.parametrize(("index", "size"), [(-1, 8), (8, 8), (3, 3)])
def test_a_proof_for_a_leaf_outside_the_tree_is_refused(index: int, size: int) -> None:
    with pytest.raises(IndexError, match="outside the tree"):
        inclusion_proof(tree_levels(HASHES[:size]), index)


ROOT_HEX = "ab" * 32
# (note, accepted?): origin, size, root, time, and nothing after the last newline
NOTES = [
    (f"antq\n8\n{ROOT_HEX}\n2023-04-20T02:00:00Z\n", True),
    (f"antq\n8\n{ROOT_HEX[:-2]}\n2023-04-20T02:00:00Z\n", False),  # a short root
    (f"antq\neight\n{ROOT_HEX}\n2023-04-20T02:00:00Z\n", False),
    (f"antq\n8\n{ROOT_HEX}\n2023-04-20T02:00:00Z\nmore", False),
]


@pytest.mark.parametrize(("note", "accepted"), NOTES)
def test_a_malformed_note_is_refused(note: str, accepted: bool) -> None:
    if accepted:
        assert parse_note(note) == ("antq", 8, ROOT_HEX, "2023-04-20T02:00:00Z")
    else:
        with pytest.raises(ValueError, match="not a checkpoint note"):
            parse_note(note)


def test_roots_at_some_sizes_only_stop_early_and_skip_what_is_not_there() -> None:
    found = {n: r.hex() for n, r in roots_at(iter(HASHES), [3, 5]).items()}
    assert found == {3: ROOTS[3], 5: ROOTS[5]}
    assert roots_at(HASHES, []) == {}
    assert roots_at(HASHES, [9]) == {}  # more than the leaves: missing from the answer
