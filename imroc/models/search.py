"""Searching what a person may see: the kinds of thing found, and a search's answer (no
tables of its own)."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

# Bounds of what may be searched for: shorter finds nearly everything, longer is no search.
MIN_QUERY = 2
MAX_QUERY = 200
MAX_WORDS = 10


class SearchKind(StrEnum):
    """What a search can find, in the order results are shown. A new kind is added here and
    as a source in services/search/__init__.py."""

    sites = "sites"
    cycles = "cycles"
    actions = "actions"
    changes = "changes"
    threads = "threads"


# Each kind in words on the pages: (one, many).
KIND_LABELS = {
    SearchKind.sites: ("site", "sites"),
    SearchKind.cycles: ("PDSA record", "PDSA records"),
    SearchKind.actions: ("action", "actions"),
    SearchKind.changes: ("shared change", "shared changes"),
    SearchKind.threads: ("discussion thread", "discussion threads"),
}
_MANY = [many for _one, many in KIND_LABELS.values()]
# The search box's label, in the header and on the search page: every kind it finds.
SEARCH_LABEL = "Search " + ", ".join(_MANY[:-1]) + " and " + _MANY[-1]


class SearchHitPublic(BaseModel):
    kind: SearchKind
    title: str
    # A short plain-text excerpt around the first word found (never markup).
    snippet: str
    # What the snippet is taken from ("Aim", "Notes", "Post"); empty for a site, whose
    # snippet is its organisation, region and kind.
    field: str
    # The page that shows it; it opens for the person who searched.
    url: str
    # When it last changed (a post: when it was written).
    when: datetime
    # The site, or the learning set's or the programme's discussion, it belongs to.
    place: str


class SearchPage(BaseModel):
    q: str
    # The words searched for: every one must appear in a result.
    terms: list[str]
    kind: SearchKind | None
    limit: int
    offset: int
    # How many of each kind were found, whatever `kind` is.
    counts: dict[SearchKind, int]
    # Up to `limit` of each kind asked for (after `offset` of them), best first.
    hits: list[SearchHitPublic]
