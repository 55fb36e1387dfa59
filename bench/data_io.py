"""Time exports and imports of a 500-site programme (6 cycles each) on SQLite and PostgreSQL.

    .venv/bin/python -m bench.data_io [--db sqlite|postgres|both] [--sites 500] [--cycles 6]

Seeds the programme with bench/seed.py, exports it (tables, XLSX, zip of CSVs), then imports
the XLSX into a second, empty database: a dry run first, then for real. Prints the figures
and writes them to bench/results/<time>-data-io-<database>.json. The load average is
recorded too: on a shared machine the wall times stretch, the CPU times much less.
"""

import argparse
import io
import json
import os
import resource
import tempfile
import time
import zipfile
from pathlib import Path

from bench.server import drop, prepare

ROOT = Path(__file__).resolve().parent.parent


def timed(label: str, figures: dict, fn):
    """Wall time, and this process's CPU time (steadier on a shared machine)."""
    started, cpu = time.perf_counter(), time.process_time()
    result = fn()
    figures[label] = {"seconds": round(time.perf_counter() - started, 2),
                      "cpu_seconds": round(time.process_time() - cpu, 2)}
    print(f"  {label:<28} {figures[label]['seconds']:>8.2f} s "
          f"(CPU {figures[label]['cpu_seconds']:.2f} s)", flush=True)
    return result


def run(db: str, sites: int, cycles: int) -> dict:
    from imroc.db import get_engine, read_session, write_session
    from imroc.services.data_io import export_files, exports
    from imroc.services.data_io.imports import run_import

    figures: dict = {"database": db, "sites": sites, "cycles_per_site": cycles}
    with tempfile.TemporaryDirectory() as tmp:
        for folder in ("source", "target"):
            (Path(tmp) / folder).mkdir()
        source, seeded, counts = prepare(db, Path(tmp) / "source", {"sites": sites,
                                                                     "cycles": cycles})
        figures["rows"] = {k: v for k, v in counts.items()
                           if k in ("site", "cycle", "rating", "score", "prio", "action")}
        print(f"{db}: seeded {counts['site']} sites, {counts['cycle']} cycles, "
              f"{counts['rating']:,} ratings in {seeded:.1f} s", flush=True)
        with read_session() as session:
            export = timed("export: read the tables", figures,
                           lambda: exports.programme_export(session, principal=None))
        xlsx = timed("export: write XLSX", figures, lambda: export_files.to_xlsx(export.tables))
        archive = timed("export: write zip of CSVs", figures,
                        lambda: export_files.to_zip(export))
        figures["xlsx_mb"] = round(len(xlsx) / 1e6, 1)
        figures["zip_mb"] = round(len(archive) / 1e6, 1)
        with zipfile.ZipFile(io.BytesIO(archive)) as zf:
            figures["zip_unpacked_mb"] = round(sum(i.file_size for i in zf.infolist()) / 1e6, 1)
        get_engine().dispose()
        empty, _, _ = prepare(db, Path(tmp) / "target", {"sites": 0, "sets": 0, "cycles": 0})
        for label, dry in (("import XLSX: dry run", True), ("import XLSX: for real", False)):
            with write_session() as session:
                report = timed(label, figures, lambda d=dry: run_import(
                    session, xlsx, principal=None, dry_run=d, max_bytes=1 << 30))
            assert not report.problems, report.problems[:5]
        figures["imported"] = report.counts
        with write_session() as session:
            again = exports.programme_export(session, principal=None)
        same = all(again.tables[t] == export.tables[t] for t in export.tables)
        figures["round_trip_identical"] = same
        print(f"  XLSX {figures['xlsx_mb']} MB, zip {figures['zip_mb']} MB "
              f"(unpacks to {figures['zip_unpacked_mb']} MB); "
              f"re-export identical: {same}", flush=True)
        get_engine().dispose()
        drop(db, source)
        drop(db, empty)
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    figures["load_average"] = [round(x, 1) for x in os.getloadavg()]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--sites", type=int, default=500)
    parser.add_argument("--cycles", type=int, default=6)
    args = parser.parse_args()
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    for db in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        figures = run(db, args.sites, args.cycles)
        path = out / f"{time.strftime('%Y%m%d-%H%M%S')}-data-io-{db}.json"
        path.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"  written to {path.relative_to(ROOT)}", flush=True)


if __name__ == "__main__":
    main()
