"""PDF rendering: complaint_sheet_pdf for a typical hoja, cold (first render, WeasyPrint import included) and warm,
alternating with an anchor (a minimal A4 page in the same font). Database-independent (the hoja is read once),
so it runs once, on a throwaway SQLite file. Alone: `python -m bench.pdf`.
"""

from __future__ import annotations

import ctypes.util
import subprocess
import sys
import time
import warnings
from importlib import metadata
from statistics import median

from bench.common import scenario_main, timed, timing_stats

RENDERS = 30
WARMUP = 30
# The anchor (issue 11): a minimal A4 page in the sheet's font, a title and a paragraph, no table, no stylesheet
# beyond that, through the same WeasyPrint: what any PDF costs on this machine, rendered alternately with the sheet.
ANCHOR_HTML = (
    "<html><head><style>@page { size: A4 portrait; margin: 12mm } body { font-family: 'DejaVu Sans'; "
    "font-size: 9pt }</style></head><body><h1>Hoja de reclamación</h1><p>Nº 000000001-2026</p></body></html>"
)


def harfbuzz_subset() -> str:
    """Whether libharfbuzz-subset is installed (WeasyPrint subsets fonts about 4x slower without it)."""
    found = ctypes.util.find_library("harfbuzz-subset")
    if not found:
        try:
            listing = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=False).stdout  # noqa: S607
        except OSError:
            listing = ""
        found = next((line.split()[0] for line in listing.splitlines() if "harfbuzz-subset" in line), None)
    return f"installed ({found})" if found else "NOT installed (apt-get install libharfbuzz-subset0)"


def pdf_render() -> dict:
    from reclamaciones.book.pdf import complaint_sheet_pdf
    from reclamaciones.book.selectors import complaint_get_by_token
    from reclamaciones.book.services import complaint_file
    from tests.factories import EstablishmentFactory, filing_kwargs

    filed = complaint_file(**filing_kwargs(establishment=EstablishmentFactory()))
    complaint = complaint_get_by_token(token=filed.tracking_token)  # as the worker and the PDF view load it

    imported_before = "weasyprint" in sys.modules
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        import weasyprint  # noqa: F401  (timed: the first render in a fresh worker pays for it)

        t1 = time.perf_counter()
        first_pdf = complaint_sheet_pdf(complaint)
        t2 = time.perf_counter()
    harfbuzz_warning = any("HarfBuzz-Subset" in str(w.message) for w in caught)

    from weasyprint import HTML

    for _ in range(WARMUP):  # not timed: the first few dozen renders of a process are slower
        complaint_sheet_pdf(complaint)
        HTML(string=ANCHOR_HTML).write_pdf()
    durations, anchor = [], []
    started = time.perf_counter()
    for _ in range(RENDERS):  # alternately, so both see the same machine
        durations += timed(lambda: complaint_sheet_pdf(complaint), 1)[0]
        anchor += timed(lambda: HTML(string=ANCHOR_HTML).write_pdf(), 1)[0]
    wall = time.perf_counter() - started
    return {
        "parts": [
            {
                "title": "first render (cold: WeasyPrint import + first layout)",
                "stats": timing_stats([t2 - t0]),
            },
            {"title": f"{RENDERS} warm renders", "stats": timing_stats(durations, sum(durations))},
            {
                "title": f"anchor: {RENDERS} renders of a minimal A4 page in the same font, alternating with the sheet",
                "stats": timing_stats(anchor, sum(anchor)),
            },
        ],
        "checks": {
            "PDF size": f"{len(first_pdf) / 1024:.1f} KB",
            "starts with %PDF": "yes" if first_pdf.startswith(b"%PDF") else "NO",
            "sheet / anchor (p50)": f"{median(durations) / median(anchor):.1f}x",
            "both loops, wall": f"{wall:.2f} s",
        },
        "info": {
            "of which WeasyPrint import": f"{1000 * (t1 - t0):.0f} ms"
            + (" (already imported by Django set-up)" if imported_before else ""),
            "of which first render": f"{1000 * (t2 - t1):.0f} ms",
            "WeasyPrint": metadata.version("weasyprint"),
            "libharfbuzz-subset": harfbuzz_subset(),
            "HarfBuzz-Subset DeprecationWarning at import": "yes" if harfbuzz_warning else "no",
        },
    }


if __name__ == "__main__":
    scenario_main({"pdf-render": pdf_render}, database_independent=True)
