"""One writer at a time: a file lock under the home folder, held by every refresh (DuckDB has one writer)."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import time
from pathlib import Path

from filelock import FileLock, Timeout

from .config import Settings


class LockHeld(Exception):
    """Another refresh holds the warehouse: `refresh` exits with code 4."""


class WarehouseLock:
    def __init__(self, settings: Settings, timeout: float | None = None):
        self.path = settings.lock_path
        self.info_path = Path(str(self.path) + ".holder")
        self.timeout = settings.lock_timeout_seconds if timeout is None else timeout
        self._lock = FileLock(str(self.path))

    def holder(self) -> str:
        # the holder writes its details just after taking the lock: give it a moment
        for _ in range(20):
            try:
                info = json.loads(self.info_path.read_text())
                return f"pid {info['pid']} on {info['host']} since {info['since']} ({info.get('what', 'refresh')})"
            except (OSError, ValueError, KeyError):
                time.sleep(0.1)
        return "another process"

    def acquire(self, what: str = "refresh") -> WarehouseLock:
        try:
            self._lock.acquire(timeout=self.timeout)
        except Timeout:
            raise LockHeld(
                f"Another refresh holds the warehouse lock ({self.holder()}); waited {self.timeout:g}s. "
                "Set WORKFORCE_LOCK_TIMEOUT_SECONDS to wait longer."
            ) from None
        self.info_path.write_text(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "since": dt.datetime.now().isoformat(timespec="seconds"),
                    "what": what,
                }
            )
        )
        return self

    def release(self) -> None:
        if self._lock.is_locked:
            try:
                self.info_path.unlink()
            except OSError:
                pass
            self._lock.release()

    def __enter__(self) -> WarehouseLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
