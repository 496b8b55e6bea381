#!/usr/bin/env bash
# One command from a fresh clone: build the environment from uv.lock, write the bundled sample landing
# folder, run one refresh end to end (load -> dbt -> checks -> publish) and say where the results are.
set -euo pipefail
cd "$(dirname "$0")/.."
export WORKFORCE_HOME="${WORKFORCE_HOME:-$PWD/data}"
export DO_NOT_TRACK=1 DAGSTER_DISABLE_TELEMETRY=1 GX_ANALYTICS_ENABLED=False

python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check uv
python3 -m uv sync --frozen --quiet
if [ ! -f "$WORKFORCE_HOME/landing/.sample-manifest.json" ]; then
  python3 -m uv run --frozen workforce-warehouse sample --home "$WORKFORCE_HOME"
fi
set +e
python3 -m uv run --frozen workforce-warehouse refresh --home "$WORKFORCE_HOME"
code=$?
set -e
cat <<MSG

Published files: $WORKFORCE_HOME/published
  alliance.duckdb                     every council of the alliance, small numbers suppressed
  parquet/<table>.parquet             the same tables for Power BI, Superset or pandas
  councils/<LA code>/council.duckdb   one council's rows for its WRES lead, and its wres_report.html
  alliance_report.html                every council side by side
MSG
exit $code
