"""The words of a search: what was typed, checked; matching them in SQL (the same on SQLite
and PostgreSQL); ranking; one page of a source's rows; excerpts and the marks in them."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, select

from imroc.errors import Invalid
from imroc.models.search import MAX_QUERY, MAX_WORDS, MIN_QUERY, SearchKind
from imroc.validation import untypable

SNIPPET = 200  # characters of an excerpt, about two lines
BEFORE = 60  # characters shown before the first word found


@dataclass(frozen=True)
class Terms:
    """What was searched for (trimmed) and its words, each to be found (any case)."""

    q: str
    words: tuple[str, ...]

    @property
    def patterns(self) -> list[str]:
        return [like(w) for w in self.words]


@dataclass(frozen=True)
class Hit:
    """One thing found, the same shape whatever its kind."""

    kind: SearchKind
    title: str
    snippet: str
    field: str
    url: str
    when: datetime
    place: str


def parse(q: str | None) -> Terms:
    """The search as typed, or Invalid naming `q` with what to do instead."""
    text = (q or "").strip()
    if untypable(text):
        raise Invalid({"q": "Your search has a character that cannot be searched for (a "
                            "control character)"})
    if not text:
        raise Invalid({"q": "Enter what you are looking for"})
    if len(text) < MIN_QUERY:
        raise Invalid({"q": f"Enter at least {MIN_QUERY} characters to search for"})
    if len(text) > MAX_QUERY:
        raise Invalid({"q": f"Your search must be {MAX_QUERY} characters or fewer"})
    words: dict[str, str] = {}
    for word in text.split():
        words.setdefault(word.casefold(), word)
    if len(words) > MAX_WORDS:
        raise Invalid({"q": f"Search for {MAX_WORDS} words or fewer"})
    return Terms(q=text, words=tuple(words.values()))


def like(word: str) -> str:
    """A LIKE pattern finding the word anywhere, its own % and _ taken literally."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _has(column: Any, pattern: str) -> ColumnElement[bool]:
    # ILIKE on PostgreSQL; lower() LIKE lower() on SQLite.
    return column.ilike(pattern, escape="\\")


def every_word(terms: Terms, columns: Sequence[Any]) -> list[ColumnElement[bool]]:
    """One condition per word: found in at least one of the columns (all words must be)."""
    return [or_(*(_has(func.coalesce(c, ""), p) for c in columns)) for p in terms.patterns]


def words_in(column: Any, terms: Terms) -> ColumnElement[int]:
    """How many of the words a column holds (titles that hold them rank first)."""
    total: Any = 0
    for p in terms.patterns:
        total = total + case((_has(func.coalesce(column, ""), p), 1), else_=0)
    return total


def page_of(session: Session, query, *, limit: int, offset: int) -> tuple[list, int]:
    """A page of a source's rows and how many there are, in one statement (a window count);
    only a page past the end asks again, for the count alone."""
    rows = session.exec(query.add_columns(func.count().over().label("found"))
                        .limit(limit).offset(offset)).all()
    if rows:
        return list(rows), rows[0].found
    if offset == 0:
        return [], 0
    return [], session.exec(select(func.count()).select_from(query.subquery())).one()


def _finder(terms: Terms) -> re.Pattern[str]:
    words = sorted(terms.words, key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)


def found_in(text: str | None, terms: Terms) -> bool:
    return bool(text) and _finder(terms).search(text) is not None


def excerpt(text: str | None, terms: Terms, width: int = SNIPPET) -> str:
    """A short plain excerpt of the text around the first word found (its beginning when
    none is), on one line, cut at spaces."""
    flat = " ".join((text or "").split())
    if len(flat) <= width:
        return flat
    found = _finder(terms).search(flat)
    start = max(0, found.start() - BEFORE) if found else 0
    if start:
        space = flat.find(" ", start, found.start() if found else None)
        start = space + 1 if space != -1 else start
    end = start + width
    if end < len(flat):
        space = flat.rfind(" ", start + width // 2, end)
        end = space if space != -1 else end
    return ("… " if start else "") + flat[start:end] + (" …" if end < len(flat) else "")


def pieces(text: str, terms: Terms) -> list[tuple[str, bool]]:
    """The text cut into (piece, is a word found) for the page to mark: the page escapes
    every piece and wraps the found ones in <mark>, so stored markup stays text."""
    out: list[tuple[str, bool]] = []
    at = 0
    for m in _finder(terms).finditer(text):
        if m.start() > at:
            out.append((text[at:m.start()], False))
        out.append((m.group(), True))
        at = m.end()
    if at < len(text):
        out.append((text[at:], False))
    return out
