"""`emkg build` and `emkg validate` as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


def emkg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        timeout=120,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )


def test_build_prints_counts_shacl_summary_and_coverage(tmp_path: Path) -> None:
    done = emkg("build", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "emk:Commitment" in done.stdout
    assert "0 violations, 2 warnings" in done.stdout
    assert "coverage" in done.stdout
    assert "no fact:" in done.stdout
    assert (tmp_path / "manifest.json").exists()


def test_validate_exits_zero_without_violations() -> None:
    done = emkg("validate")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 violations" in done.stdout


def test_a_letter_that_is_not_a_letter_fails_with_a_message(tmp_path: Path) -> None:
    source = tmp_path / "note.txt"
    source.write_text("just a note\n")
    done = emkg("build", "--source", str(source), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "annex" in done.stderr
    assert not (tmp_path / "out").exists()
