#!/usr/bin/env bash
# Every test: builds the environment from uv.lock (with the dev group), parses the dbt project (dagster-dbt
# needs its manifest), checks lint and formatting (ruff), then runs pytest (loaders, marts on hand-made fixtures, checks, publishing, Dagster).
set -euo pipefail
cd "$(dirname "$0")/.."
export DO_NOT_TRACK=1 DAGSTER_DISABLE_TELEMETRY=1 GX_ANALYTICS_ENABLED=False TQDM_DISABLE=1
python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check uv
python3 -m uv sync --frozen --quiet
bash scripts/system-deps.sh
python3 -m uv run --frozen ruff check .
python3 -m uv run --frozen ruff format --check .
python3 -m uv run --frozen dbt parse --project-dir . --profiles-dir profiles --quiet
python3 -m uv run --frozen python -m pytest "$@"
