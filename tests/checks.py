"""Checks shared by the page and API tests: row counts, rows, form posts, field errors."""

import html
from html.parser import HTMLParser

from sqlmodel import func, select

from imroc.db import read_session
from imroc.validation import DATE_LABELS
from tests.factories import csrf_from


def counts(tables: tuple) -> dict[str, int]:
    """Rows per table, read fresh (to show a refused request changed nothing)."""
    with read_session() as s:
        return {t.__tablename__: s.exec(select(func.count()).select_from(t)).one()
                for t in tables}


def load(model, **where):
    with read_session() as s:
        query = select(model).filter_by(**where)
        return s.exec(query.order_by(model.id) if hasattr(model, "id") else query).all()


def submit(client, page: str, action: str, data: dict):
    """Post a form with the CSRF token read from the page that shows it."""
    token = csrf_from(client.get(page).text)
    return client.post(action, data={"csrf_token": token, **data}, follow_redirects=False)


def error_beside(page: str, field: str) -> str:
    """The error shown beside a field (id = name with hyphens); the summary must link to it
    (to the day of a date)."""
    fid = field.replace("_", "-")
    first = f"{fid}-day" if field in DATE_LABELS else fid
    assert f'href="#{first}"' in page, "the error summary does not link to the field"
    at = page.find(f'id="{fid}-error"')
    if at == -1:
        at = page.find(f'id="{fid}"')
    assert at != -1, f"no error beside {fid}"
    return html.unescape(page[at:at + 400])


def live_tags(markup: str) -> list[tuple[str, list]]:
    """Every element a browser would build from the markup, with its attributes."""
    found: list[tuple[str, list]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collect().feed(markup)
    return found
