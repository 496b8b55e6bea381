"""What every source shares: the LA-code and period rules, column checks, the row-error threshold."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..io import Sheet
from ..pseudonymise import NEVER_STORED
from ..values import ErrorCollector, RowReader, clean_text

# An ONS code of a local authority with social care responsibilities (inputs-common.md): E06, E08, E09 or
# E10 followed by 6 digits. ASCII digits only, so full-width digits in a name never pass.
LA_CODE = r"(E0[689][0-9]{6}|E10[0-9]{6})"


def check_columns_generic(
    sheet: Sheet,
    required: Iterable[str],
    optional: Iterable[str],
    errors: ErrorCollector,
    label: str,
    never_stored: set[str] = frozenset(),
) -> tuple[list[str], list[str]]:
    """File-level column checks. Returns (personal columns dropped on read, warnings).

    A missing required column or a repeated column is a file-level error; unknown extra columns are ignored
    with a warning listing them.
    """
    present = [h for h in sheet.headers if h]
    dropped = sorted({h for h in present if h in NEVER_STORED or h in never_stored})
    warnings = []
    for col in required:
        if col not in present:
            errors.file_error("missing_column", f"the required column {col} is missing", column=col)
    known = set(required) | set(optional) | set(dropped)
    extra = sorted({h for h in present if h not in known})
    if extra:
        warnings.append(f"{label}: ignored unknown columns {', '.join(extra)}")
    dup = sorted({h for h in present if present.count(h) > 1})
    if dup:
        errors.file_error("duplicate_column", f"the column(s) {', '.join(dup)} appear more than once")
    return dropped, warnings


def ethnicity(r: RowReader, ctx: Any, column: str = "ethnicity") -> tuple[str | None, str | None]:
    """(value as given, DfE code). Blank is NOBT (Unknown); an unmapped value is a row error."""
    from ..reference_data import ethnicity_codes

    raw = clean_text(r.row.get(column))
    code = ethnicity_codes().resolve(raw, ctx.la_code)
    if code is None:
        r.fail(
            column,
            "ethnicity_code",
            f'"{raw}" is not a known ethnicity code or label (see seeds/ethnicity_codes.csv, or add the '
            f"council's own label to seeds/ethnicity_local_labels.csv)",
        )
    return raw, code


def unique(r: RowReader, seen: dict, key: Any, column: str, what: str) -> None:
    """Duplicate-key rule: the second and later rows with the same key are row errors."""
    if key is None:
        return
    if key in seen:
        r.fail(column, "duplicate_key", f"{what} is repeated (first on row {seen[key]})")
    else:
        seen[key] = r.row_number
