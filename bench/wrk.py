"""Driving the server with wrk (a load generator written in C, the Debian package `wrk`), so
read-only figures do not depend on the Python load generator sharing the processor."""

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

# The paths are taken in turn; done() prints the summary as one JSON line.
SCRIPT = """
local paths = {%(paths)s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK-JSON {"requests": %%d, "micros": %%d, "bytes": %%d, "connect": %%d, "read": %%d, ' ..
    '"write": %%d, "status": %%d, "timeout": %%d, "p50_us": %%d, "p90_us": %%d, ' ..
    '"p95_us": %%d, "p99_us": %%d, "max_us": %%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max))
end
"""


def available() -> bool:
    return shutil.which("wrk") is not None


def run(base: str, paths: list[str], *, headers: dict[str, str] | None = None,
        connections: int = 8, seconds: float = 10, threads: int = 1) -> dict:
    """Requests/s, latency percentiles (ms) and errors (non-2xx/3xx answers included)."""
    quoted = ", ".join(json.dumps(p) for p in paths)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(SCRIPT % {"paths": quoted})
        script = Path(f.name)
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s",
               "--timeout", "30s", "-s", str(script)]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    try:
        out = subprocess.run(command + [base + paths[0]], capture_output=True, text=True,
                             check=True, timeout=seconds + 60).stdout
    finally:
        script.unlink(missing_ok=True)
    line = next(x for x in out.splitlines() if x.startswith("WRK-JSON "))
    raw = json.loads(line.removeprefix("WRK-JSON "))
    seconds_run = raw["micros"] / 1e6
    errors = sum(raw[k] for k in ("connect", "read", "write", "status", "timeout"))
    return {"requests": raw["requests"], "rps": round(raw["requests"] / seconds_run, 1),
            "p50_ms": raw["p50_us"] / 1000, "p90_ms": raw["p90_us"] / 1000,
            "p95_ms": raw["p95_us"] / 1000, "p99_ms": raw["p99_us"] / 1000,
            "max_ms": raw["max_us"] / 1000, "errors": errors, "non_2xx_3xx": raw["status"],
            "connections": connections, "seconds": round(seconds_run, 2)}
