"""Counting the SQL statements each request runs (for the benchmark and for diagnosis)."""

from contextvars import ContextVar

from sqlalchemy import Engine, event
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_count: ContextVar[list[int] | None] = ContextVar("imroc_sql_count", default=None)
_installed: set[int] = set()


def install(engine: Engine) -> None:
    """Count every statement the engine runs inside a counted request."""
    if id(engine) in _installed:
        return
    _installed.add(id(engine))

    @event.listens_for(engine, "before_cursor_execute")
    def _count_statement(*_args):
        box = _count.get()
        if box is not None:
            box[0] += 1


class SqlCounter:
    """Adds X-SQL-Statements: the number of statements this request ran."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        box = [0]
        token = _count.set(box)

        async def send_with_count(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-SQL-Statements"] = str(box[0])
            await send(message)

        try:
            await self.app(scope, receive, send_with_count)
        finally:
            _count.reset(token)
