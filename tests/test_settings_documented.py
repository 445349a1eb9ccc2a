"""The README's table of settings names every `EMKG_` variable the code reads, and no other."""

from __future__ import annotations

import re
from pathlib import Path

from api.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
NAME = re.compile(r"EMKG_[A-Z_]*[A-Z]")


def _documented() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Settings", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `EMKG_")]
    return {name for row in rows for name in NAME.findall(row.split("|")[1])}


def _read_by_the_code() -> set[str]:
    fields = {"EMKG_" + name.upper() for name in Settings.model_fields}
    literals = {
        name
        for folder in ("api", "graph")
        for path in (ROOT / folder).rglob("*.py")
        for name in NAME.findall(path.read_text(encoding="utf-8"))
    }
    return fields | literals


def test_every_setting_is_in_the_readme_table() -> None:
    documented, read = _documented(), _read_by_the_code()
    assert read - documented == set(), "settings the README does not list"
    assert documented - read == set(), "the README lists settings the code does not read"
