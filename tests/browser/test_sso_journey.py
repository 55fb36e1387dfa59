"""Browser journey: a person signs in with their organisation's account at a real OpenID
provider (tests/oidc/) and lands on their home page, as a person of an allowed domain with no
roles yet. (Signing out through the provider's end-session endpoint is tested over plain HTTP
in tests/test_sso.py.)"""

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, _bin, _free_port
from tests.oidc_provider import OidcProvider

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sso_server():
    """The real server on its own SQLite database, set up for single sign-on."""
    tmp = Path(tempfile.mkdtemp(prefix="imroc-browser-sso-"))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    provider = OidcProvider([base])
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMROC_")}
    env.update({"IMROC_DATABASE_URL": f"sqlite:///{tmp / 'sso.db'}", "IMROC_ENV": "test",
                "IMROC_COOKIE_SECURE": "false", "IMROC_SECRET_KEY": "browser-sso-" + "q" * 40,
                "IMROC_LOG_LEVEL": "WARNING", "IMROC_BASE_URL": base,
                # This checkout's code, whichever environment the command comes from.
                "PYTHONPATH": str(ROOT),
                **provider.env(IMROC_OIDC_ALLOWED_DOMAINS="trust.nhs.uk")})
    imroc = _bin("imroc")
    done = subprocess.run([imroc, "db", "upgrade"], env=env, cwd=tmp, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    server = subprocess.Popen([imroc, "serve", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, cwd=tmp, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "no server"
            time.sleep(0.1)
        yield base, provider
    finally:
        server.terminate()
        server.wait(timeout=10)
        provider.stop()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def chromium(playwright_sync):
    """Its own Chromium, so the journey does not wait for the demo server of the others."""
    b = playwright_sync.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=CHROMIUM_ARGS)
    yield b
    b.close()


def test_sign_in_with_the_organisation_account(chromium, sso_server):
    base, provider = sso_server
    ctx = chromium.new_context(base_url=base)
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    try:
        page.goto("/sign-in")
        page.get_by_role("button", name="Sign in with your NHS organisation").click()
        page.wait_for_url(provider.issuer + "/**")
        page.locator('input[name="login"]').fill("alice")
        page.locator('input[name="password"]').fill("any password")
        page.locator('button[type="submit"]').click()
        page.wait_for_url(base + "/")
        assert page.get_by_role("heading", level=1).inner_text() == "Hello, Alice Ashworth"
        assert "Ask your steering group lead for access" in page.content()
    finally:
        ctx.close()
