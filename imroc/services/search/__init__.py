"""Search across what a person may see: sites, cycles' PDSA records, actions, shared changes
and discussion threads. The page and the API both call `search`.

Every source runs once per search whatever the data (one statement each, a second only for a
page past the end), so a search costs the same at 10 sites or 500. A word matches
anywhere in a field, in any case; every word must match; % and _ are only themselves.
"""

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from imroc.errors import Invalid
from imroc.models.search import SearchKind
from imroc.services.access import Principal
from imroc.services.search import sources
from imroc.services.search.words import Hit, Terms, parse, pieces

__all__ = ["SOURCES", "Group", "Hit", "Result", "Terms", "parse", "parse_kind", "pieces",
           "search"]

Source = Callable[..., tuple[list[Hit], int]]

# Each kind and where it is looked for, in the order the results are shown. A new source is
# a function of sources.py's shape (it filters by what the person may open, in SQL), a member
# of SearchKind with its KIND_LABELS, and a line here.
SOURCES: dict[SearchKind, Source] = {
    SearchKind.sites: sources.sites,
    SearchKind.cycles: sources.cycles,
    SearchKind.actions: sources.actions,
    SearchKind.changes: sources.changes,
    SearchKind.threads: sources.threads,
}


@dataclass(frozen=True)
class Group:
    """One kind's results: how many were found, and the page of them asked for."""

    kind: SearchKind
    total: int
    hits: list[Hit]


@dataclass(frozen=True)
class Result:
    terms: Terms
    kind: SearchKind | None
    groups: list[Group]

    @property
    def total(self) -> int:
        return sum(g.total for g in self.groups)

    @property
    def counts(self) -> dict[SearchKind, int]:
        return {g.kind: g.total for g in self.groups}


def parse_kind(kind: str | None) -> SearchKind | None:
    """The kind to show alone (None: every kind), or Invalid naming `kind`."""
    if kind in (None, ""):
        return None
    try:
        return SearchKind(kind)
    except ValueError:
        raise Invalid({"kind": "Select what to show"}) from None


def search(session: Session, *, principal: Principal, q: str | None,
           kind: SearchKind | str | None = None, limit: int = 20,
           offset: int = 0) -> Result:
    """What this person may see holding every word of `q`: for each kind (or only `kind`),
    `limit` results after the first `offset`, best first, and how many of every kind there
    are. Bad input is Invalid, naming `q` or `kind`."""
    errors: dict[str, str] = {}
    try:
        terms = parse(q)
    except Invalid as exc:
        errors |= exc.errors
    try:
        only = parse_kind(kind)
    except Invalid as exc:
        errors |= exc.errors
    if errors:
        raise Invalid(errors)
    groups = []
    for name, source in SOURCES.items():
        shown = only is None or name == only
        # A kind not shown is still counted: one row carries the count.
        hits, total = source(session, principal=principal, terms=terms,
                             limit=limit if shown else 1, offset=offset if shown else 0)
        groups.append(Group(kind=name, total=total, hits=hits if shown else []))
    return Result(terms=terms, kind=only, groups=groups)
