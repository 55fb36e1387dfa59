"""A router that turns a request away at once when none of its routes could match the path.

FastAPI finds a request's route by asking every route of every included router in turn, and
asks again on the way down to the router that matched: with two hundred routes that was the
largest single cost of a kept dashboard. Each of our routers first compares the path's shape
with its routes' (how many segments, and the fixed first and last ones, counted from the
end so that a prefix added by an including router changes nothing) and answers "no match"
when no route fits; FastAPI's own matching decides everything else, unchanged.
"""

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.routing import Match, Route
from starlette.types import Scope

ANY = None  # a segment that holds a path parameter


class Router(APIRouter):
    """An APIRouter whose `matches` first rules out paths that none of its routes can take."""

    _shapes: dict[int, frozenset[tuple[str | None, str | None]]] | None = None
    _shapes_of = -1  # how many routes the shapes were taken from

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not self._could_match(scope):
            return Match.NONE, {}
        return super().matches(scope)

    def _could_match(self, scope: Scope) -> bool:
        if scope.get("root_path"):
            return True  # served under a prefix of a proxy's: leave it all to FastAPI
        if self._shapes_of != len(self.routes):
            self._shapes, self._shapes_of = route_shapes(self.routes), len(self.routes)
        if self._shapes is None:
            return True
        parts = scope["path"].split("/")[1:]
        last = parts[-1] if parts else ""
        for length, shapes in self._shapes.items():
            if length > len(parts):
                continue
            first = parts[-length]
            if (first, last) in shapes or (ANY, last) in shapes or (first, ANY) in shapes \
                    or (ANY, ANY) in shapes:
                return True
        return False


def route_shapes(routes: list) -> dict[int, frozenset[tuple[str | None, str | None]]] | None:
    """By number of segments, the (first, last) fixed segments of every route's path; None
    when some route's path cannot be judged this way (a parameter spanning segments, a mount,
    a router of another kind)."""
    found: dict[int, set[tuple[str | None, str | None]]] = {}
    for route in routes:
        original = getattr(route, "original_router", None)
        if original is not None:  # an included router: its routes' shapes, prefix aside
            if not isinstance(original, Router):
                return None
            inner = route_shapes(original.routes)
            if inner is None:
                return None
            for length, shapes in inner.items():
                found.setdefault(length, set()).update(shapes)
            continue
        if not isinstance(route, APIRoute | Route) or ":path}" in route.path:
            return None
        parts = [ANY if "{" in p else p for p in route.path.split("/")[1:]]
        if not parts:
            return None
        found.setdefault(len(parts), set()).add((parts[0], parts[-1]))
    return {length: frozenset(shapes) for length, shapes in found.items()}
