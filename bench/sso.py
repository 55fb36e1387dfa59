"""How long a sign-in through single sign-on takes on loopback: the real server (SQLite) and
the tests' real OpenID provider (tests/oidc/), 50 sign-ins one after another, each a new
browser: start, the provider's login form, the callback (code exchange and ID token checks),
and the first page. Prints the median and the 95th percentile.

    python -m bench.sso [--count 50]
"""

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider, callback_path, free_port

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=50)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="imroc-bench-sso-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    provider = OidcProvider([base])
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMROC_")}
    env.update({"IMROC_DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}", "IMROC_ENV": "test",
                "IMROC_COOKIE_SECURE": "false", "IMROC_SECRET_KEY": "bench-" + "z" * 40,
                "IMROC_LOG_LEVEL": "WARNING", "IMROC_BASE_URL": base,
                # This checkout's code, whichever environment the command comes from.
                "PYTHONPATH": str(ROOT),
                "IMROC_OIDC_ISSUER": provider.issuer, "IMROC_OIDC_CLIENT_ID": CLIENT_ID,
                "IMROC_OIDC_CLIENT_SECRET": CLIENT_SECRET,
                "IMROC_OIDC_ALLOWED_DOMAINS": "trust.nhs.uk"})
    imroc = str(Path(os.sys.executable).parent / "imroc")
    subprocess.run([imroc, "db", "upgrade"], env=env, cwd=tmp, check=True, capture_output=True)
    server = subprocess.Popen([imroc, "serve", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, cwd=tmp, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        times = []
        for i in range(args.count + 3):  # the first three warm up
            with httpx.Client(base_url=base, timeout=10) as browser:
                began = time.perf_counter()
                started = browser.get("/sign-in/oidc")
                assert started.status_code == 303, started.text
                back = provider.log_in(started.headers["location"], "alice",
                                       base + "/sign-in/oidc/callback")
                done = browser.get(callback_path(back))
                assert done.status_code == 303, done.text
                assert browser.get("/").status_code == 200
                if i >= 3:
                    times.append((time.perf_counter() - began) * 1000)
        times.sort()
        p95 = times[max(0, round(0.95 * len(times)) - 1)]
        print(json.dumps({"sign_ins": len(times), "median_ms": round(statistics.median(times), 1),
                          "p95_ms": round(p95, 1), "max_ms": round(times[-1], 1)}))
    finally:
        server.terminate()
        server.wait(timeout=10)
        provider.stop()


if __name__ == "__main__":
    main()
