"""README.md's commands work as written (issue 21): every line of every fenced ```bash block is run, in
order, against a small home holding the bundled sample (2 councils, 1 year), as one shell session would.

- comments and blank lines are skipped;
- `export NAME=value` lines become the environment of the lines after them, with /srv/workforce replaced by
  the test's home and the pseudonymisation key by the tests' throwaway key;
- `workforce-warehouse …` and `uv run workforce-warehouse …` run the project's own entry point (`uv run`
  would sync the environment first; the test uses the environment it runs in) and must exit 0, or the code
  a trailing comment gives (`# exits 1`);
- `serve` would not return: its `--help` must run;
- `bash scripts/….sh` (the quick start and the whole suite: too slow here): the script exists and is
  executable;
- `python benchmarks/….py …` (20 minutes): its `--help` runs with the README's arguments.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest
from conftest import PROJECT, TEST_KEY

README = PROJECT / "README.md"
CLI = [sys.executable, "-m", "workforce_warehouse.cli"]


def bash_lines(text: str) -> list[str]:
    """Every line of every ```bash block, in order."""
    lines, inside = [], False
    for line in text.splitlines():
        if line.strip().startswith("```"):
            inside = line.strip() == "```bash" if not inside else False
            continue
        if inside:
            lines.append(line)
    return lines


def expected_exit(line: str) -> int:
    m = re.search(r"#.*\bexits? (?:with )?(?:code )?(\d)\b", line)
    return int(m.group(1)) if m else 0


def test_readme_has_the_commands_this_test_runs():
    lines = [shlex.split(line, comments=True) for line in bash_lines(README.read_text())]
    words = [w for w in lines if w]
    assert any(w[:2] == ["bash", "scripts/quickstart.sh"] for w in words)
    assert any("workforce-warehouse" in w and "refresh" in w for w in words)
    assert any("workforce-warehouse" in w and "docs" in w for w in words)


def test_every_readme_bash_command_runs(tmp_path):
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKFORCE_") and k != "DAGSTER_HOME"}
    env |= {"WORKFORCE_HOME": str(home), "WORKFORCE_PSEUDONYMISATION_KEY": TEST_KEY, "DO_NOT_TRACK": "1"}

    def run(argv: list[str], timeout: int = 600) -> subprocess.CompletedProcess:
        return subprocess.run(argv, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=timeout)

    sample = run([*CLI, "sample", "--councils", "2", "--years", "1", "--out", str(home / "landing")])
    assert sample.returncode == 0, sample.stdout + sample.stderr

    ran, refreshes = [], 0
    for line in bash_lines(README.read_text()):
        words = shlex.split(line, comments=True)
        if not words:
            continue
        if words[0] == "export":
            for assignment in words[1:]:
                name, _, value = assignment.partition("=")
                value = value.replace("/srv/workforce", str(home))
                env[name] = TEST_KEY if name == "WORKFORCE_PSEUDONYMISATION_KEY" else value
            continue
        if words[0] == "bash" and words[1].startswith("scripts/"):
            script = PROJECT / words[1]
            assert script.is_file() and os.access(script, os.X_OK), line
            ran.append(line)
            continue
        if words[:2] == ["uv", "run"]:
            # `uv run` runs in the project's environment: this one
            assert shutil.which("uv") or (PROJECT / "uv.lock").exists()
            words = words[2:]
        if words[0] == "python" and words[1].startswith("benchmarks/"):
            script = PROJECT / words[1]
            assert script.is_file(), line
            res = run([sys.executable, str(script), *words[2:], "--help"], timeout=120)
            assert res.returncode == 0, (line, res.stdout[-2000:], res.stderr[-2000:])
            ran.append(line)
            continue
        assert words[0] == "workforce-warehouse", f"README line this test does not know how to run: {line}"
        argv = [*CLI, *words[1:]]
        if words[1] == "serve":
            argv.append("--help")  # the webserver and daemon would run until stopped
        if words[1] == "refresh":
            refreshes += 1
        if "--pdf" in words and not (shutil.which("chromium") or shutil.which("chromium-browser")):
            pytest.skip(f"{line!r} needs Chromium, which is not installed")
        res = run(argv)
        assert res.returncode == expected_exit(line), (line, res.stdout[-3000:], res.stderr[-3000:])
        ran.append(line)

    assert refreshes <= 1, "one refresh at most keeps this test short"
    assert len(ran) >= 6, ran
    # the commands did what the README says they do
    assert (home / "published" / "alliance.duckdb").exists()
    assert (home / "docs" / "dbt" / "index.html").exists()
    assert (home / "published" / "alliance_report.html").exists()
