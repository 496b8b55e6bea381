"""Landing folder -> raw layer: find files, validate them, load or quarantine each one.

Rules (inputs-common.md): a file loads whole or not at all (unless a per-source row-error threshold is
set), a resubmission replaces its identity in one transaction, a byte-identical file changes nothing,
and a rejected file never removes data already loaded.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import json
import os
import shutil
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .config import ConfigError, Settings
from .io import FileNotReady, sha256_of
from .pseudonymise import Pseudonymiser
from .reference_data import local_authorities
from .sources import agency_use, council_hr, csww_return, dfe_published
from .submissions import Submission, submission_of
from .values import ERROR_COLUMNS, RowError
from .warehouse import Load, clear_waiting, commit_loads, connect, ensure_raw_schema, log_outcome

SAMPLE_MANIFEST = ".sample-manifest.json"
# Throwaway key for the bundled synthetic sample only; real files need WORKFORCE_PSEUDONYMISATION_KEY.
SAMPLE_ONLY_KEY_TEXT = "sample-data-only: not secret, never use for real files"
NOT_READY_GRACE = dt.timedelta(minutes=10)
IGNORED_PREFIXES = (".", "~$")


@dataclass
class FileOutcome:
    file: str
    source: str
    outcome: str  # loaded | rejected | unchanged | waiting_for_staff | not_ready
    message: str = ""
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)


@dataclass
class IngestSummary:
    outcomes: list[FileOutcome] = field(default_factory=list)

    def of(self, outcome: str) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.outcome == outcome]

    @property
    def changed(self) -> bool:
        return bool(self.of("loaded"))

    def line(self) -> str:
        counts = defaultdict(int)
        for o in self.outcomes:
            counts[o.outcome] += 1
        return ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no files in the landing folder"


def _is_candidate(p: Path) -> bool:
    return p.is_file() and not p.name.startswith(IGNORED_PREFIXES) and not p.name.endswith(".errors.csv")


def landing_files(settings: Settings) -> list[Path]:
    if not settings.landing.exists():
        return []
    return sorted(p for p in settings.landing.rglob("*") if _is_candidate(p))


def sample_manifest(settings: Settings) -> dict[str, str]:
    path = settings.landing / SAMPLE_MANIFEST
    if not path.exists():
        return {}
    return json.loads(path.read_text())["files"]


def require_key_for_real_files(settings: Settings, files: list[Path]) -> None:
    """Without WORKFORCE_PSEUDONYMISATION_KEY only the bundled sample loads: any other file is a
    configuration error (exit 3), raised before anything is written."""
    if settings.key is not None:
        return
    manifest = sample_manifest(settings)
    for p in files:
        rel = p.relative_to(settings.landing).as_posix()
        if manifest.get(rel) != sha256_of(p):
            raise ConfigError(
                f"{rel} is not part of the bundled sample data and WORKFORCE_PSEUDONYMISATION_KEY is not set. "
                "Real files load only with the alliance's key (at least 32 characters) in that variable; "
                "nothing was loaded."
            )


def pseudonymiser_for(settings: Settings, files: list[Path], con) -> Pseudonymiser:
    """The alliance key, or the sample-only key when every file is the bundled sample (else exit 3)."""
    require_key_for_real_files(settings, files)
    key = settings.key if settings.key is not None else SAMPLE_ONLY_KEY_TEXT.encode()
    fingerprint = hmac.new(key, b"workforce-warehouse key fingerprint", hashlib.sha256).hexdigest()[:16]
    con.execute("CREATE TABLE IF NOT EXISTS raw.meta (name VARCHAR PRIMARY KEY, value VARCHAR)")
    stored = con.execute("SELECT value FROM raw.meta WHERE name = 'key_fingerprint'").fetchone()
    if stored is None:
        if files:
            con.execute("INSERT INTO raw.meta VALUES ('key_fingerprint', ?)", [fingerprint])
    elif stored[0] != fingerprint:
        raise ConfigError(
            "This warehouse was built with a different pseudonymisation key: its hashed identifiers would not "
            "match. Use the original WORKFORCE_PSEUDONYMISATION_KEY, or start a new WORKFORCE_HOME."
        )
    return Pseudonymiser(key)


def write_errors_csv(path: Path, errors: list[RowError]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(ERROR_COLUMNS)
        for e in errors:
            w.writerow(
                [e.file, e.sheet, "" if e.row is None else e.row, e.column, e.value, e.rule, e.message]
            )


def quarantine(settings: Settings, path: Path, source: str, errors: list[RowError]) -> Path:
    target_dir = settings.quarantine / source
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / path.name
    if target.exists():
        stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
        target = target_dir / f"{path.stem}.{stamp}{path.suffix}"
    shutil.move(str(path), target)
    write_errors_csv(target.with_name(target.name + ".errors.csv"), errors)
    return target


class Ingestor:
    def __init__(
        self, settings: Settings, today: dt.date | None = None, progress: Callable[[str], None] = print
    ):
        self.settings = settings
        self.today = today or dt.date.today()
        self.progress = progress
        self.summary = IngestSummary()
        self.con = None
        self.pseudo: Pseudonymiser | None = None
        self._done: set[tuple[str, str]] | None = None

    # -- helpers ---------------------------------------------------------------------------------
    def _already_loaded(self, path: Path, sha: str) -> bool:
        if self._done is None:
            self._done = set(
                self.con.execute(
                    "SELECT file_name, file_sha256 FROM raw.load_log WHERE outcome IN ('loaded', 'superseded')"
                ).fetchall()
            )
        return (path.name, sha) in self._done

    def _reject(
        self, path: Path, source: str, errors: list[RowError], la=None, period=None, label=None, dataset=None
    ) -> None:
        sha = sha256_of(path) if path.exists() else None
        clear_waiting(self.con, path.name)
        log_outcome(
            self.con,
            Load(
                source=source,
                dataset=dataset or "",
                la_code=la,
                period_end=period,
                period_label=label,
                file_name=path.name,
                file_sha256=sha,
                outcome="rejected",
                rejected=errors,
                message=errors[0].describe() if errors else "",
            ),
        )
        target = quarantine(self.settings, path, source, errors)
        first = errors[0].describe() if errors else "rejected"
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        self.summary.outcomes.append(FileOutcome(path.name, source, "rejected", first + more, errors=errors))
        self.progress(f"  rejected {path.name}: {first}{more} -> {target.relative_to(self.settings.home)}")

    def _loaded(self, path: Path, source: str, loads: list[Load], supersede=()) -> None:
        clear_waiting(self.con, path.name)
        commit_loads(self.con, loads, supersede)
        rows = sum(len(ld.rows) for ld in loads)
        detail = ", ".join(f"{ld.dataset} {len(ld.rows)}" for ld in loads if ld.table)
        self.summary.outcomes.append(FileOutcome(path.name, source, "loaded", detail, rows))
        self.progress(f"  loaded {path.name}: {detail}")

    def _revalidate_dependents(self, la: str, period_end: dt.date) -> None:
        """A replaced staff dataset re-validates the casework, CPD and ASYE already loaded for the extract:
        a dataset naming employees the new staff dataset no longer has is rejected (its rows leave the
        raw layer, its metrics become not_submitted, the chase list asks for it again)."""
        for dataset in council_hr.DEPENDENT:
            table = council_hr.table_for(dataset)
            bad = self.con.execute(
                f"""SELECT d.load_id, count(*) FROM raw.{table} AS d
                    WHERE d.la_code = ? AND d.period_end = ? AND NOT EXISTS (
                        SELECT 1 FROM raw.hr_staff AS s WHERE s.la_code = d.la_code
                          AND s.period_end = d.period_end AND s.employee_key = d.employee_key)
                    GROUP BY d.load_id""",
                [la, period_end],
            ).fetchall()
            for load_id, n in bad:
                message = (
                    f"re-validated against the new staff dataset: {n} row(s) name an employee_id that is no "
                    f"longer in it; send this {dataset} dataset again"
                )
                self.con.execute("BEGIN TRANSACTION")
                self.con.execute(f"DELETE FROM raw.{table} WHERE load_id = ?", [load_id])
                self.con.execute(
                    "UPDATE raw.load_log SET outcome = 'rejected', message = ? WHERE load_id = ?",
                    [message, load_id],
                )
                self.con.execute("COMMIT")
                self.progress(f"  {la} {period_end} {dataset}: {message}")

    def _name_error(self, path: Path, source: str, pattern: str) -> None:
        self._reject(
            path,
            source,
            [
                RowError(
                    path.name,
                    "",
                    None,
                    "",
                    path.name,
                    "file_name",
                    f"the file name does not follow the pattern {pattern}",
                )
            ],
        )

    def _check_la(self, path: Path, la: str) -> list[RowError]:
        if la not in local_authorities():
            return [
                RowError(
                    path.name,
                    "",
                    None,
                    "",
                    la,
                    "la_code",
                    f"{la} is not a local authority in the reference list (seeds/local_authorities.csv)",
                )
            ]
        return []

    def _not_ready(self, path: Path, source: str, exc: Exception) -> None:
        age = dt.datetime.now() - dt.datetime.fromtimestamp(path.stat().st_mtime)
        if age > NOT_READY_GRACE:
            self._reject(
                path,
                source,
                [
                    RowError(
                        path.name,
                        "",
                        None,
                        "",
                        "",
                        "unreadable",
                        f"the file cannot be opened ({exc}) and has not changed for 10 minutes",
                    )
                ],
            )
        else:
            self.summary.outcomes.append(FileOutcome(path.name, source, "not_ready", str(exc)))
            self.progress(f"  not ready yet {path.name}: {exc}; will retry")

    # -- entry point -------------------------------------------------------------------------------
    def run(self, only: set[str] | None = None, submission: Submission | None = None) -> IngestSummary:
        """Load the landing folder: every new or changed file, or only the named files, or only the files
        of one council's submission for one period (a Dagster partition); other files stay untouched."""
        s = self.settings
        s.ensure_dirs()
        files = landing_files(s)
        files = [f for f in files if f.name != SAMPLE_MANIFEST]
        if only is not None:
            files = [f for f in files if f.name in only]
        if submission is not None:
            files = [f for f in files if submission_of(f.name) == submission]
            self.progress(f"  submission {submission.key}: {len(files)} file(s) in the landing folder")
        self.con = connect(s.warehouse_path)
        try:
            ensure_raw_schema(self.con)
            self.pseudo = pseudonymiser_for(s, files, self.con)
            by_source = defaultdict(list)
            for f in files:
                rel = f.relative_to(s.landing)
                top = rel.parts[0] if len(rel.parts) > 1 else ""
                by_source[top].append(f)
            for f in by_source.pop("", []):
                self._reject(
                    f,
                    "unknown",
                    [
                        RowError(
                            f.name,
                            "",
                            None,
                            "",
                            f.name,
                            "file_place",
                            "files go in landing/council_hr, landing/dfe_census or landing/agency_use",
                        )
                    ],
                )
            for top, fs in sorted(by_source.items()):
                if top == "council_hr":
                    self._council_hr(fs)
                elif top == "dfe_census":
                    self._dfe_census(fs)
                elif top == "agency_use":
                    self._agency(fs)
                else:
                    for f in fs:
                        self._reject(
                            f,
                            "unknown",
                            [
                                RowError(
                                    f.name,
                                    "",
                                    None,
                                    "",
                                    top,
                                    "file_place",
                                    f"landing/{top} is not a source folder",
                                )
                            ],
                        )
            write_loaded_ledger(self.con, loaded_ledger_path(s))
        finally:
            self.con.close()
        return self.summary

    def _unchanged(self, path: Path, source: str) -> bool:
        if self._already_loaded(path, sha256_of(path)):
            self.summary.outcomes.append(FileOutcome(path.name, source, "unchanged"))
            return True
        return False

    # -- council HR ---------------------------------------------------------------------------------
    def _council_hr(self, files: list[Path]) -> None:
        groups: dict[tuple[str, dt.date], list[council_hr.HrFile]] = defaultdict(list)
        for p in files:
            parsed = council_hr.parse_name(p.name)
            if parsed is None:
                self._name_error(p, "council_hr", council_hr.PATTERNS)
                continue
            la, period_text, dataset = parsed
            errs = self._check_la(p, la)
            try:
                period_end = council_hr.parse_period(period_text)
            except ValueError:
                errs.append(
                    RowError(
                        p.name,
                        "",
                        None,
                        "",
                        period_text,
                        "period_end",
                        f"{period_text} in the file name is not a real date",
                    )
                )
                period_end = None
            if period_end and period_end > self.today:
                errs.append(
                    RowError(
                        p.name,
                        "",
                        None,
                        "",
                        period_text,
                        "period_in_future",
                        f"the period end {period_text} is in the future",
                    )
                )
            if errs:
                self._reject(p, "council_hr", errs, la, period_end, dataset=dataset or "workbook")
                continue
            if self._unchanged(p, "council_hr"):
                continue
            groups[(la, period_end)].append(council_hr.HrFile(p, la, period_end, dataset))
        tasks = []
        for (la, period_end), hr_files in sorted(groups.items()):
            has_staff = (
                self.con.execute(
                    "SELECT count(*) FROM raw.load_log WHERE source = 'council_hr' AND dataset = 'staff' AND la_code = ? "
                    "AND period_end = ? AND outcome = 'loaded' AND NOT withdrawn",
                    [la, period_end],
                ).fetchone()[0]
                > 0
            )
            loaded_staff = (
                {
                    r[0]
                    for r in self.con.execute(
                        "SELECT employee_key FROM raw.hr_staff WHERE la_code = ? AND period_end = ?",
                        [la, period_end],
                    ).fetchall()
                }
                if has_staff
                else None
            )
            ready = []
            for f in hr_files:
                if f.is_workbook and not workbook_opens(f.path):
                    self._not_ready(f.path, "council_hr", FileNotReady("the workbook does not open (yet)"))
                else:
                    ready.append(f)
            if ready:
                tasks.append((ready, self.pseudo, loaded_staff, self.settings.row_threshold("council_hr")))
        for (ready, _, _, _), result in zip(tasks, parallel_map(council_hr.validate_extract, tasks)):
            la, period_end = ready[0].la_code, ready[0].period_end
            accepted, rejected, waiting = result
            for f, errs in rejected:
                self._reject(
                    f.path,
                    "council_hr",
                    errs,
                    la,
                    period_end,
                    council_hr.period_label(period_end),
                    f.dataset or "workbook",
                )
            for f in waiting:
                log_outcome(
                    self.con,
                    Load(
                        source="council_hr",
                        dataset=f.dataset,
                        la_code=la,
                        period_end=period_end,
                        period_label=council_hr.period_label(period_end),
                        file_name=f.path.name,
                        file_sha256=sha256_of(f.path),
                        outcome="waiting_for_staff",
                        message="waiting for this extract's staff dataset",
                    ),
                )
                self.summary.outcomes.append(
                    FileOutcome(
                        f.path.name,
                        "council_hr",
                        "waiting_for_staff",
                        "waiting for the staff dataset of this extract",
                    )
                )
                self.progress(f"  waiting {f.path.name}: no staff dataset for {la} {period_end} yet")
            by_file: dict[str, list[Load]] = defaultdict(list)
            for ld in accepted:
                by_file[ld.file_name].append(ld)
            for f in sorted(ready, key=lambda f: (not f.is_workbook, f.dataset != "staff")):
                loads = by_file.get(f.path.name)
                if not loads:
                    continue
                supersede = []
                if f.is_workbook:
                    present = {ld.dataset for ld in loads}
                    supersede = [
                        ("council_hr", d, la, period_end) for d in council_hr.DATASETS if d not in present
                    ]
                self._loaded(f.path, "council_hr", loads, supersede)
                if any(ld.dataset == "staff" for ld in loads):
                    self._revalidate_dependents(la, period_end)

    # -- DfE census: council returns (XML) and published statistics (CSV) ---------------------------
    def _dfe_census(self, files: list[Path]) -> None:
        returns, published = [], []
        for p in files:
            if p.suffix.lower() == ".xml":
                parsed = csww_return.parse_name(p.name)
                if parsed is None:
                    self._name_error(p, "csww_return", csww_return.PATTERN)
                    continue
                la, year = parsed
                errs = self._check_la(p, la)
                if errs:
                    self._reject(p, "csww_return", errs, la)
                elif not self._unchanged(p, "csww_return"):
                    returns.append((p, la, year))
            elif p.suffix.lower() == ".csv":
                if not self._unchanged(p, "dfe_published"):
                    published.append(p)
            else:
                self._name_error(p, "dfe_census", f"{csww_return.PATTERN} or a DfE published *.csv")
        threshold = self.settings.row_threshold("dfe_census")
        tasks = [(p, la, year, self.pseudo, self.today, threshold) for p, la, year in returns]
        for (p, la, year), (loads, errs) in zip(returns, parallel_map(csww_return.parse_return, tasks)):
            if errs and not loads:
                self._reject(p, "csww_return", errs, la, dt.date(year, 9, 30), str(year), "return")
            else:
                self._loaded(p, "csww_return", loads)
        for p in published:  # in order: the file loaded last wins for each row
            loads, errs = dfe_published.parse_file(p, threshold)
            if errs and not loads:
                self._reject(p, "dfe_published", errs)
            else:
                self._loaded(p, "dfe_published", loads)

    # -- agency returns -----------------------------------------------------------------------------
    def _agency(self, files: list[Path]) -> None:
        todo = []
        for p in files:
            parsed = agency_use.parse_name(p.name)
            if parsed is None:
                self._name_error(p, "agency_use", agency_use.PATTERN)
                continue
            la, year, q = parsed
            errs = self._check_la(p, la)
            q_start, q_end = agency_use.quarter_bounds(year, q)
            if q_start > self.today:
                errs.append(
                    RowError(
                        p.name,
                        "",
                        None,
                        "",
                        f"{year}-Q{q}",
                        "period_in_future",
                        f"the quarter {year}-Q{q} has not started yet",
                    )
                )
            if errs:
                self._reject(p, "agency_use", errs, la, q_end, f"{year}-Q{q}", "engagements")
            elif self._unchanged(p, "agency_use"):
                continue
            elif p.suffix.lower() == ".xlsx" and not workbook_opens(p):
                self._not_ready(p, "agency_use", FileNotReady("the workbook does not open (yet)"))
            else:
                todo.append((p, la, year, q))
        tasks = [
            (p, la, year, q, self.pseudo, self.settings.row_threshold("agency_use"))
            for p, la, year, q in todo
        ]
        for (p, la, year, q), (loads, errs) in zip(todo, parallel_map(agency_use.parse_file, tasks)):
            if errs and not loads:
                self._reject(
                    p,
                    "agency_use",
                    errs,
                    la,
                    agency_use.quarter_bounds(year, q)[1],
                    f"{year}-Q{q}",
                    "engagements",
                )
            else:
                self._loaded(p, "agency_use", loads)


def workbook_opens(path: Path) -> bool:
    """A half-copied .xlsx is not yet a whole zip archive."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            return z.testzip() is None
    except (zipfile.BadZipFile, OSError):
        return False


PARALLEL_MIN_TASKS = 8


def _call(packed):
    fn, args = packed
    return fn(*args)


def parallel_map(fn, tasks: list[tuple]):
    """fn(*task) for each task, in order. Parsing is CPU-bound Python: large batches use every core
    (processes, forked), while the caller commits results one by one in the same order as a serial run."""
    cores = os.cpu_count() or 1
    workers = min(cores, int(os.environ.get("WORKFORCE_LOAD_WORKERS") or cores))
    if len(tasks) < PARALLEL_MIN_TASKS or workers < 2:
        for t in tasks:
            yield fn(*t)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        yield from pool.map(_call, [(fn, t) for t in tasks], chunksize=1)


def loaded_ledger_path(settings) -> Path:
    return settings.logs / "loaded-files.json"


def write_loaded_ledger(con, path: Path) -> None:
    """The files the load log holds as loaded (name -> sha256s), for the landing sensor, which must not open
    the warehouse (one writer per DuckDB file): a file already loaded with the same bytes does not trigger
    a run, e.g. when the sensor is first switched on over a landing folder a refresh already loaded."""
    ledger: dict[str, list[str]] = defaultdict(list)
    for name, sha in con.execute(
        "SELECT file_name, file_sha256 FROM raw.load_log "
        "WHERE outcome IN ('loaded', 'superseded') ORDER BY ALL"
    ).fetchall():
        ledger[name].append(sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(ledger, indent=0))
    os.replace(tmp, path)


def read_loaded_ledger(path: Path) -> dict[str, set[str]]:
    try:
        return {k: set(v) for k, v in json.loads(path.read_text()).items()}
    except (OSError, ValueError):
        return {}


def ingest(
    settings: Settings,
    only: set[str] | None = None,
    today: dt.date | None = None,
    progress: Callable[[str], None] = print,
    submission: Submission | None = None,
) -> IngestSummary:
    started = time.monotonic()
    summary = Ingestor(settings, today, progress).run(only, submission)
    progress(f"  load stage: {summary.line()} in {time.monotonic() - started:.1f}s")
    return summary
