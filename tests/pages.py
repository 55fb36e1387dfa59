"""Driving the HTML pages as a browser would: read a form from the page, change some fields,
post it with everything else the page put there (CSRF token, hidden version, selections)."""

import html
import re
from datetime import date
from html.parser import HTMLParser

from fastapi.testclient import TestClient

from imroc.models import User
from tests.factories import sign_in


class _Forms(HTMLParser):
    """Every form of a page with the values a browser would send without edits."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._chosen = False
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action"), "fields": {}}
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        fields = self._form["fields"]
        if tag == "button" and a.get("formaction"):
            # A second way to send the same form (as a browser does): the same fields.
            self.forms.append({"action": a["formaction"], "fields": fields})
        elif tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            fields[a["name"]] = a.get("value") or ""
        elif tag == "select":
            self._select, self._chosen = a.get("name"), False
        elif tag == "option" and self._select:
            if not self._chosen or "selected" in a:
                fields[self._select] = a.get("value") or ""
                self._chosen = self._chosen or "selected" in a
        elif tag == "textarea":
            self._textarea = a.get("name")
            fields[self._textarea] = ""

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea:
            self._form["fields"][self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms(page: str) -> list[dict]:
    parser = _Forms()
    parser.feed(page)
    return parser.forms


def form_fields(page: str, action: str) -> dict[str, str]:
    """The fields of the (first) form posting to `action`, as the page filled them in."""
    found = [f for f in forms(page) if f["action"] == action]
    assert found, f"no form posting to {action} on the page"
    return dict(found[0]["fields"])


def typed_date(name: str, value: date | str) -> dict[str, str]:
    """A date as a person types it into the date input (day, month and year); "" for none."""
    if not value:
        return {f"{name}-day": "", f"{name}-month": "", f"{name}-year": ""}
    day = value if isinstance(value, date) else date.fromisoformat(value)
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month),
            f"{name}-year": str(day.year)}


def text(page: str) -> str:
    """The words of a page (tags dropped, entities decoded, spaces collapsed)."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.DOTALL)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


class Browser:
    """One person's browser: their own cookies; forms posted as the page filled them in."""

    def __init__(self, client: TestClient, user: User) -> None:
        self.client, self.user = client, user
        sign_in(client, user)

    def get(self, url: str, status: int = 200, **kwargs) -> str:
        response = self.client.get(url, **kwargs)
        assert response.status_code == status, (url, response.status_code, response.text[:3000])
        return response.text

    def submit(self, page: str, action: str, changes: dict | None = None, *,
               status: int = 303, htmx: bool = False, page_html: str | None = None):
        """Open `page` (or use its HTML), fill in `changes`, post the form to `action`."""
        data = form_fields(page_html or self.get(page), action) | (changes or {})
        headers = {"HX-Request": "true", "X-CSRF-Token": data["csrf_token"]} if htmx else {}
        response = self.client.post(action, data=data, headers=headers, follow_redirects=False)
        assert response.status_code == status, (action, response.status_code,
                                                text(response.text)[:3000])
        return response

    def post(self, action: str, data: dict, *, status: int, token_from: str = "/"):
        """Post a form the page does not offer (a stale page, or a crafted request)."""
        token = form_fields(self.get(token_from), "/sign-out")["csrf_token"]
        response = self.client.post(action, data={"csrf_token": token, **data},
                                    follow_redirects=False)
        assert response.status_code == status, (action, response.status_code,
                                                text(response.text)[:3000])
        return response
