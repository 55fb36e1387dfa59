"""A real OpenID provider for the tests: the npm package oidc-provider (pinned in
tests/oidc/package-lock.json, installed by `make test`) run by Node on a free loopback port,
with a test client and test accounts whose claims each test can change."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

HERE = Path(__file__).resolve().parent / "oidc"
CLIENT_ID = "imroc-test"
CLIENT_SECRET = "imroc-test-client-secret-0123456789"
OTHER_CLIENT_ID = "another-service"
# The accounts every test starts with: login -> claims (sub is the login).
ACCOUNTS = {
    "alice": {"email": "alice@trust.nhs.uk", "email_verified": True, "name": "Alice Ashworth"},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OidcProvider:
    """One provider process; `issuer` is its address, `set_account` changes claims."""

    def __init__(self, redirect_bases: list[str], *, id_token_seconds: int = 3600) -> None:
        if not (HERE / "node_modules" / "oidc-provider").is_dir():
            raise RuntimeError("tests/oidc/node_modules is missing: run `npm ci` in tests/oidc "
                               "(make test does)")
        self.tmp = Path(tempfile.mkdtemp(prefix="imroc-oidc-"))
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.accounts_file = self.tmp / "accounts.json"
        self.reset_accounts()
        clients = [{"client_id": client_id, "client_secret": CLIENT_SECRET,
                    "redirect_uris": [b + "/sign-in/oidc/callback" for b in redirect_bases],
                    "post_logout_redirect_uris": [b + "/sign-in" for b in redirect_bases]}
                   for client_id in (CLIENT_ID, OTHER_CLIENT_ID)]
        config = self.tmp / "config.json"
        config.write_text(json.dumps({"port": self.port, "issuer": self.issuer,
                                      "accounts": str(self.accounts_file), "clients": clients,
                                      "idTokenSeconds": id_token_seconds}))
        self.log = open(self.tmp / "provider.log", "w")
        self.proc = subprocess.Popen(["node", str(HERE / "provider.mjs"), str(config)],
                                     cwd=HERE, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(self.issuer + "/.well-known/openid-configuration",
                             timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the OpenID provider did not start:\n"
                                   + (self.tmp / "provider.log").read_text())
            time.sleep(0.1)

    def reset_accounts(self) -> None:
        self.accounts = {k: dict(v) for k, v in ACCOUNTS.items()}
        self.accounts_file.write_text(json.dumps(self.accounts))

    def set_account(self, login: str, **claims) -> None:
        self.accounts[login] = claims
        self.accounts_file.write_text(json.dumps(self.accounts))

    def env(self, **more: str) -> dict[str, str]:
        return {"IMROC_OIDC_ISSUER": self.issuer, "IMROC_OIDC_CLIENT_ID": CLIENT_ID,
                "IMROC_OIDC_CLIENT_SECRET": CLIENT_SECRET,
                "IMROC_OIDC_LABEL": "Sign in with your NHS organisation", **more}

    def log_in(self, authorize_url: str, login: str, redirect_prefix: str) -> str:
        """Play the person at the provider: follow its redirects, fill in its login form, and
        return the address it sends the browser back to (under redirect_prefix)."""
        with httpx.Client(timeout=10) as browser:
            url = authorize_url
            for _ in range(10):
                if url.startswith(redirect_prefix):
                    return url
                response = browser.get(url)
                if response.status_code in (302, 303):
                    url = httpx.URL(url).join(response.headers["location"]).__str__()
                    continue
                assert response.status_code == 200, response.text
                assert 'name="login"' in response.text, response.text
                action = response.text.split('action="', 1)[1].split('"', 1)[0]
                response = browser.post(httpx.URL(url).join(action), data={
                    "prompt": "login", "login": login, "password": "any"})
                assert response.status_code in (302, 303), response.text
                url = str(httpx.URL(url).join(response.headers["location"]))
        raise AssertionError("the provider never sent the browser back")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def callback_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def node_available() -> bool:
    return shutil.which("node") is not None and os.access(HERE, os.R_OK)
