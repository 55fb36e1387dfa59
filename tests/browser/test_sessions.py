"""Sessions that end lose nothing, in a real browser: the warning before the idle limit,
staying signed in, and a form sent after the session lapsed coming back after signing in."""

from datetime import timedelta

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session, select

from imroc.clock import utcnow
from imroc.models import AuthSession, User
from tests.browser.conftest import ROLES, SERVER_DATABASE, describe, run_axe, sign_in

pytestmark = pytest.mark.browser


def _lapse_sessions_of(email: str) -> None:
    """What an hour without activity does to the server's record of the session."""
    engine = create_engine(f"sqlite:///{SERVER_DATABASE['path']}")
    try:
        with Session(engine) as s:
            user = s.exec(select(User).where(User.email == email)).one()
            for row in s.exec(select(AuthSession).where(AuthSession.user_id == user.id)).all():
                row.last_seen_at = utcnow() - timedelta(minutes=61)
                s.add(row)
            s.commit()
    finally:
        engine.dispose()


def test_the_session_warns_before_it_ends_and_a_late_form_is_kept(new_page) -> None:
    page, problems = new_page()
    page.clock.install()
    sign_in(page, ROLES["programme"])
    page.goto("/learning-sets/new")
    page.get_by_label("Name").fill("The set typed before a long lunch")
    dialog = page.locator("#session-warning")
    assert not dialog.is_visible()

    # Two minutes before the limit (an hour, counted from a minute before the page was
    # drawn), a dialog says so; focus is on the way to stay signed in.
    page.clock.fast_forward("57:30")
    dialog.wait_for(state="visible")
    assert "You will be signed out soon" in dialog.inner_text()
    assert page.evaluate("document.activeElement.textContent.trim()") == "Stay signed in"
    assert run_axe(page) == [], describe(run_axe(page))
    page.get_by_role("button", name="Stay signed in").click()
    dialog.wait_for(state="hidden")
    assert page.get_by_label("Name").input_value() == "The set typed before a long lunch"

    # Without an answer, the dialog says the session has ended.
    page.clock.fast_forward("59:30")
    page.get_by_role("heading", name="You have been signed out").wait_for()
    page.get_by_role("button", name="Close").click()

    # The server's session lapses; the form is sent anyway, and nothing is lost.
    _lapse_sessions_of(ROLES["programme"])
    page.get_by_role("button", name="Save learning set").click()
    page.wait_for_url("**/sign-in?**")
    assert "What you were sending has not been saved yet" in page.inner_text("main")
    page.get_by_label("Email address").fill(ROLES["programme"])
    page.get_by_label("Password").fill("imroc-demo-2026")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/kept-form")
    assert "The set typed before a long lunch" in page.inner_text("main")
    assert run_axe(page) == [], describe(run_axe(page))
    page.get_by_role("button", name="Send it now").click()
    page.wait_for_url(lambda url: "/kept-form" not in url)
    assert page.get_by_role("heading", level=1).inner_text() == "The set typed before a long lunch"
    assert problems.take() == []
