"""The warehouse resource: settings from the environment, and the one-writer lock held for a whole run."""

from __future__ import annotations

from contextlib import contextmanager

import dagster as dg

from workforce_warehouse.config import Settings, load_settings
from workforce_warehouse.lock import WarehouseLock


class WarehouseResource(dg.ConfigurableResource):
    """Where the warehouse lives. `hold_lock` is false when the caller (the CLI) already holds the lock."""

    home: str = ""
    hold_lock: bool = True

    def settings(self) -> Settings:
        return load_settings(self.home or None)

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext):
        settings = self.settings()
        settings.ensure_dirs()
        if not self.hold_lock:
            yield self
            return
        lock = WarehouseLock(settings).acquire("dagster run")
        try:
            yield self
        finally:
            lock.release()


def progress_printer(context):
    """Progress lines for a person at a terminal (the CLI) and for the Dagster run log."""

    def _p(message: str) -> None:
        print(message, flush=True)
        context.log.info(message)

    return _p
