"""The data quality gate: dbt test results and Great Expectations suites, written to `data_quality`.

A failing `error` check blocks publishing (the previous published copy stays, `refresh` exits 2);
a failing `warn` check publishes and is listed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from .config import PROJECT_DIR, Settings

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TQDM_DISABLE", "1")


@dataclass
class CheckResult:
    check_name: str
    check_type: str  # dbt_test | great_expectations | publish_check (the publish step's own scan)
    layer: str
    table_name: str
    council: str | None
    outcome: str  # pass | fail | error
    severity: str  # error | warn
    failing_rows: int
    message: str
    # set on a result carried over from an earlier run (its table was not rebuilt in this one)
    checked_at: str | None = None

    @property
    def blocks(self) -> bool:
        return self.outcome != "pass" and self.severity == "error"


DQ_COLUMNS = [
    "check_name",
    "check_type",
    "layer",
    "table_name",
    "council",
    "outcome",
    "severity",
    "failing_rows",
    "message",
    "checked_at",
]


# ---------------------------------------------------------------------------------------------------
# dbt
# ---------------------------------------------------------------------------------------------------


def dbt_results(target_dir: Path = PROJECT_DIR / "target") -> list[CheckResult]:
    """Every dbt test (and any model error) of the last `dbt build`, from run_results.json."""
    path = target_dir / "run_results.json"
    if not path.exists():
        return [
            CheckResult(
                "dbt_build",
                "dbt_test",
                "dbt",
                "",
                None,
                "error",
                "error",
                0,
                "dbt produced no run_results.json: the build did not run",
            )
        ]
    results = json.loads(path.read_text())["results"]
    manifest = {}
    mpath = target_dir / "manifest.json"
    if mpath.exists():
        manifest = json.loads(mpath.read_text()).get("nodes", {})
    out = []
    for r in results:
        uid = r["unique_id"]
        node = manifest.get(uid, {})
        kind = uid.split(".")[0]
        status = r.get("status")
        if kind == "test":
            severity = (node.get("config") or {}).get("severity", "ERROR").lower()
            attached = node.get("attached_node") or ""
            table = (
                attached.split(".")[-1]
                if attached
                else ",".join(d.split(".")[-1] for d in (node.get("depends_on") or {}).get("nodes", []))
            )
            layer = _layer_of(manifest.get(attached, {}).get("path", "") if attached else "")
            outcome = {
                "pass": "pass",
                "fail": "fail",
                "warn": "fail",
                "error": "error",
                "skipped": "error",
            }.get(status, "error")
            message = r.get("message") or ("passed" if outcome == "pass" else status)
            if status == "skipped":
                message = "skipped: a model it tests did not build"
            out.append(
                CheckResult(
                    node.get("name", uid),
                    "dbt_test",
                    layer,
                    table,
                    None,
                    outcome,
                    "warn" if status == "warn" or severity == "warn" else "error",
                    int(r.get("failures") or 0),
                    message,
                )
            )
        elif status in ("error", "skipped") and kind in ("model", "seed", "snapshot"):
            out.append(
                CheckResult(
                    f"build {uid.split('.')[-1]}",
                    "dbt_test",
                    _layer_of(node.get("path", "")),
                    uid.split(".")[-1],
                    None,
                    "error",
                    "error",
                    0,
                    r.get("message") or f"{kind} {status}",
                )
            )
    return out


def _layer_of(path: str) -> str:
    for layer in ("staging", "intermediate", "marts"):
        if path.startswith(layer):
            return layer
    return "raw" if not path else path.split("/")[0]


# ---------------------------------------------------------------------------------------------------
# Great Expectations (pandas datasource)
# ---------------------------------------------------------------------------------------------------


class GxRunner:
    """One GX file context under <home>/gx; suites are (re)registered from expectations/suites.py, once per
    check per run (not once per batch: each registration rewrites the suite's and the validation
    definition's JSON files)."""

    def __init__(self, home: Path | None):
        import great_expectations as gx

        if home is None:
            self.context = gx.get_context(mode="ephemeral")
        else:
            home.mkdir(parents=True, exist_ok=True)
            self.context = gx.get_context(mode="file", project_root_dir=str(home))
        try:
            self.context.variables.progress_bars = {"globally": False}
        except Exception:  # older/newer config shapes: progress bars only
            pass
        self.datasource = self.context.data_sources.add_or_update_pandas("warehouse")
        self._definitions: dict[str, object] = {}
        self._written: list = []  # the suites and validation results this run stored: the docs to render

    def definition(self, check):
        """The check's validation definition: its suite and a whole-dataframe batch of its own asset."""
        import great_expectations as gx
        from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

        name = f"{check.layer}__{check.name}"
        vd = self._definitions.get(name)
        if vd is not None:
            return vd
        try:
            asset = self.datasource.get_asset(name)
        except (LookupError, Exception):
            asset = self.datasource.add_dataframe_asset(name)
        try:
            batch_def = asset.get_batch_definition("whole")
        except (KeyError, LookupError, Exception):
            batch_def = asset.add_batch_definition_whole_dataframe("whole")
        # The expectations go in with the suite: added one by one to a suite already saved, each is a write.
        suite = self.context.suites.add_or_update(
            gx.ExpectationSuite(name=name, expectations=check.expectations(check.params))
        )
        vd = self.context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=name, data=batch_def, suite=suite)
        )
        self._definitions[name] = vd
        self._written.append(ExpectationSuiteIdentifier(name=name))
        return vd

    def validate(self, check, frame: pd.DataFrame):
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        res = self.definition(check).run(
            batch_parameters={"dataframe": frame},
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": []},
        )
        self._written.append(
            ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=f"{check.layer}__{check.name}"),
                run_id=res.meta["run_id"],
                batch_identifier=res.batch_id,
            )
        )
        return res

    def build_docs(self) -> None:
        """Render this run's suites and validation results and the index (which lists every run's). The
        pages of earlier runs were rendered by their own refresh and do not change: rendering them all
        again, as a plain `build_data_docs()` does, took longer with every refresh the home had seen.
        A site without its index (never built, or deleted) is built whole."""
        try:
            root = self.context.root_directory
            index = Path(root) / "uncommitted" / "data_docs" / "local_site" / "index.html" if root else None
            if index is not None and index.exists() and self._written:
                self.context.build_data_docs(resource_identifiers=self._written)
            else:
                self.context.build_data_docs()
        except Exception:  # docs are a convenience; never fail a refresh over them
            pass


def _failed_expectations(res) -> list[tuple[object, int, list]]:
    """(configuration, failing rows, unexpected row indices) of each expectation that failed, in order."""
    out = []
    for r in res.results:
        if r.success:
            continue
        cfg = r.expectation_config
        result = r.result or {}
        n = int(result.get("unexpected_count") or 0)
        if cfg.type == "expect_table_row_count_to_equal":
            n = int(result.get("observed_value") or 0)
        out.append((cfg, n, list(result.get("unexpected_index_list") or [])))
    return out


def _describe(frame: pd.DataFrame, failed: list[tuple[object, int, list]]) -> tuple[int, str]:
    failing = 0
    parts = []
    for cfg, n, idx in failed:
        failing += n
        kwargs = {k: v for k, v in cfg.kwargs.items() if k not in ("batch_id",)}
        rows = (
            frame.loc[[i for i in idx if i in frame.index][:5]]
            if idx
            else (frame.head(5) if cfg.type == "expect_table_row_count_to_equal" else frame.iloc[0:0])
        )
        shown = "; ".join(
            ", ".join(f"{k}={v}" for k, v in row.items() if k in _ID_COLUMNS or k in kwargs.values())
            for _, row in rows.iterrows()
        )
        parts.append(
            f"{cfg.type}({', '.join(f'{k}={v}' for k, v in kwargs.items())}): {n} failing"
            + (f" e.g. {shown}" if shown else "")
        )
    return failing, " | ".join(parts)


def _row_by_row(check) -> bool:
    """Whether every expectation of the check judges each row on its own (a map expectation that every row
    must meet): then a whole frame's unexpected rows, split by council, are exactly each council's."""
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )

    return all(
        isinstance(e, ColumnMapExpectation | ColumnPairMapExpectation | MulticolumnMapExpectation)
        and getattr(e, "mostly", 1) == 1
        for e in check.expectations(check.params)
    )


def _split_by_batch(res, frame: pd.DataFrame, batches) -> list[list[tuple[object, int, list]]] | None:
    """Each batch's failed expectations, from one validation of the whole frame: a batch fails an
    expectation when some of its rows are among the unexpected ones. None when the result cannot be split
    exactly (an expectation failed without listing its rows, e.g. it raised): validate batch by batch."""
    import numpy as np

    if not frame.index.equals(pd.RangeIndex(len(frame))):
        return None
    owner = np.full(len(frame), -1, dtype=np.int64)  # the batch of each row of the frame
    local = np.zeros(len(frame), dtype=np.int64)  # its position in its batch (each batch is re-indexed)
    for b, (_, part) in enumerate(batches):
        owner[part.index.to_numpy()] = b
        local[part.index.to_numpy()] = np.arange(len(part))
    split: list[list[tuple[object, int, list]]] = [[] for _ in batches]
    for cfg, n, idx in _failed_expectations(res):
        exact = n > 0 and len(idx) == n
        exact = exact and all(isinstance(i, int | np.integer) and 0 <= i < len(frame) for i in idx)
        if not exact or (owner[idx] < 0).any():
            return None
        rows_of: dict[int, list[int]] = {}
        for i in idx:  # ascending, as a batch's own validation lists them
            rows_of.setdefault(int(owner[i]), []).append(int(local[i]))
        for b in sorted(rows_of):
            split[b].append((cfg, len(rows_of[b]), rows_of[b]))
    return split


_ID_COLUMNS = {
    "council",
    "period_end",
    "period_label",
    "measure",
    "metric",
    "file_name",
    "source",
    "dataset",
    "seniority_level",
    "service",
    "geography_level",
}


def run_gx_checks(
    con,
    checks,
    gx_home: Path | None,
    progress: Callable[[str], None] = print,
    build_docs: bool = True,
    councils: set[str] | None = None,
) -> list[CheckResult]:
    """Validate each check's frame. `councils`: a check batched by council validates only these councils'
    batches (a partitioned run changed only them); the caller carries the other batches' results over.

    A check batched by council whose expectations judge row by row is validated once, on the whole frame,
    and its unexpected rows are attributed to their councils: the same result per council as validating
    each council's rows on its own, for one validation instead of one per council (GX's own cost per
    validation, not the data, was most of the checks stage). Other batched checks validate council by
    council."""
    runner = GxRunner(gx_home)
    out: list[CheckResult] = []
    for check in checks:
        query = check.query
        if councils is not None and check.batch_by:
            listed = ", ".join("'" + c.replace("'", "''") + "'" for c in sorted(councils)) or "NULL"
            query = f'select * from ({check.query}) as q where q."{check.batch_by}" in ({listed})'
        try:
            frame = frame_of(con, query)
        except Exception as exc:  # the relation is missing or broken: that is itself a failure
            out.append(
                CheckResult(
                    check.name,
                    "great_expectations",
                    check.layer,
                    check.table,
                    None,
                    "error",
                    check.severity,
                    0,
                    f"could not read the data for this check: {exc}",
                )
            )
            continue
        batches = [(None, frame)]
        if check.batch_by and check.batch_by in frame.columns and len(frame):
            batches = [(str(k), g) for k, g in frame.groupby(check.batch_by, dropna=False)]
        split = None
        if len(batches) > 1 and _row_by_row(check):
            split = _split_by_batch(runner.validate(check, frame), frame, batches)
        for b, (council, part) in enumerate(batches):
            part = part.reset_index(drop=True)
            if split is not None:
                failed = split[b]
                passed = not failed
            else:
                res = runner.validate(check, part)
                failed, passed = _failed_expectations(res), res.success
            if passed:
                out.append(
                    CheckResult(
                        check.name,
                        "great_expectations",
                        check.layer,
                        check.table,
                        council,
                        "pass",
                        check.severity,
                        0,
                        "passed",
                    )
                )
            else:
                n, msg = _describe(part, failed)
                out.append(
                    CheckResult(
                        check.name,
                        "great_expectations",
                        check.layer,
                        check.table,
                        council,
                        "fail",
                        check.severity,
                        n,
                        msg,
                    )
                )
    if build_docs:
        runner.build_docs()
    failed = [r for r in out if r.outcome != "pass"]
    warned = sum(r.severity != "error" for r in failed)
    progress(
        f"  great expectations: {len(out) - len(failed)} passed, {warned} warned, {len(failed) - warned} failed"
    )
    return out


def frame_of(con, query: str) -> pd.DataFrame:
    """The relation as a pandas DataFrame, read through Arrow."""
    return con.execute(query).fetch_arrow_table().to_pandas()


CHECK_RESULTS_DDL = """
CREATE TABLE IF NOT EXISTS checks.results (
    check_name VARCHAR, check_type VARCHAR, layer VARCHAR, table_name VARCHAR, council VARCHAR,
    outcome VARCHAR, severity VARCHAR, failing_rows BIGINT, message VARCHAR, checked_at TIMESTAMPTZ
)
"""


def ensure_check_results(con) -> None:
    """The table the checks write (`checks.results`); the dbt model `data_quality` is built over it."""
    con.execute("CREATE SCHEMA IF NOT EXISTS checks")
    con.execute(CHECK_RESULTS_DDL)


def write_data_quality(con, results: list[CheckResult]) -> None:
    """Replace `checks.results` with this run's results (one transaction). The published `data_quality`
    is the dbt model over it, built (with its contract) right after: `pipeline.build_data_quality`."""
    now = dt.datetime.now(dt.UTC)
    rows = [dict(asdict(r), checked_at=r.checked_at or now) for r in results]
    df = pd.DataFrame(rows, columns=DQ_COLUMNS)
    ensure_check_results(con)
    con.register("_dq", df)
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM checks.results")
        con.execute("""INSERT INTO checks.results
                       SELECT check_name::VARCHAR, check_type::VARCHAR, layer::VARCHAR, table_name::VARCHAR,
                              council::VARCHAR, outcome::VARCHAR, severity::VARCHAR, failing_rows::BIGINT,
                              message::VARCHAR, checked_at::TIMESTAMPTZ
                       FROM _dq""")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_dq")


def carried_results(
    con, scope: set[str], councils: set[str] | None = None, batched: set[str] = frozenset()
) -> list[CheckResult]:
    """The last results of checks on tables a partial run did not rebuild: those tables are unchanged, so
    their results still stand (a failing one still blocks publishing). With `councils`, also the other
    councils' batches of the `batched` checks (validated one council at a time): their rows did not change.
    Empty before the first refresh."""
    try:
        rows = con.execute("SELECT * FROM checks.results").fetch_arrow_table().to_pylist()
    except Exception:
        return []
    out = []
    for r in rows:
        in_scope = any(t in scope for t in (r["table_name"] or "").split(","))
        other_council = (
            councils is not None
            and r["check_name"] in batched
            and r["council"] is not None
            and r["council"] not in councils
        )
        if (in_scope and not other_council) or r["check_name"] == "dbt_build":
            continue
        r["checked_at"] = str(r["checked_at"]) if r["checked_at"] is not None else None
        out.append(CheckResult(**{k: r[k] for k in DQ_COLUMNS}))
    return out


def gx_home(settings: Settings) -> Path:
    return settings.home / "quality"
