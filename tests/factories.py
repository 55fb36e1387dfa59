"""Test data, made directly (fast) or through the services where the test is about them."""

import itertools
import re
from datetime import date, timedelta
from functools import lru_cache

from fastapi.testclient import TestClient
from sqlmodel import Session

from imroc import clock
from imroc.models import LearningSet, LearningSetFacilitator, Membership, Site, User
from imroc.security import hash_password

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)


@lru_cache
def _hash() -> str:
    return hash_password(PASSWORD)


def make_user(session: Session, *, name: str | None = None, email: str | None = None,
              global_role: str | None = None, active: bool = True) -> User:
    n = next(_seq)
    user = User(email=email or f"person{n}@example.org", name=name or f"Person {n}",
                password_hash=_hash(), global_role=global_role, is_active=active)
    session.add(user)
    session.commit()
    return user


def make_learning_set(session: Session, *, name: str | None = None,
                      facilitators: tuple[User, ...] = ()) -> LearningSet:
    ls = LearningSet(name=name or f"Learning set {next(_seq)}", region="North West")
    session.add(ls)
    session.flush()
    for f in facilitators:
        session.add(LearningSetFacilitator(learning_set_id=ls.id, user_id=f.id))
    session.commit()
    return ls


def make_site(session: Session, *, name: str | None = None, learning_set: LearningSet | None = None,
              kind: str = "pilot") -> Site:
    site = Site(name=name or f"Site {next(_seq)}", organisation="Example NHS Trust", kind=kind,
                region="North West", joined_on=date(2012, 4, 1),
                learning_set_id=learning_set.id if learning_set else None,
                consultancy_days_allocated=30)
    session.add(site)
    session.commit()
    return site


def make_member(session: Session, *, site: Site, role: str = "site_member",
                perspective: str = "staff", user: User | None = None) -> User:
    user = user or make_user(session)
    session.add(Membership(user_id=user.id, site_id=site.id, role=role, perspective=perspective))
    session.commit()
    return user


class World:
    """Two sites in two learning sets, and one person of every role."""

    def __init__(self, session: Session) -> None:
        self.facilitator = make_user(session, name="Fay Facilitator")
        self.other_facilitator = make_user(session, name="Otto Facilitator")
        self.set_a = make_learning_set(session, name="Set A", facilitators=(self.facilitator,))
        self.set_b = make_learning_set(session, name="Set B",
                                       facilitators=(self.other_facilitator,))
        self.site_a = make_site(session, name="Site A", learning_set=self.set_a)
        self.site_b = make_site(session, name="Site B", learning_set=self.set_b)
        self.member = make_member(session, site=self.site_a, perspective="lived_experience")
        self.lead = make_member(session, site=self.site_a, role="site_lead")
        self.member_b = make_member(session, site=self.site_b)
        self.programme = make_user(session, name="Pat Programme", global_role="programme_team")
        self.admin = make_user(session, name="Ada Admin", global_role="admin")
        self.outsider = make_user(session, name="Olly Outsider")

    def by_role(self, role: str) -> User | None:
        return {"anonymous": None, "member": self.member, "lead": self.lead,
                "facilitator": self.facilitator, "other_facilitator": self.other_facilitator,
                "programme": self.programme, "admin": self.admin, "outsider": self.outsider,
                "member_b": self.member_b}[role]


def sign_in(client: TestClient, user: User) -> str:
    """Sign in through the real form; returns the CSRF token of the new session."""
    client.cookies.clear()
    page = client.get("/sign-in")
    token = csrf_from(page.text)
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD,
                                             "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return csrf_from(client.get("/").text)


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def api_token(client: TestClient, user: User) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": user.email,
                                                       "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def a_year_ahead() -> date:
    """A due date far enough ahead that nothing falls overdue during a test, on any day."""
    return clock.today() + timedelta(days=365)
