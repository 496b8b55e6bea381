"""Reports for people, not BI tools: each council's WRES report and the alliance overview (outputs.md)."""

from .builder import (
    ALLIANCE_REPORT,
    COUNCIL_REPORT,
    ReportResult,
    build_reports,
    pdf_engine,
    render_alliance,
    render_council,
    write_pdf,
)

__all__ = [
    "ALLIANCE_REPORT",
    "COUNCIL_REPORT",
    "ReportResult",
    "build_reports",
    "pdf_engine",
    "render_alliance",
    "render_council",
    "write_pdf",
]
