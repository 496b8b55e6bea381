"""The registry of input sources: one package per source beside this module.

Everything that depends on which sources exist is derived from `SOURCES`: which landing folders exist, how
a landing file is identified (`identify`), which submission it belongs to, the raw tables each source
writes (each package registers them with `warehouse.register_raw_table` on import), the CLI's choices, the
sensor's grouping and the rebuild selection. Adding a source is adding a package and one line here.
"""

from __future__ import annotations

from pathlib import Path, PurePath

from . import agency_use, council_hr, csww_return, dfe_published
from .base import FileId, Source

# A file goes to the first source whose name pattern matches it, sources with a pattern of their own before
# catch-alls (a CSWW return's or an agency return's name before the DfE published files' "any other *.csv").
SOURCES: list[Source] = [
    council_hr.SOURCE_DEF,
    csww_return.SOURCE_DEF,
    dfe_published.SOURCE_DEF,
    agency_use.SOURCE_DEF,
]


def register(source: Source) -> None:
    """Add a source (e.g. a package of an alliance's own dataset) to the registry."""
    if any(s.name == source.name for s in SOURCES):
        raise ValueError(f"a source named {source.name} is already registered")
    SOURCES.append(source)


def unregister(name: str) -> None:
    SOURCES[:] = [s for s in SOURCES if s.name != name]


def by_name(name: str) -> Source:
    for s in SOURCES:
        if s.name == name:
            return s
    raise KeyError(name)


def folders() -> list[str]:
    """The landing sub-folders, in registry order."""
    return list(dict.fromkeys(s.folder for s in SOURCES))


def names() -> list[str]:
    return [s.name for s in SOURCES]


def sources_named(name: str) -> list[str]:
    """The sources a name stands for: a source's own name, or a landing folder (every source in it)."""
    if name in names():
        return [name]
    return [s.name for s in SOURCES if s.folder == name]


def patterns_of(folder: str) -> str:
    return " or ".join(s.pattern for s in SOURCES if s.folder == folder)


def identify(path: str | PurePath) -> tuple[Source, FileId] | None:
    """The source and identity of a landing file: from its folder (`council_hr/...`) when the path has one,
    else from its name alone. None: no source takes it (it is reported with the pattern it should follow)."""
    parts = PurePath(path).parts
    folder, name = (parts[-2] if len(parts) > 1 else None), parts[-1]
    # sources with a pattern of their own before catch-alls (the DfE's "any other *.csv")
    for s in sorted(SOURCES, key=lambda s: s.catch_all):
        if folder is not None and folder in folders() and s.folder != folder:
            continue
        fid = s.identify(name)
        if fid is not None:
            return s, fid
    return None


def source_of(path: str | Path) -> str | None:
    found = identify(path)
    return found[0].name if found else None


def raw_tables_of(sources: set[str]) -> set[str]:
    """The raw data tables the given sources write."""
    from ..warehouse import RAW_TABLE_SOURCES

    return {t for t, s in RAW_TABLE_SOURCES.items() if s in sources}
