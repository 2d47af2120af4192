"""Compiled message catalogs are build artefacts: compile any that are missing or stale."""

from __future__ import annotations

import logging
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po


def compile_catalogs(directory: Path, logger: logging.Logger) -> None:
    """Write `messages.mo` beside every `messages.po` newer than it (a fresh clone has none)."""
    for po in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        try:
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parents[1].name)
            tmp = mo.with_suffix(".mo.tmp")
            with tmp.open("wb") as target:
                write_mo(target, catalog)
            tmp.replace(mo)
        except OSError:  # a read-only install: run `pybabel compile` when building it
            logger.warning("could not compile %s", po)
