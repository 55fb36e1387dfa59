"""Dashboard bodies kept per data version, so a page nobody changed is not rendered again."""

from collections import OrderedDict
from collections.abc import Callable
from threading import Lock

from markupsafe import Markup
from sqlmodel import Session

from imroc import clock
from imroc.services.dashboards import aggregates as dashboards
from imroc.templating import env


class BodyCache:
    """Rendered dashboard bodies, one per page and filters, each valid for one data version.

    The data version is the newest audit event's id and every write is audited, so a body is
    never served after the data under it has changed; the app still keeps no state that a
    request depends on. Only the newest version of each page is kept (older ones can never
    be asked for again), as one string, within a bound on entries and characters.
    """

    def __init__(self, entries: int = 256, chars: int = 32_000_000) -> None:
        self._items: OrderedDict[tuple, tuple[tuple, Markup, bool]] = OrderedDict()
        self._chars = 0
        self._lock = Lock()
        self.max_entries, self.max_chars = entries, chars

    def get(self, key: tuple, version: tuple, build: Callable[[], tuple[Markup, bool]]
            ) -> tuple[Markup, bool]:
        """The body for `key` at `version` (and whether it has charts), built if need be."""
        with self._lock:
            found = self._items.get(key)
            if found is not None and found[0] == version:
                self._items.move_to_end(key)
                return found[1], found[2]
        body, has_charts = build()
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._chars -= len(old[1])
            self._items[key] = (version, body, has_charts)
            self._chars += len(body)
            while self._items and (len(self._items) > self.max_entries
                                   or self._chars > self.max_chars):
                _, (_, dropped, _) = self._items.popitem(last=False)
                self._chars -= len(dropped)
        return body, has_charts

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._chars = 0


BODIES = BodyCache()


def kept_body(session: Session, key: tuple, template: str,
              build: Callable[[], dict]) -> tuple[Markup, bool]:
    """A dashboard's body for this data version (and day: overdue actions depend on it)."""
    def rendered() -> tuple[Markup, bool]:
        context = build()
        return Markup(env.get_template(template).render(context)), bool(context["charts"])

    version = (dashboards.data_version(session), clock.today())
    return BODIES.get(key, version, rendered)
