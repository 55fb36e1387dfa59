"""The crawl behind test_pages.py: every role signs in and follows every link it is shown.

It runs on Playwright's async API in a thread of its own (the sync Playwright of the other
tests owns the main thread's event loop), all five roles at once, and starts as soon as the
server is up, so it overlaps the other browser tests.
"""

import asyncio
import re
import threading
from urllib.parse import urlsplit

from tests.browser.conftest import (
    AXE_JS,
    AXE_PRESENT_JS,
    AXE_RUN_JS,
    AXE_TAGS,
    CHROMIUM,
    CHROMIUM_ARGS,
    CSP_LISTENER_JS,
    PASSWORD,
    ROLES,
    Problems,
    context_options,
    describe,
    screenshot_path,
)

# Links that are not pages of this service's templates (or that would sign out).
SKIP = re.compile(r"^/(static|api|docs|openapi\.json|sign-out|healthz|readyz)(/|$)|.*\.pdf$")
MAX_PAGES = 60
PAGES_PER_ROLE = 2  # pages of one role's crawl open at the same time
# Pages loading and being checked at once across all roles. The machine running the suite
# may have two cores shared with the server and the other browser tests: ten dashboards
# parsing plotly.js at once each had a tenth of the CPU, and a first visit ran past 30 s.
LOADS_AT_ONCE = 3
NAVIGATION_TIMEOUT_MS = 60_000


def kind_of(url: str) -> str:
    """`/sites/12/audit?page=2` -> `/sites/{id}/audit`: one visit per kind of page (a query
    string, such as the next page of a list, shows the same template)."""
    return re.sub(r"/\d+", "/{id}", urlsplit(url).path)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "home"


def failures_for(url: str, name: str, violations: list[dict], problems: Problems) -> list[str]:
    failures = []
    if violations:
        failures.append(f"{name} ({url}) has {len(violations)} axe violation(s):\n"
                        + describe(violations))
    found = problems.take()
    if found:
        failures.append(f"{name} logged problems:\n  " + "\n  ".join(found))
    return failures


async def _visit(page, problems, role: str, path: str,
                 loads: asyncio.Semaphore) -> tuple[list[str], list[str]]:
    """Load one page and check it; returns (failures, hrefs on the page)."""
    name = f"{role}-{slug(kind_of(path))}"
    async with loads:  # loading, axe and the screenshot are the CPU-hungry part
        response = await page.goto(path)
        failures = [] if response and response.status < 400 else \
            [f"{role}: link {path} answered {response.status if response else 'nothing'}"]
        assert await page.evaluate(AXE_PRESENT_JS), "axe-core was not injected"
        violations = (await page.evaluate(AXE_RUN_JS, AXE_TAGS))["violations"]
        failures += failures_for(page.url, name, violations, problems)
        await page.screenshot(path=screenshot_path(name), full_page=True)
        return failures, await page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)")


async def _crawl(browser, server: str, role: str,
                 loads: asyncio.Semaphore) -> tuple[set[str], list[str]]:
    ctx = await browser.new_context(**context_options(server))
    ctx.set_default_timeout(30_000)
    ctx.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    await ctx.add_init_script(path=str(AXE_JS))
    await ctx.add_init_script(CSP_LISTENER_JS)
    try:
        pages = []
        for _ in range(PAGES_PER_ROLE):
            page, problems = await ctx.new_page(), Problems()
            problems.watch(page)
            pages.append((page, problems))
        page = pages[0][0]
        await page.goto("/sign-in")
        await page.get_by_label("Email address").fill(ROLES[role])
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url(lambda url: "/sign-in" not in url)

        queue: asyncio.Queue[str] = asyncio.Queue()
        queue.put_nowait("/")
        seen, failures = {"/"}, []

        async def worker(page, problems) -> None:
            while True:
                path = await queue.get()
                try:
                    found, hrefs = await _visit(page, problems, role, path, loads)
                    failures.extend(found)
                    for href in hrefs:
                        parts = urlsplit(href)
                        if not href.startswith(server) or SKIP.match(parts.path):
                            continue
                        target = parts.path + (f"?{parts.query}" if parts.query else "")
                        if kind_of(target) not in seen and len(seen) < MAX_PAGES:
                            seen.add(kind_of(target))
                            queue.put_nowait(target)
                except Exception as exc:  # noqa: BLE001 - reported as a failure of the crawl
                    failures.append(f"{role}: {path} failed: {exc!r}")
                finally:
                    queue.task_done()

        workers = [asyncio.create_task(worker(p, pr)) for p, pr in pages]
        await queue.join()
        for task in workers:
            task.cancel()
        return seen, failures
    finally:
        await ctx.close()


async def _crawl_all(server: str) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                           args=CHROMIUM_ARGS)
        loads = asyncio.Semaphore(LOADS_AT_ONCE)
        try:
            results = await asyncio.gather(*(_crawl(browser, server, r, loads) for r in ROLES),
                                           return_exceptions=True)
        finally:
            await browser.close()
    return dict(zip(ROLES, results, strict=True))


class Crawls:
    """The crawl of every role, running in a background thread."""

    def __init__(self, server: str) -> None:
        self._results: dict = {}
        self._thread = threading.Thread(target=self._run, args=(server,), daemon=True)
        self._thread.start()

    def _run(self, server: str) -> None:
        try:
            self._results.update(asyncio.run(_crawl_all(server)))
        except Exception as exc:  # noqa: BLE001 - every role's test reports it
            self._results.update(dict.fromkeys(ROLES, exc))

    def result(self, timeout: float = 600) -> dict:
        """{role: (kinds of page visited, failures) or the exception that stopped it}."""
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the crawl did not finish"
        return self._results
