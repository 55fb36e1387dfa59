"""Every route of the app as (method, path), flattening FastAPI's included routers."""

from collections.abc import Iterator

from fastapi import FastAPI

SKIP_METHODS = {"HEAD", "OPTIONS"}


def all_routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    for route in app.routes:
        contexts = route.effective_route_contexts() if hasattr(route, "effective_route_contexts") \
            else [route]
        for ctx in contexts:
            original = getattr(ctx, "original_route", ctx)
            methods = getattr(original, "methods", None)
            if not methods:
                continue  # mounts (static files)
            for method in sorted(set(methods) - SKIP_METHODS):
                yield method, ctx.path
