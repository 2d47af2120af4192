"""The README tells a new user the truth: its demo users are the demo directory's, and its
layout names the modules that exist."""

from __future__ import annotations

import re
import tomllib

from tests.conftest import DIRECTORY, ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_demo_users_table_is_the_directory() -> None:
    """The directory's users, then the new communes' of the demo's reorganisation."""
    later = tomllib.loads((ROOT / "service/demo/reorganisation_2025.toml").read_text("utf-8"))
    names = {a["code"]: a["name"] for a in DIRECTORY["agency"] + later["agency"]}
    expected = [
        (u["username"], u["full_name"], names[u["agency"]], ", ".join(u["roles"]))
        for u in DIRECTORY["user"] + later["user"]
    ]
    start = README.index("| username | name | agency | roles |")
    table = README[start : README.index("\n\n", start)].splitlines()[2:]
    rows = [tuple(cell.strip().strip("`") for cell in line.strip("|").split("|")) for line in table]
    assert rows == expected


def test_staff_draft_and_heads_sign() -> None:
    """Nobody in the demo both drafts plans (standing body) and signs them (chairman)."""
    later = tomllib.loads((ROOT / "service/demo/reorganisation_2025.toml").read_text("utf-8"))
    both = [
        u["username"]
        for u in DIRECTORY["user"] + later["user"]
        if {"standing_body", "chairman"} <= set(u["roles"])
    ]
    assert both == []


def test_the_layout_names_modules_that_exist() -> None:
    """Each name in the layout's tree (a folder at the left, the files and folders indented
    under it) is in the repository, and each module of the service's top level is named."""
    section = README[README.index("## Layout") :]
    tree = section[section.index("```\n") + 4 : section.index("```", section.index("```\n") + 4)]
    named, top = [], ""
    for line in tree.splitlines():
        if not line.strip() or line.startswith("    "):
            continue  # a description running on
        head = re.split(r"\s{2,}", line.strip())[0]
        names = [n.strip() for n in re.sub(r"\(.*?\)", "", head).split(",") if n.strip()]
        if line.startswith("  "):
            named += [f"{top}{n}" for n in names]
        else:
            top = names[0] if names[0].endswith("/") else ""
            named += names
    missing = [n for n in named if not (ROOT / n.rstrip("/")).exists()]
    assert missing == []
    modules = {p.name for p in (ROOT / "service").glob("*.py")} - {"__init__.py"}
    unnamed = {m for m in modules if f"service/{m}" not in named} - {
        "audit_cli.py",
        "mail.py",
        "text_input.py",
    }
    assert unnamed == set()


def test_the_directory_file_parses_as_the_tests_read_it() -> None:
    assert tomllib.loads((ROOT / "service/demo/directory.toml").read_text(encoding="utf-8"))
