"""Page links for long lists, in the shape of the NHS.UK numbered pagination component."""

from typing import Any
from urllib.parse import urlencode


def pages(path: str, query: dict[str, Any], *, page: int, per_page: int, total: int
          ) -> dict[str, Any] | None:
    """The pagination component's parameters (None when everything fits on one page): the
    first, last and nearby pages numbered, the gaps shown as ellipses; every link keeps the
    list's search and filters."""
    last = max(1, (total + per_page - 1) // per_page)
    if last == 1:
        return None
    kept = {k: v for k, v in query.items() if v not in (None, "") and k != "page"}

    def href(n: int) -> str:
        return f"{path}?{urlencode({**kept, 'page': n})}"

    items: list[dict[str, Any]] = []
    for n in range(1, last + 1):
        if n in (1, last) or abs(n - page) <= 1:
            items.append({"number": n, "href": href(n), "current": n == page})
        elif items and not items[-1].get("ellipsis"):
            items.append({"ellipsis": True})
    return {"items": items, "previous": {"href": href(page - 1)} if page > 1 else {},
            "next": {"href": href(page + 1)} if page < last else {},
            "ariaLabel": "Pages of people"}
