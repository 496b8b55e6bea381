"""CSWW XML parse rate: this project's streaming parser beside the method of the London alliance's cleaner
(liiatools: XSD validation with xmlschema, then a DOM walk). liiatools itself does not install on Python
3.11 (it pins cchardet 2.1.7), so its method is reimplemented here with xmlschema and a schema written from
the contract (benchmarks/csww.xsd)."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
KEY = "benchmark-only-throwaway-key-" + "b" * 20


def bench_csww(workdir: Path, workers: int = 20000) -> dict:
    """Parse rate of one large CSWW return: this project's streaming parser vs the liiatools method."""
    import random
    import xml.etree.ElementTree as ET

    from workforce_warehouse.pseudonymise import Pseudonymiser
    from workforce_warehouse.sample import Council
    from workforce_warehouse.sources.csww_return import parse_return
    from workforce_warehouse.sources.csww_return.sample import csww_xml

    rng = random.Random(1)
    council = Council("E09000022", 0, rng, dt.date(2023, 4, 1), dt.date(2025, 3, 31), 400)
    # the 2023 layout: the one benchmarks/csww.xsd describes (GenderCurrent, SWENo of exactly 10 digits)
    text = csww_xml(council, 2023, rng, [])
    head, first, rest = text.partition("  <CSWWWorker>")
    blocks = [("  <CSWWWorker>" + b) for b in (first and rest or "").split("  <CSWWWorker>")]
    blocks[-1] = blocks[-1].replace("</Message>\n", "")
    parts = [
        re.sub(r"<SWENo>SW\d{10}</SWENo>", f"<SWENo>SW{i:010d}</SWENo>", blocks[i % len(blocks)])
        for i in range(workers)
    ]
    big = workdir / "csww_E09000022_2023.xml"
    big.write_text(head + "".join(parts) + "</Message>\n", encoding="utf-8")
    n = workers

    start = time.monotonic()
    loads, errors = parse_return(big, "E09000022", 2023, Pseudonymiser(KEY.encode()), dt.date(2026, 1, 1))
    ours = time.monotonic() - start
    result = {"workers": n, "ours_seconds": round(ours, 2), "ours_workers_per_second": round(n / ours)}

    try:
        import xmlschema
    except ImportError:
        result["liiatools_method"] = "xmlschema not installed (uv sync installs it with the dev group)"
        return result
    start = time.monotonic()
    schema = xmlschema.XMLSchema(str(PROJECT / "benchmarks" / "csww.xsd"))
    schema.validate(str(big))
    tree = ET.parse(big)
    rows = [{c.tag: c.text for c in w} for w in tree.getroot().iter("CSWWWorker")]
    theirs = time.monotonic() - start
    result.update(
        {
            "liiatools_method_seconds": round(theirs, 2),
            "liiatools_method_workers_per_second": round(len(rows) / theirs),
            "speedup": round(theirs / ours, 1),
        }
    )
    return result
