"""Landing folder -> raw layer: find files, validate them, load or quarantine each one.

Rules (inputs-common.md): a file loads whole or not at all (unless a per-source row-error threshold is
set), a resubmission replaces its identity in one transaction, a byte-identical file changes nothing,
and a rejected file never removes data already loaded.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import hmac
import itertools
import json
import os
import shutil
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import isolated, sources
from .config import ConfigError, Settings
from .io import FileUnreadable, sha256_of
from .pseudonymise import Pseudonymiser, redact_errors
from .sources.base import FileResult, file_error
from .submissions import Submission, submission_of
from .values import ERROR_COLUMNS, RowError
from .warehouse import (
    Load,
    clear_waiting,
    commit_files,
    commit_loads,
    connect,
    ensure_raw_schema,
    loaded_files,
    log_outcome,
    unstorable,
    waiting_files,
)

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


MAX_NAME_CHARS = 160  # longer names are quarantined (their sidecar `.errors.csv` must fit the file system)


def _walk(landing: Path):
    """Every entry under the landing folder that is a file or a symbolic link (never following a link)."""
    for root, dirs, names in os.walk(landing, followlinks=False):
        base = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith(IGNORED_PREFIXES))
        for n in names:
            yield base / n
        for d in list(dirs):
            if (base / d).is_symlink():  # a linked folder is reported as one entry, never walked
                dirs.remove(d)
                yield base / d


def hidden_files(settings: Settings) -> list[Path]:
    """Hidden and Office lock files (`.name`, `~$name`): never loaded; the load step says it skipped them."""
    if not settings.landing.exists():
        return []
    return sorted(
        p
        for p in _walk(settings.landing)
        if p.name.startswith(IGNORED_PREFIXES) and p.name != SAMPLE_MANIFEST
    )


def landing_files(settings: Settings) -> list[Path]:
    """The files to load: regular files and symbolic links (a link is quarantined, never read), without
    hidden files and without the `.errors.csv` sidecars of quarantined files."""
    if not settings.landing.exists():
        return []
    return sorted(
        p
        for p in _walk(settings.landing)
        if not p.name.startswith(IGNORED_PREFIXES) and not p.name.endswith(".errors.csv")
    )


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
        if p.is_symlink() or not p.is_file():
            continue  # never read: the load step quarantines it
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


def excel_safe(value) -> str:
    """A cell as text that Excel shows as text: a leading =, +, -, @, tab or carriage return would make it
    a formula (formula injection), so such a cell gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_errors_csv(path: Path, errors: list[RowError]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(ERROR_COLUMNS)
        for e in errors:
            cells = [e.file, e.sheet, "" if e.row is None else e.row, e.column, e.value, e.rule, e.message]
            w.writerow([excel_safe(c) for c in cells])


def quarantine(settings: Settings, path: Path, source: str, errors: list[RowError]) -> Path:
    target_dir = settings.quarantine / source
    target_dir.mkdir(parents=True, exist_ok=True)
    name = path.name
    if len(name) > MAX_NAME_CHARS:  # keep the start, the suffix and a digest: the sidecar must fit
        digest = hashlib.sha256(name.encode()).hexdigest()[:12]
        name = f"{path.stem[:100]}~{digest}{path.suffix[:10]}"
    target = target_dir / name
    if target.exists() or target.is_symlink():
        stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
        target = target_dir / f"{Path(name).stem}.{stamp}{Path(name).suffix}"
    if path.is_symlink():
        os.replace(path, target)  # the link itself moves; its target is never opened
    else:
        shutil.move(str(path), target)
    write_errors_csv(target.with_name(target.name + ".errors.csv"), errors)
    return target


class Ingestor:
    """One load of the landing folder. Per source (the registry, `sources/__init__.py`): identify each file
    from its name, reject what breaks a file-level rule, skip bytes already loaded, wait for half-copied
    files, let the source validate its batches (in parallel processes), then commit or quarantine each file
    in order. Nothing here knows a source by name."""

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
        self._waiting_names: set[str] = set()  # files the load log lists as waiting or not ready
        # per-file lines for loaded files only when asked (WORKFORCE_VERBOSE=1, `refresh --verbose`);
        # rejected files are always named
        self.verbose = os.environ.get("WORKFORCE_VERBOSE", "") not in ("", "0")
        self._bar = None

    # -- entry point -------------------------------------------------------------------------------
    def run(self, only: set[str] | None = None, submission: Submission | None = None) -> IngestSummary:
        """Load the landing folder: every new or changed file, or only the named files, or only the files
        of one council's submission for one period (a Dagster partition); other files stay untouched."""
        s = self.settings
        s.ensure_dirs()
        files = [f for f in landing_files(s) if f.name != SAMPLE_MANIFEST]
        for hidden in hidden_files(s):
            self.progress(
                f"  skipped hidden file {hidden.relative_to(s.landing)} (names starting . or ~$ are not loaded)"
            )
        if only is not None:
            files = [f for f in files if f.name in only]
        if submission is not None:
            files = [f for f in files if submission_of(f.name) == submission]
            self.progress(f"  submission {submission.key}: {len(files)} file(s) in the landing folder")
        self.con = connect(s.warehouse_path)
        # DuckDB writes what the load committed into the file once its log passes this size. Its default,
        # 16MB, checkpointed every few groups of files (a tenth of the load at 50 councils); a larger log
        # is kept in memory until then, so this stays well under the load's memory limit.
        self.con.execute(f"SET checkpoint_threshold = '{LOAD_CHECKPOINT_THRESHOLD}'")
        # One DuckDB thread: the parse workers keep every core busy, and the inserts' Arrow scans ran
        # faster on one thread than contending for two (issue 22).
        self.con.execute("SET threads = 1")
        try:
            ensure_raw_schema(self.con)
            self._waiting_names = waiting_files(self.con)
            self.pseudo = pseudonymiser_for(s, files, self.con)
            by_source: dict[str, list] = defaultdict(list)
            for f in files:
                found = self._identify(f)
                if found is not None:
                    by_source[found[0].name].append((f, found[1]))
            self._bar = _progress_bar(len(files), "  load")
            plans = [
                self._plan(source, by_source[source.name])
                for source in sources.SOURCES
                if by_source.get(source.name)
            ]
            # one stream of parse work for every source, in order: the workers go on to the next source's
            # files while this process commits the last files of the one before
            parsed = parallel_map(_parse_batch, [task for plan in plans for task in plan.tasks])
            try:
                for plan in plans:
                    self._load_source(plan, parsed)
            finally:
                parsed.close()  # on a failure, nothing more is parsed and the workers stop now
            if self._bar is not None:
                self._bar.close()
            write_loaded_ledger(self.con, loaded_ledger_path(s))
        finally:
            self.con.close()
        return self.summary

    def _identify(self, path: Path) -> tuple[sources.Source, sources.FileId] | None:
        """The file's source and identity, or None after rejecting a file in the wrong place or misnamed, a
        link (which could point at any file on the server, or another council's file) or an over-long name."""
        rel = path.relative_to(self.settings.landing)
        folder = rel.parts[0] if len(rel.parts) > 1 else ""
        if path.is_symlink() or not path.is_file():
            what = "a symbolic link" if path.is_symlink() else "not a regular file"
            message = f"the landing entry is {what}: copy the file itself into the landing folder"
            self._reject(path, folder or "unknown", [file_error(path, "not_a_regular_file", message)])
            return None
        if len(path.name) > MAX_NAME_CHARS:
            message = f"the file name is {len(path.name)} characters long (at most {MAX_NAME_CHARS})"
            self._reject(path, folder or "unknown", [file_error(path, "file_name", message)])
            return None
        known = sources.folders()
        if folder not in known:
            where = ", ".join(f"landing/{k}" for k in known)
            message = f"landing/{folder} is not a source folder" if folder else f"files go in {where}"
            self._reject(path, "unknown", [file_error(path, "file_place", message, folder or path.name)])
            return None
        found = sources.identify(rel)
        if found is None:
            pattern = sources.patterns_of(folder)
            self._reject(
                path,
                folder,
                [
                    file_error(
                        path, "file_name", f"the file name does not follow the pattern {pattern}", path.name
                    )
                ],
            )
        return found

    def _plan(self, source: sources.Source, items: list[tuple[Path, sources.FileId]]) -> _SourcePlan:
        """What the load does with a source's files, decided before anything is written: the files it
        rejects, skips or retries later (done by `_load_source`, in turn, so the load log keeps the order of
        loading the sources one after another), and the batches its workers parse. A source's `batches`
        sees the warehouse as it was when the load began (only council HR reads it, for its own tables)."""
        steps: list[Callable[[], None]] = []
        ready = []
        for path, fid in items:
            errors = source.check(path, fid, self.today)
            if errors:
                steps.append(
                    functools.partial(self._reject, path, source.name, errors, fid, source.whole_file_dataset)
                )
            elif self._unchanged(path):
                steps.append(functools.partial(self._skip_unchanged, path, source.name))
            elif (why := source.not_ready(path)) is not None:
                steps.append(
                    functools.partial(self._not_ready, path, source.name, fid, why, dt.datetime.now())
                )
            else:
                ready.append((path, fid))
        batches = source.batches(ready, self.con) if ready else []
        threshold = self.settings.row_threshold(source.folder)
        return _SourcePlan(source, steps, [(source, b, self.pseudo, self.today, threshold) for b in batches])

    def _load_source(self, plan: _SourcePlan, parsed) -> None:
        """The source's planned steps, then its parsed batches (the next len(plan.tasks) from `parsed`),
        committed in order."""
        source = plan.source
        for step in plan.steps:
            step()
        accepted: list[FileResult] = []  # committed together, in order (see _commit_together)
        for results in itertools.islice(parsed, len(plan.tasks)):
            for result in results:
                if result.waiting or not result.accepted:
                    self._commit_together(source, accepted)
                    self._apply(source, result)
                    continue
                accepted.append(result)
                if len(accepted) >= COMMIT_GROUP_FILES or source.commit_before_next(result):
                    self._commit_together(source, accepted)
        self._commit_together(source, accepted)

    def _commit_together(self, source: sources.Source, accepted: list[FileResult]) -> None:
        """Commit accepted files in one transaction (a commit per small file dominated the load stage).
        The load log, the raw rows and their load ids are those of committing them one by one: files are
        written in the same order, and a file whose source must act on its commit before the next file
        (a staff dataset re-validates its dependents) ends the group. If the group fails, it is rolled
        back and each file is committed on its own, so one file's failure rejects only that file."""
        if not accepted:
            return
        group, accepted[:] = list(accepted), []
        if len(group) > 1:
            for r in group:
                for ld in r.loads:
                    ld.rejected = redact_errors(ld.rejected, self.pseudo, ld.la_code)
            try:
                commit_files(self.con, [(r.path.name, r.loads, r.retire) for r in group], self._waiting_names)
            except Exception:
                for r in group:  # already redacted: redacting again changes nothing
                    self._apply(source, r)
                return
            for r in group:
                self._waiting_names.discard(r.path.name)
                self._after_loaded(r.path, source.name, r.loads)
                source.after_commit(self.con, r, self.progress)
            return
        self._apply(source, group[0])

    def _apply(self, source: sources.Source, r: FileResult) -> None:
        """Commit one file's loads, or log it waiting, or quarantine it: one file's failure, whatever it is,
        never stops the others."""
        if r.waiting:
            self._waiting(source, r)
        elif not r.accepted:
            self._reject(r.path, source.name, r.errors, r.fid, source.whole_file_dataset)
        else:
            try:
                self._loaded(r.path, source.name, r.loads, r.retire)
            except Exception as exc:  # a value the raw table cannot take: rolled back, nothing was kept
                self._reject(
                    r.path,
                    source.name,
                    [file_error(r.path, "not_stored", f"the file could not be stored ({_first_line(exc)})")],
                    r.fid,
                    source.whole_file_dataset,
                )
                return
            source.after_commit(self.con, r, self.progress)

    # -- outcomes ------------------------------------------------------------------------------------
    def _unchanged(self, path: Path) -> bool:
        """The file is loaded already with the same bytes."""
        if self._done is None:
            self._done = loaded_files(self.con)
        return (path.name, sha256_of(path)) in self._done

    def _skip_unchanged(self, path: Path, source: str) -> None:
        self.summary.outcomes.append(FileOutcome(path.name, source, "unchanged"))
        self._tick()

    def _tick(self) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def _reject(
        self,
        path: Path,
        source: str,
        errors: list[RowError],
        fid: sources.FileId | None = None,
        whole_file_dataset: str = "",
    ) -> None:
        errors = errors or [file_error(path, "rejected", "the file was rejected")]
        sha = sha256_of(path) if path.is_file() and not path.is_symlink() else None
        clear_waiting(self.con, path.name)
        la_code = fid.la_code if fid else None
        log_outcome(
            self.con,
            Load(
                source=source,
                dataset=(fid.dataset if fid else None) or whole_file_dataset,
                la_code=la_code,
                period_end=fid.period_end if fid else None,
                period_label=fid.period_label if fid else None,
                file_name=path.name,
                file_sha256=sha,
                outcome="rejected",
                rejected=redact_errors(errors, self.pseudo, la_code),
                message=errors[0].describe_without_value(),
            ),
        )
        target = quarantine(self.settings, path, source, errors)
        first = errors[0].describe()
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        self.summary.outcomes.append(FileOutcome(path.name, source, "rejected", first + more, errors=errors))
        self._tick()
        self.progress(f"  rejected {path.name}: {first}{more} -> {target.relative_to(self.settings.home)}")

    def _loaded(self, path: Path, source: str, loads: list[Load], retire=()) -> None:
        for ld in loads:  # rows rejected under a row-error threshold: kept without personal values
            ld.rejected = redact_errors(ld.rejected, self.pseudo, ld.la_code)
        if path.name in self._waiting_names:
            clear_waiting(self.con, path.name)
            self._waiting_names.discard(path.name)
        commit_loads(self.con, loads, retire)
        self._after_loaded(path, source, loads)

    def _after_loaded(self, path: Path, source: str, loads: list[Load]) -> None:
        rows = sum(ld.row_count for ld in loads)
        detail = ", ".join(f"{ld.dataset} {ld.row_count}" for ld in loads if ld.table)
        self.summary.outcomes.append(FileOutcome(path.name, source, "loaded", detail, rows))
        if self.verbose:
            self.progress(f"  loaded {path.name}: {detail}")
        self._tick()

    def _waiting(self, source: sources.Source, r: FileResult) -> None:
        fid = r.fid
        log_outcome(
            self.con,
            Load(
                source=source.name,
                dataset=fid.dataset or source.whole_file_dataset,
                la_code=fid.la_code,
                period_end=fid.period_end,
                period_label=fid.period_label,
                file_name=r.path.name,
                file_sha256=sha256_of(r.path),
                outcome="waiting_for_staff",
                message=r.waiting,
            ),
        )
        self._waiting_names.add(r.path.name)
        self.summary.outcomes.append(FileOutcome(r.path.name, source.name, "waiting_for_staff", r.waiting))
        self.progress(f"  waiting {r.path.name}: {r.waiting}")

    def _not_ready(
        self, path: Path, source: str, fid: sources.FileId, why: str, seen_at: dt.datetime | None = None
    ) -> None:
        """A file that does not open yet; `seen_at` is when that was found (the file's age is taken then)."""
        age = (seen_at or dt.datetime.now()) - dt.datetime.fromtimestamp(path.stat().st_mtime)
        if age > NOT_READY_GRACE:
            message = f"the file cannot be opened ({why}) and has not changed for 10 minutes"
            self._reject(path, source, [file_error(path, "unreadable", message)], fid)
        else:
            self.summary.outcomes.append(FileOutcome(path.name, source, "not_ready", why))
            self.progress(f"  not ready yet {path.name}: {why}; will retry")


@dataclass
class _SourcePlan:
    """A source's share of a load (Ingestor._plan)."""

    source: sources.Source
    steps: list[Callable[[], None]]  # rejecting, skipping or retrying files, in the files' order
    tasks: list[tuple]  # the batches to parse (_parse_batch's arguments)


def _progress_bar(total: int, label: str, unit: str = "file"):
    """A progress bar on a terminal for many files (none in logs, tests or small batches)."""
    import sys

    if total < 20 or not sys.stdout.isatty() or os.environ.get("TQDM_DISABLE"):
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit=unit, leave=False)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [exc.__class__.__name__])[0][:300]


def _parse_batch(source, batch, pseudo, today, threshold) -> list[FileResult]:
    """A source's parse of one batch; any failure rejects the batch's files with a message naming them,
    and the other batches go on. Values the raw tables cannot hold reject their file too."""
    try:
        results = source.parse(batch, pseudo, today, threshold)
    except Exception as exc:  # an untrusted file must never stop the load of the others
        if isinstance(exc, FileUnreadable):
            message = str(exc)
        else:
            message = f"the file could not be read ({exc.__class__.__name__}: {_first_line(exc)})"
        return [
            FileResult(path, fid, errors=[file_error(path, "unreadable", message)])
            for path, fid in batch.files
        ]
    for r in results:
        workbook = r.path.suffix.lower() == ".xlsx"
        problems = [e for ld in r.loads for e in unstorable(ld, ld.dataset if workbook else "")]
        if problems:
            r.loads, r.errors, r.retire = [], problems, []
        for ld in r.loads:
            ld.pack()
    return results


LOAD_CHECKPOINT_THRESHOLD = "128MB"
COMMIT_GROUP_FILES = 256  # accepted files committed in one transaction (Ingestor._commit_together)


def parallel_map(fn, tasks: list[tuple]):
    """fn(*task) for each task, in order: parsing is CPU-bound Python, so large batches use every core (or
    WORKFORCE_LOAD_WORKERS), while the caller commits results one by one in the order of a serial run."""
    cores = os.cpu_count() or 1
    return isolated.parallel_map(
        fn, tasks, min(cores, int(os.environ.get("WORKFORCE_LOAD_WORKERS") or cores))
    )


def loaded_ledger_path(settings) -> Path:
    return settings.logs / "loaded-files.json"


def write_loaded_ledger(con, path: Path) -> None:
    """The files the load log holds as loaded (name -> sha256s), for the landing sensor, which must not open
    the warehouse (one writer per DuckDB file): a file already loaded with the same bytes does not trigger
    a run, e.g. when the sensor is first switched on over a landing folder a refresh already loaded."""
    ledger: dict[str, list[str]] = defaultdict(list)
    for name, sha in sorted(loaded_files(con)):
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
