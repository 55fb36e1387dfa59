"""Pure ASGI middleware: security headers with a per-request CSP nonce, and request logs."""

import json
import logging
import re
import secrets
import time
from collections.abc import Sequence

from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from imroc.config import is_api

log = logging.getLogger("imroc.request")


def csp(nonce: str) -> str:
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}


class SecurityHeaders:
    """Adds the security headers and a fresh CSP nonce to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})["csp_nonce"] = nonce

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("Content-Security-Policy", csp(nonce))
                if is_api(scope["path"]):
                    # The API answers for the person behind the token: no cache keeps it.
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # Starlette answers an unhandled error outside every middleware, so its 500 would
            # lack these headers: answer here (it then sees a started response and re-raises).
            if not started:
                await _server_error(scope)(scope, receive, send_with_headers)
            raise


def _server_error(scope: Scope) -> Response:
    message = "Sorry, there is a problem with the service. Try again later."
    if is_api(scope["path"]):
        return JSONResponse({"detail": message}, status_code=500)
    return PlainTextResponse(message, status_code=500)


class RequestLog:
    """One structured (JSON) log line per request: method, path, status, duration."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            if log.isEnabledFor(logging.INFO):
                log.info(json.dumps({
                    "method": scope["method"], "path": loggable(scope["path"]),
                    "status": status["code"],
                    "ms": round((time.perf_counter() - start) * 1000, 1),
                }))


# Pages whose address holds a secret (a reset or invitation link): never written to a log.
SECRET_PATHS = ("/reset-password/", "/invitations/accept/")


def loggable(path: str) -> str:
    """The path as the log may keep it: a link's secret is left out."""
    for prefix in SECRET_PATHS:
        if path.startswith(prefix):
            return prefix + "(secret)"
    return path


# Room for a form's other fields and the multipart framing around a file at its limit.
FORM_MARGIN = 256 * 1024


class BodyLimit:
    """Refuses request bodies over a size limit (413) before anything reads them. Paths in
    `larger` (a pattern and the size of the file they take) may carry one file that size."""

    def __init__(self, app: ASGIApp, max_bytes: int,
                 larger: Sequence[tuple[str, int]] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = [(re.compile(pattern), size) for pattern, size in larger]

    def _limits(self, path: str) -> tuple[int, int]:
        """The most a request to `path` may send, and the file size its refusal names."""
        for pattern, size in self.larger:
            if pattern.fullmatch(path):
                return max(size + FORM_MARGIN, self.max_bytes), max(size, self.max_bytes)
        return self.max_bytes, self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes, shown = self._limits(scope.get("path", ""))
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await _too_large(scope, send, shown)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > max_bytes:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except BodyTooLarge:
            await _too_large(scope, send, shown)


class BodyTooLarge(Exception):
    pass


async def _too_large(scope: Scope, send: Send, limit: int) -> None:
    """413: JSON for the API; for a person, a page that says what to do next."""
    mb = limit / (1024 * 1024)
    size = f"{mb:g} MB" if mb >= 1 else f"{limit // 1024} KB"
    if is_api(scope.get("path", "")):
        body, kind = json.dumps({"detail": f"The request is larger than {size}"}).encode(), \
            b"application/json"
    else:
        body, kind = (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            "<title>The file is too large – ImROC self-audit</title></head><body><main>"
            "<h1>The file is too large</h1>"
            f"<p>Files and forms can be up to {size}. Go back and choose a smaller file. "
            + ("A whole programme's history can be imported with the <code>imroc import</code> "
               "command instead." if "/evidence" not in scope.get("path", "") else "")
            + "</p></main></body></html>").encode(), b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", kind),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
