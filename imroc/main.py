"""create_app(): middleware, static files, routers and error handlers."""

import ctypes
import ctypes.util
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import make_url
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response
from starlette.types import Scope

from imroc import __version__, api, handlers, routes
from imroc.config import Settings, get_settings
from imroc.middleware import BodyLimit, RequestLog, SecurityHeaders
from imroc.templating import PLOTLY_DIR, STATIC_DIR

# Where evidence is uploaded (a page and the API): bodies there may carry a larger file.
EVIDENCE_UPLOAD = r"(/api/v1)?/cycles/[0-9]+/evidence"


class CachedStatic(StaticFiles):
    """Static files; fingerprinted URLs (?v=) are cached for a year as immutable."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if b"v=" in scope.get("query_string", b"") and response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        else:
            response.headers.setdefault("Cache-Control", "public, max-age=300")
        return response


def tune_process() -> None:
    """Settings for a long-running server process (not for tests, which make many apps).

    Everything loaded at start-up (modules, templates, the engine) is moved out of the
    garbage collector's sight, and it runs less often: a full collection over that heap
    stalled every request for about 100 ms several times a minute under load. Threads
    share at most two malloc arenas: otherwise each thread of the pool kept its own copy
    of a password hash's 19 MiB and a burst of sign-ins held about 300 MB more.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 10)
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    if libc is not None and hasattr(libc, "mallopt"):  # glibc
        m_arena_max = -8
        libc.mallopt(m_arena_max, 2)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    if get_settings().env != "test":
        tune_process()
    yield


def _refuse_a_missing_database(settings: Settings) -> None:
    """In production a missing SQLite file is a mistake (a wrong path, a lost volume), not a
    wish for a new empty database: say so at start-up instead of creating one silently."""
    if settings.env != "production" or not settings.is_sqlite:
        return
    name = make_url(settings.database_url).database
    if name and name != ":memory:" and not Path(name).exists():
        raise RuntimeError(f"The database file {name} does not exist. Check IMROC_DATABASE_URL; "
                           "for a new installation, run 'imroc db upgrade' first.")


def create_app() -> FastAPI:
    """Build the web application."""
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(message)s")
    _refuse_a_missing_database(settings)
    app = FastAPI(
        title="imroc",
        version=__version__,
        description="The ImROC organisational self-audit and Plan-Do-Study-Act tracker.",
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    handlers.install(app)
    app.mount("/static/vendor/plotly", CachedStatic(directory=PLOTLY_DIR), name="plotly")
    app.mount("/static", CachedStatic(directory=STATIC_DIR), name="static")
    routes.include(app)
    api.include(app)
    app.include_router(routes.links)
    app.add_middleware(BodyLimit, max_bytes=settings.max_upload_bytes,
                       larger=[(EVIDENCE_UPLOAD, settings.evidence_max_bytes)])
    # Level 6: a 450 KB page in 3 ms rather than 16 ms at level 9, for 6% more bytes.
    app.add_middleware(GZipMiddleware, minimum_size=800, compresslevel=6)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestLog)
    if settings.count_sql:
        from imroc import sqlcount
        from imroc.db import get_engine

        sqlcount.install(get_engine())
        app.add_middleware(sqlcount.SqlCounter)
    return app
