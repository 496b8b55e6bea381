"""Settings read from the environment (see docs of `interfaces.md` in the README).

Every path the project writes hangs off one home folder, ``WORKFORCE_HOME`` (default ``./data``):

    landing/  quarantine/  warehouse/warehouse.duckdb  published/  logs/  dagster/
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
SEEDS_DIR = PROJECT_DIR / "seeds"
REFERENCE_DIR = Path(__file__).resolve().parent / "reference"

MIN_KEY_LENGTH = 32


class ConfigError(Exception):
    """A configuration or environment problem: `refresh` exits with code 3."""


@dataclass(frozen=True)
class Settings:
    home: Path
    key: bytes | None = None
    suppression_threshold: int = 5
    alliance: str = "all"
    # Percentage of rows with errors under which a file still loads its valid rows (0 = any error rejects).
    row_error_threshold_pct: dict[str, float] = field(default_factory=dict)
    lock_timeout_seconds: float = 0.0

    @property
    def landing(self) -> Path:
        return self.home / "landing"

    @property
    def quarantine(self) -> Path:
        return self.home / "quarantine"

    @property
    def warehouse_dir(self) -> Path:
        return self.home / "warehouse"

    @property
    def warehouse_path(self) -> Path:
        return self.warehouse_dir / "warehouse.duckdb"

    @property
    def published(self) -> Path:
        return self.home / "published"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def dagster_home(self) -> Path:
        return Path(os.environ.get("DAGSTER_HOME") or (self.home / "dagster"))

    @property
    def lock_path(self) -> Path:
        return self.home / "warehouse.lock"

    def ensure_dirs(self) -> None:
        try:
            for d in (self.landing, self.quarantine, self.warehouse_dir, self.published, self.logs):
                d.mkdir(parents=True, exist_ok=True)
            for folder in landing_folders():
                (self.landing / folder).mkdir(exist_ok=True)
            # The warehouse and the quarantine hold person-level rows, the logs and Dagster's event log name
            # files, rows and rejected values: owner only. Only published/ is for others (see publish.py).
            for d in (self.warehouse_dir, self.quarantine, self.logs):
                d.chmod(0o700)
            probe = self.home / f".write-test-{os.getpid()}"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise ConfigError(f"The home folder {self.home} is not writable: {exc}") from exc

    def row_threshold(self, source: str) -> float:
        return self.row_error_threshold_pct.get(source, 0.0)


def landing_folders() -> list[str]:
    """The landing sub-folders, one or more sources each (the registry in sources/)."""
    from .sources import folders

    return folders()


def _float_env(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc


def load_settings(home: str | Path | None = None) -> Settings:
    home_path = Path(home or os.environ.get("WORKFORCE_HOME") or "./data").expanduser().resolve()
    raw_key = os.environ.get("WORKFORCE_PSEUDONYMISATION_KEY")
    key: bytes | None = None
    if raw_key:
        if len(raw_key) < MIN_KEY_LENGTH:
            raise ConfigError(
                f"WORKFORCE_PSEUDONYMISATION_KEY is {len(raw_key)} characters; it must be at least "
                f'{MIN_KEY_LENGTH}. Generate one with: python -c "import secrets; print(secrets.token_urlsafe(48))"'
            )
        key = raw_key.encode("utf-8")
    threshold_raw = os.environ.get("WORKFORCE_SUPPRESSION_THRESHOLD", "5")
    try:
        threshold = int(threshold_raw)
        if threshold < 1:
            raise ValueError
    except ValueError as exc:
        raise ConfigError(
            f"WORKFORCE_SUPPRESSION_THRESHOLD must be a whole number of at least 1, got {threshold_raw!r}"
        ) from exc
    row_thresholds = {
        f: _float_env(f"WORKFORCE_ROW_ERROR_THRESHOLD_PCT_{f.upper()}", 0.0) for f in landing_folders()
    }
    return Settings(
        home=home_path,
        key=key,
        suppression_threshold=threshold,
        alliance=os.environ.get("WORKFORCE_ALLIANCE", "all") or "all",
        row_error_threshold_pct=row_thresholds,
        lock_timeout_seconds=_float_env("WORKFORCE_LOCK_TIMEOUT_SECONDS", 0.0),
    )
