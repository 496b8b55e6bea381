"""The code a measurement runs: this working tree ("new"), or a git ref checked out beside it ("old").

Both run with the project's own virtual environment (the same Python, dbt, Dagster, DuckDB). The old one
runs from a detached `git worktree` with cwd and PYTHONPATH set to it, so `workforce_warehouse` and
`orchestration` are imported from there (the editable install's finder comes after PYTHONPATH), and
its dbt project too: `config.PROJECT_DIR` is the package's parent folder. Its dbt manifest is parsed
once (`dbt parse`) before its Dagster definitions load.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# the CLI's entry point, the same for every version (older cli.py modules may lack a __main__ block)
CLI = "import sys; sys.argv[0] = 'workforce-warehouse'; from workforce_warehouse.cli import main; sys.exit(main())"


@dataclass
class Code:
    name: str  # "new" or "old"
    root: Path
    ref: str | None = None  # git ref (old) or None (the working tree)
    revision: str = ""

    def env(self, base: dict) -> dict:
        env = dict(base)
        env["PYTHONPATH"] = os.pathsep.join([str(self.root), *filter(None, [base.get("PYTHONPATH")])])
        return env

    def cli(self, *args: str) -> list[str]:
        return [sys.executable, "-c", CLI, *args]

    def sensor(self, home: Path) -> list[str]:
        script = PROJECT / "benchmarks" / "sensor_run.py"
        return [sys.executable, str(script), "--home", str(home), "--code", str(self.root)]


def _git(*args: str, cwd: Path = PROJECT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def new_code() -> Code:
    rev = _git("rev-parse", "--short", "HEAD")
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return Code("new", PROJECT, None, rev + (" + working tree changes" if dirty else ""))


def old_code(ref: str, workdir: Path) -> Code:
    """A detached worktree of ref under workdir, its dbt project parsed."""
    path = workdir / "baseline"
    if path.exists():
        subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=PROJECT, capture_output=True)
        shutil.rmtree(path, ignore_errors=True)
    subprocess.run(["git", "worktree", "prune"], cwd=PROJECT, capture_output=True)
    _git("worktree", "add", "--detach", str(path), ref)
    code = Code("old", path, ref, _git("rev-parse", "--short", "HEAD", cwd=path))
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import workforce_warehouse, orchestration; print(workforce_warehouse.__file__)",
        ],
        cwd=path,
        env=code.env(dict(os.environ)),
        capture_output=True,
        text=True,
        check=True,
    )
    if not check.stdout.strip().startswith(str(path)):
        raise SystemExit(f"the baseline's package is not the one imported: {check.stdout.strip()}")
    env = code.env(dict(os.environ, WORKFORCE_HOME=str(workdir / "dbt-parse-home"), DO_NOT_TRACK="1"))
    p = subprocess.run(
        [str(BIN / "dbt"), "parse", "--project-dir", str(path), "--profiles-dir", str(path / "profiles")],
        cwd=path,
        env=env,
        capture_output=True,
        text=True,
    )
    if p.returncode != 0:
        print(p.stdout[-3000:], p.stderr[-3000:])
        raise SystemExit(f"dbt parse failed in the baseline worktree ({ref})")
    return code


def remove_worktree(code: Code) -> None:
    subprocess.run(["git", "worktree", "remove", "--force", str(code.root)], cwd=PROJECT, capture_output=True)
