"""README.md's commands work as written (issue 21): every line of every fenced ```bash block is run, in
order, against a small home holding the bundled sample (readme_session.py says how each kind of line is
run; the run is shared with the offline-docs tests through conftest's `readme_run`)."""

from __future__ import annotations

import shlex

import pytest
from readme_session import README, bash_lines


def test_readme_has_the_commands_this_test_runs():
    lines = [shlex.split(line, comments=True) for line in bash_lines(README.read_text())]
    words = [w for w in lines if w]
    assert any(w[:2] == ["bash", "scripts/quickstart.sh"] for w in words)
    assert any("workforce-warehouse" in w and "refresh" in w for w in words)
    assert any("workforce-warehouse" in w and "docs" in w for w in words)


def test_every_readme_bash_command_runs(readme_run):
    if readme_run.skipped:
        pytest.skip(readme_run.skipped)
    assert readme_run.failures == []
    assert readme_run.refreshes <= 1, "one refresh at most keeps this test short"
    assert len(readme_run.ran) >= 6, readme_run.ran
    # the commands did what the README says they do
    home = readme_run.home
    assert (home / "published" / "alliance.duckdb").exists()
    assert (home / "docs" / "dbt" / "index.html").exists()
    assert (home / "published" / "alliance_report.html").exists()
