"""Peak memory of checking a zip upload whose CSV entry is large (the import's worst case).

    .venv/bin/python -m bench.zip_memory [--mb 480 31]

For each size, writes a zip holding one ratings CSV of about that many megabytes
(compressing to a few hundred kilobytes: the same rows again and again), then runs the
import's dry run on it in a fresh process and reports that process's peak RSS, what the
import answered and how long it took. Figures go to bench/results/<time>-zip-memory.json.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROW = ("Site {n},1,1,rater{n}@example.org,Rater,staff,3,2,"
       "A comment about the evidence the group looked at for this challenge\n")
CHILD = """
import json, resource, sys, time
from imroc.errors import Invalid
from imroc.services.data_io import import_files
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
try:
    kind, tables = import_files.read(data, max_bytes=1 << 30)
    answer = f"read: {sum(len(s.rows) for s in tables.values()):,} rows"
except Invalid as exc:
    answer = f"refused: {exc.message}"
print(json.dumps({"answer": answer, "seconds": round(time.perf_counter() - started, 2),
                  "start_rss_mb": round(before / 1024),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
"""


def make_zip(path: Path, megabytes: int) -> int:
    header = ("Site,Cycle,Challenge,Rater,Rater name,Perspective,Level,Framework version,"
              "Comment\n")
    written = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, \
            zf.open("ratings.csv", "w", force_zip64=True) as entry:
        entry.write(header.encode())
        n = 0
        while written < megabytes * 1_000_000:
            chunk = "".join(ROW.format(n=(n + k) % 1000) for k in range(1000)).encode()
            entry.write(chunk)
            written += len(chunk)
            n += 1000
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, nargs="+", default=[480, 31])
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for mb in args.mb:
            path = Path(tmp) / f"entry-{mb}.zip"
            unpacked = make_zip(path, mb)
            out = subprocess.run([sys.executable, "-c", CHILD, str(path)], check=True,
                                 capture_output=True, text=True, cwd=ROOT).stdout
            figure = {"entry_mb": round(unpacked / 1e6), "zip_kb": path.stat().st_size // 1024,
                      **json.loads(out.strip().splitlines()[-1])}
            results.append(figure)
            print(f"  {figure['entry_mb']} MB entry ({figure['zip_kb']} KB zip): "
                  f"peak RSS {figure['peak_rss_mb']} MB, {figure['seconds']} s; "
                  f"{figure['answer']}", flush=True)
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    path = out_dir / f"{time.strftime('%Y%m%d-%H%M%S')}-zip-memory.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"  written to {path.relative_to(ROOT)}", flush=True)


if __name__ == "__main__":
    main()
