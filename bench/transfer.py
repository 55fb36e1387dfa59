"""Bytes a browser transfers on a second visit to a page, with its HTTP cache as the first left it.

The first visit fetches the page and every static file it needs (stylesheets, scripts, the
modules they import, the images their CSS points at) and remembers each file's caching
headers. The second visit, a day later, fetches the page again; a file whose max-age covers
a day is taken from the cache without a request, any other is asked for again with its
validator (If-None-Match / If-Modified-Since). Bytes are counted as sent: status line,
headers and the body as compressed on the wire. Where Chromium is installed the second visit
is also measured in the real browser (straight after the first, so within every max-age).
"""

import gzip
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import httpx

DAY = 24 * 60 * 60
_REFS = [
    re.compile(r'(?:href|src)="(/static/[^"]+)"'),  # <link>, <script>, icons
    re.compile(r'url\(["\']?(/static/[^)"\']+)["\']?\)'),  # CSS
    re.compile(r'(?:from|import)\s*\(?\s*["\'](/static/[^"\']+)["\']'),  # ES modules
]


@dataclass
class Visit:
    html_bytes: int = 0
    asset_bytes: int = 0
    asked_again: list[str] = field(default_factory=list)  # files not reused without a request
    from_cache: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.html_bytes + self.asset_bytes


def _wire(response, body: bytes) -> int:
    head = len(f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n")
    head += sum(len(k) + len(v) + 4 for k, v in response.headers.raw) + 2
    return head + len(body)


def _get(client, url: str, headers: dict[str, str]) -> tuple[object, bytes, int]:
    with client.stream("GET", url, headers={"Accept-Encoding": "gzip", **headers}) as r:
        raw = b"".join(r.iter_raw())  # as it crossed the wire, still compressed
    decoded = _decode(r.headers.get("content-encoding"), raw)
    return r, decoded, _wire(r, raw)


def _decode(encoding: str | None, raw: bytes) -> bytes:
    return gzip.decompress(raw) if encoding == "gzip" and raw else raw


def _refs(url: str, text: str) -> list[str]:
    found: list[str] = []
    for pattern in _REFS:
        found += [urljoin(url, m) for m in pattern.findall(text)]
    return list(dict.fromkeys(found))


def _import_map(html: str) -> dict[str, str]:
    """The page's import map: module specifiers and the URLs a browser loads instead."""
    match = re.search(r'<script type="importmap"[^>]*>(.*?)</script>', html, re.S)
    return json.loads(match.group(1)).get("imports", {}) if match else {}


def _max_age(cache_control: str) -> int:
    match = re.search(r"max-age=(\d+)", cache_control or "")
    return int(match.group(1)) if match and "no-cache" not in cache_control else 0


def second_visit(client, path: str, headers: dict[str, str] | None = None) -> Visit:
    """Visit `path` twice with an HTTP cache between; the second visit's bytes."""
    headers = headers or {}
    cache: dict[str, dict[str, str]] = {}
    response, body, _ = _get(client, path, headers)
    assert response.status_code == 200, f"{path}: {response.status_code}"
    html = body.decode()
    imports = _import_map(html)
    queue = _refs(path, html)
    while queue:
        url = queue.pop(0)
        if url in cache:
            continue
        r, content, _ = _get(client, url, headers)
        assert r.status_code == 200, f"{url}: {r.status_code}"
        cache[url] = {k: r.headers.get(k, "") for k in ("cache-control", "etag",
                                                          "last-modified")}
        if url.split("?")[0].endswith(".css"):
            queue += _refs(url, content.decode())
        elif url.split("?")[0].endswith(".js"):
            queue += [imports.get(u, u) for u in _refs(url, content.decode())]
    visit = Visit()
    response, body, visit.html_bytes = _get(client, path, headers)
    for url, stored in cache.items():
        if _max_age(stored["cache-control"]) >= DAY:
            visit.from_cache.append(url)
            continue
        validators = {k: v for k, v in (("If-None-Match", stored["etag"]),
                                        ("If-Modified-Since", stored["last-modified"])) if v}
        _, _, sent = _get(client, url, {**headers, **validators})
        visit.asked_again.append(url)
        visit.asset_bytes += sent
    return visit


def bench_pages(open_cycle: int) -> dict[str, str]:
    """Typical pages of the benchmark programme."""
    return {"site_dashboard": "/sites/1/dashboard", "learning_set_dashboard":
            "/learning-sets/1/dashboard", "programme_comparison": "/programme",
            "cycle_page": f"/cycles/{open_cycle}"}


def second_visits(base: str, cookie: str, open_cycle: int) -> dict:
    """Second-visit bytes for typical pages of the benchmark programme, signed in by `cookie`."""
    out = {}
    with httpx.Client(base_url=base, timeout=60) as client:
        for name, path in bench_pages(open_cycle).items():
            visit = second_visit(client, path, {"Cookie": cookie})
            out[name] = {"bytes": visit.total, "html_bytes": visit.html_bytes,
                         "asked_again": len(visit.asked_again),
                         "from_cache": len(visit.from_cache)}
    if Path(CHROMIUM).exists():
        for name, received in browser_second_visits(base, cookie, bench_pages(open_cycle)).items():
            out[name]["chromium_bytes"] = received
    return out


def browser_second_visits(base: str, cookie: str, paths: dict[str, str]) -> dict[str, int]:
    """The same, measured in Chromium: bytes received on a second load of each page.

    A fresh browser profile visits each page once, then again; the second visit's bytes
    are what the DevTools protocol reports as received (headers and compressed bodies).
    """
    from playwright.sync_api import sync_playwright

    name, value = cookie.split("=", 1)
    out: dict[str, int] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            context.add_cookies([{"name": name, "value": value, "url": base}])
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            received = [0]
            cdp.on("Network.loadingFinished",
                   lambda event: received.__setitem__(0, received[0] + event["encodedDataLength"]))
            for label, path in paths.items():
                page.goto(base + path, wait_until="networkidle")
                if "/sign-in" in page.url:
                    raise RuntimeError(f"{path}: the browser was sent to sign in")
                received[0] = 0
                page.goto(base + path, wait_until="networkidle")
                out[label] = received[0]
        finally:
            browser.close()
    return out


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
