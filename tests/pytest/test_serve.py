"""`workforce-warehouse serve` (issue 21): the URL is printed once the port answers, the code location is
named workforce_warehouse, and SIGTERM leaves no process behind (webserver, daemon, code servers)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from conftest import PROJECT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _descendants(pid: int) -> set[int]:
    out, todo = set(), [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except OSError:
                continue
            for k in kids:
                if k not in out:
                    out.add(k)
                    todo.append(k)
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_serve_answers_and_stops_cleanly(tmp_path):
    port = _free_port()
    env = dict(os.environ, WORKFORCE_HOME=str(tmp_path), DAGSTER_HOME=str(tmp_path / "dagster"))
    cmd = [str(Path(sys.executable).with_name("workforce-warehouse")), "serve", "--port", str(port)]
    proc = subprocess.Popen(
        cmd, cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines = []
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            lines.append(line)
            if f"Dagster UI on http://127.0.0.1:{port}" in line:
                break
        assert any("Dagster UI on" in line for line in lines), "".join(lines)[-3000:]
        query = {"query": "{ workspaceOrError { ... on Workspace { locationEntries { name } } } }"}
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/graphql",
            data=json.dumps(query).encode(),
            headers={"Content-Type": "application/json"},
        )
        body = json.loads(urllib.request.urlopen(request, timeout=30).read())
        names = [e["name"] for e in body["data"]["workspaceOrError"]["locationEntries"]]
        assert names == ["workforce_warehouse"]
        tree = _descendants(proc.pid)
        assert len(tree) >= 2  # the webserver and the daemon, with their code servers
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        time.sleep(1)
        assert [p for p in tree if _alive(p)] == []
        log = "".join(lines) + proc.stdout.read()
        assert "\x1b[" not in log  # no colour codes when not a terminal
    finally:
        if proc.poll() is None:
            proc.kill()
