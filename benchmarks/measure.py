"""Running a command and measuring it: wall time, the memory of its whole process tree, stage times."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SAMPLE_EVERY_SECONDS = 0.2


@dataclass
class Measured:
    seconds: float
    peak_mib: float  # the whole tree's memory at its peak: max(sampled sum of PSS, largest single RSS)
    tree_pss_mib: float  # largest sum of PSS over the command and all its descendants (sampled)
    tree_rss_mib: float  # largest sum of RSS over the same (sampled; counts shared pages once per process)
    max_process_rss_mib: float  # largest RSS of any one process of the tree (the kernel's own figure)
    returncode: int
    output: str


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def _tree(root: int) -> list[int]:
    kids = _children()
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, []))
    return out


def _rss_pss_kib(pid: int) -> tuple[int, int]:
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def run_measured(cmd: list[str], env: dict, cwd: Path) -> Measured:
    """Run cmd; sample the memory of its process tree every 0.2 s: the largest sum of PSS, of RSS, and the
    largest single process's RSS. (Not wait4's ru_maxrss: Linux carries a process's high-water mark
    across fork and exec, so every command this benchmark starts after its own process has grown, e.g.
    after the SQL floor, reported at least the benchmark's own size.)"""
    peak = {"rss": 0, "pss": 0, "one": 0}
    done = threading.Event()
    with tempfile.TemporaryFile(mode="w+") as out:
        start = time.monotonic()
        p = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, text=True)

        def sample() -> None:
            while not done.wait(SAMPLE_EVERY_SECONDS):
                rss = pss = 0
                for pid in _tree(p.pid):
                    r, s = _rss_pss_kib(pid)
                    rss, pss = rss + r, pss + s
                    peak["one"] = max(peak["one"], r)
                peak["rss"], peak["pss"] = max(peak["rss"], rss), max(peak["pss"], pss)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, _usage = os.wait4(p.pid, 0)
        seconds = time.monotonic() - start
        p.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        sampler.join()
        out.seek(0)
        text = out.read()
    return Measured(
        seconds=seconds,
        peak_mib=max(peak["pss"], peak["one"]) / 1024,
        tree_pss_mib=peak["pss"] / 1024,
        tree_rss_mib=peak["rss"] / 1024,
        max_process_rss_mib=peak["one"] / 1024,
        returncode=p.returncode,
        output=text,
    )


def last_run_dir(home: Path) -> Path | None:
    runs = sorted((home / "logs" / "runs").glob("*"), key=lambda p: p.stat().st_mtime)
    return runs[-1] if runs else None


def stage_seconds(home: Path) -> dict[str, float]:
    """Each stage's seconds, as the last run recorded them (<home>/logs/runs/<run>/<stage>.json)."""
    run = last_run_dir(home)
    out = {}
    if run:
        for stage in ("load", "dbt", "checks", "publish"):
            f = run / f"{stage}.json"
            if f.exists():
                out[stage] = round(json.loads(f.read_text()).get("seconds", 0.0), 1)
    return out
