"""Browser tests: the real server in a subprocess, driven by Debian's Chromium.

The server always runs against its own temporary SQLite database (migrated and seeded
with the framework and the demo programme), whatever IMROC_TEST_DATABASE says: the
in-process tests' database settings in os.environ are never passed on to it.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
AXE_JS = HERE / "vendor" / "axe.min.js"
SCREENSHOTS = HERE / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
# Statuses the htmx configuration (base.html) swaps in: a conflict, invalid input, too many.
EXPECTED_STATUS = re.compile(r"status of (409|422|429) ")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PASSWORD = "imroc-demo-2026"
ROLES = {
    "admin": "admin@imroc.example",
    "programme": "programme@imroc.example",
    "facilitator": "facilitator1@imroc.example",
    "lead": "s01.lead@imroc.example",
    "lived": "s01.lived@imroc.example",
}


def _bin(name: str) -> str:
    return str(ROOT / ".venv" / "bin" / name) if (ROOT / ".venv" / "bin" / name).exists() \
        else str(Path(sys.executable).parent / name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The server's database file, for the few tests that must change what only time changes
# (a session that has lapsed); and the mailbox of the real SMTP server it sends mail to.
SERVER_DATABASE: dict[str, Path] = {}
SERVER_MAIL: dict = {}


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """Migrate, seed and serve a private SQLite database; yield the base URL."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)")
    from aiosmtpd.controller import Controller

    from tests.conftest import Mailbox

    tmp = Path(tempfile.mkdtemp(prefix="imroc-browser-"))
    port, smtp_port = _free_port(), _free_port()
    SERVER_MAIL["box"] = Mailbox()
    smtp = Controller(SERVER_MAIL["box"], hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMROC_")}
    env.update({
        "IMROC_DATABASE_URL": f"sqlite:///{tmp / 'browser.db'}",
        "IMROC_ENV": "test",
        "IMROC_COOKIE_SECURE": "false",
        "IMROC_SECRET_KEY": "browser-test-secret-" + "y" * 40,
        "IMROC_LOG_LEVEL": "WARNING",
        "IMROC_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "IMROC_BASE_URL": f"http://127.0.0.1:{port}",
        # This checkout's code, whichever environment the command comes from.
        "PYTHONPATH": str(ROOT),
    })
    imroc = _bin("imroc")
    for args in (["db", "upgrade"], ["seed", "framework"], ["seed", "demo"]):
        done = subprocess.run([imroc, *args], cwd=tmp, env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, f"imroc {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
    SERVER_DATABASE["path"] = tmp / "browser.db"
    log = open(tmp / "server.log", "w")
    proc = subprocess.Popen([imroc, "serve", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("server did not start:\n" + (tmp / "server.log").read_text())
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        smtp.stop()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def crawls(request):
    """The crawl of test_pages.py, started with the first browser test so that it runs
    alongside the others (None when no crawl test was collected)."""
    if not any(item.name.startswith("test_every_reachable_page")
               for item in request.session.items):
        return None
    from tests.browser.crawl import Crawls

    return Crawls(request.getfixturevalue("server"))


@pytest.fixture(scope="session")
def playwright_sync():
    """The one sync Playwright of the session: a second one started while it runs is refused
    ("Sync API inside the asyncio loop"), so every browser of the main thread comes from it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_sync, server: str):
    b = playwright_sync.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=CHROMIUM_ARGS)
    yield b
    b.close()


@dataclass
class Problems:
    """Console errors, uncaught exceptions and CSP violations seen on a page."""

    items: list[str] = field(default_factory=list)

    def watch(self, page) -> None:
        def on_console(msg) -> None:
            text = msg.text
            if text.startswith("Failed to load resource") and (
                    msg.location.get("url") == page.url or EXPECTED_STATUS.search(text)):
                # The page's own status (each test asserts the one it expects), or an answer
                # that htmx swaps in as a page would (a form re-shown with its errors).
                return
            if msg.type == "error" or "Content Security Policy" in text:
                self.items.append(f"{page.url}: console {msg.type}: {text}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.items.append(f"{page.url}: pageerror: {exc}"))

    def take(self) -> list[str]:
        out, self.items = self.items, []
        return out


# CSP violations also fire an event in the page: report them on the console too.
CSP_LISTENER_JS = (
    "document.addEventListener('securitypolicyviolation', e => console.error("
    "'CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI + ' ' + "
    "(e.sourceFile || '') + ':' + e.lineNumber));")
AXE_RUN_JS = ("tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
              " resultTypes: ['violations']})")
AXE_PRESENT_JS = "typeof window.axe === 'object'"


def context_options(server: str) -> dict:
    return {"base_url": server, "viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def new_page(browser, server):
    """A factory of pages in fresh contexts; each page's problems are watched."""
    contexts = []

    def make():
        ctx = browser.new_context(**context_options(server))
        ctx.set_default_timeout(15_000)
        # The CSP forbids inline scripts, so page.add_script_tag(path=...) (which inlines the
        # file) is refused. An init script is not subject to the page's CSP, and (unlike
        # routing a URL to the file) leaves the browser's HTTP cache on.
        ctx.add_init_script(path=str(AXE_JS))
        ctx.add_init_script(CSP_LISTENER_JS)
        contexts.append(ctx)
        page = ctx.new_page()
        problems = Problems()
        problems.watch(page)
        return page, problems

    yield make
    for ctx in contexts:
        ctx.close()


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/sign-in" not in url)


def run_axe(page) -> list[dict]:
    """axe-core's WCAG 2.2 AA violations for the page (axe is injected into every page)."""
    assert page.evaluate(AXE_PRESENT_JS), "axe-core was not injected"
    return page.evaluate(AXE_RUN_JS, AXE_TAGS)["violations"]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:10]:
            lines.append(f"      {json.dumps(node['target'])}: "
                         f"{(node.get('failureSummary') or '').splitlines()[-1:]}")
    return "\n".join(lines)


def screenshot_path(name: str) -> str:
    SCREENSHOTS.mkdir(exist_ok=True)
    return str(SCREENSHOTS / f"{name}.png")


def screenshot(page, name: str) -> None:
    page.screenshot(path=screenshot_path(name), full_page=True)
