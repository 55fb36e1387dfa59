"""create_app(): middleware, static files, routers and error handlers."""

import logging

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response
from starlette.types import Scope

from imroc import __version__, handlers
from imroc.api import router as api_router
from imroc.config import get_settings
from imroc.middleware import BodyLimit, RequestLog, SecurityHeaders
from imroc.routes import router as html_router
from imroc.templating import PLOTLY_DIR, STATIC_DIR


class CachedStatic(StaticFiles):
    """Static files; fingerprinted URLs (?v=) are cached for a year as immutable."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if b"v=" in scope.get("query_string", b"") and response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        else:
            response.headers.setdefault("Cache-Control", "public, max-age=300")
        return response


def create_app() -> FastAPI:
    """Build the web application."""
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(message)s")
    app = FastAPI(
        title="imroc",
        version=__version__,
        description="The ImROC organisational self-audit and Plan-Do-Study-Act tracker.",
        docs_url=None,
        redoc_url=None,
    )
    handlers.install(app)
    app.mount("/static/vendor/plotly", CachedStatic(directory=PLOTLY_DIR), name="plotly")
    app.mount("/static", CachedStatic(directory=STATIC_DIR), name="static")
    app.include_router(api_router)
    app.include_router(html_router)
    app.add_middleware(BodyLimit, max_bytes=settings.max_upload_bytes)
    app.add_middleware(GZipMiddleware, minimum_size=800)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestLog)
    if settings.count_sql:
        from imroc import sqlcount
        from imroc.db import get_engine

        sqlcount.install(get_engine())
        app.add_middleware(sqlcount.SqlCounter)
    return app
