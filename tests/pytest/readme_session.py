"""README.md's bash commands, run in order against a small home holding the bundled sample (2 councils,
1 year), as one shell session would (issue 21). The run is shared (conftest's `readme_run`): the README
test checks the commands worked, the offline-docs tests read the docs site the README's `docs` built.

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
from dataclasses import dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
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


@dataclass
class ReadmeRun:
    home: Path
    ran: list[str] = field(default_factory=list)
    refreshes: int = 0
    outputs: dict[str, str] = field(default_factory=dict)  # command line -> what it printed
    failures: list[tuple] = field(default_factory=list)  # (line, stdout, stderr) of a wrong exit code
    skipped: str = ""  # why the run stopped early (a command needs something not installed)


def run_readme(home: Path, key: str) -> ReadmeRun:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKFORCE_") and k != "DAGSTER_HOME"}
    env |= {"WORKFORCE_HOME": str(home), "WORKFORCE_PSEUDONYMISATION_KEY": key, "DO_NOT_TRACK": "1"}
    out = ReadmeRun(home)

    def run(argv: list[str], timeout: int = 600) -> subprocess.CompletedProcess:
        return subprocess.run(argv, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=timeout)

    sample = run([*CLI, "sample", "--councils", "2", "--years", "1", "--out", str(home / "landing")])
    if sample.returncode != 0:
        out.failures.append(("sample", sample.stdout, sample.stderr))
        return out
    for line in bash_lines(README.read_text()):
        words = shlex.split(line, comments=True)
        if not words:
            continue
        if words[0] == "export":
            for assignment in words[1:]:
                name, _, value = assignment.partition("=")
                value = value.replace("/srv/workforce", str(home))
                env[name] = key if name == "WORKFORCE_PSEUDONYMISATION_KEY" else value
            continue
        if words[0] == "bash" and words[1].startswith("scripts/"):
            script = PROJECT / words[1]
            if not (script.is_file() and os.access(script, os.X_OK)):
                out.failures.append((line, "", "the script is missing or not executable"))
            out.ran.append(line)
            continue
        if words[:2] == ["uv", "run"]:
            # `uv run` runs in the project's environment: this one
            words = words[2:]
        if words[0] == "python" and words[1].startswith("benchmarks/"):
            script = PROJECT / words[1]
            res = run([sys.executable, str(script), *words[2:], "--help"], timeout=120)
            if not script.is_file() or res.returncode != 0:
                out.failures.append((line, res.stdout[-2000:], res.stderr[-2000:]))
            out.ran.append(line)
            continue
        if words[0] != "workforce-warehouse":
            out.failures.append((line, "", "a README line this test does not know how to run"))
            continue
        argv = [*CLI, *words[1:]]
        if words[1] == "serve":
            argv.append("--help")  # the webserver and daemon would run until stopped
        if words[1] == "refresh":
            out.refreshes += 1
        if "--pdf" in words and not (shutil.which("chromium") or shutil.which("chromium-browser")):
            out.skipped = f"{line!r} needs Chromium, which is not installed"
            return out
        res = run(argv)
        out.outputs[line] = res.stdout
        if res.returncode != expected_exit(line):
            out.failures.append((line, res.stdout[-3000:], res.stderr[-3000:]))
        out.ran.append(line)
    return out
