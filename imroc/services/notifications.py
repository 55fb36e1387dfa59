"""Notifications: written beside what they tell of, shown in the product, and sent by
e-mail as each person chose (each as it comes, a weekly digest, or none; kinds turned off).

A notice names only what its recipient may see in the product: their own site's cycle,
their own action, their learning set's site.
"""

import hashlib
import hmac
from collections.abc import Iterable

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from imroc.clock import utcnow
from imroc.config import get_settings
from imroc.db import read_session
from imroc.errors import NotFound
from imroc.models import Membership, Notification, User
from imroc.models.notification import KIND_LABELS, NotificationKind
from imroc.services import mail

CHOICES = ("each", "digest", "none")


def site_people(session: Session, site_id: int, *, leads_only: bool = False) -> list[int]:
    """The active people of a site's steering group (or its leads)."""
    query = select(User.id).join(Membership, Membership.user_id == User.id).where(
        Membership.site_id == site_id, col(User.is_active).is_(True))
    if leads_only:
        query = query.where(Membership.role == "site_lead")
    return list(session.exec(query).all())


def unsubscribe_token(user_id: int, kind: str) -> str:
    """A link that turns off one kind of e-mail for one person, without signing in."""
    key = get_settings().secret_key.encode()
    mac = hmac.new(key, f"unsubscribe:{user_id}:{kind}".encode(), hashlib.sha256).hexdigest()
    return f"{user_id}.{kind}.{mac[:32]}"


def notify(session: Session, *, user_ids: Iterable[int], kind: NotificationKind, title: str,
           url: str, key: str, site_id: int | None = None) -> int:
    """Write a notice for each person who has not had this one (`key`), and queue its e-mail
    for those who want each as it comes; the caller commits. Returns how many were new."""
    ids = sorted(set(user_ids))
    if ids:  # people whose access was taken away hear nothing more
        ids = list(session.exec(select(User.id).where(col(User.id).in_(ids),
                                                      col(User.is_active).is_(True))).all())
    if not ids:
        return 0
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    rows = [{"user_id": u, "kind": kind.value, "key": key, "title": title, "url": url,
             "site_id": site_id, "created_at": now} for u in ids]
    new = session.exec(insert(Notification).values(rows).on_conflict_do_nothing(
        index_elements=["user_id", "key"]).returning(Notification.id,
                                                     Notification.user_id)).all()
    if not new:
        return 0
    # Read afresh: a choice changed a moment ago must count now.
    people = {u.id: u for u in session.exec(select(User).where(
        col(User.id).in_([u for _, u in new])).execution_options(populate_existing=True)).all()}
    mailed = []
    for notice_id, user_id in new:
        person = people[user_id]
        if person.mail_choice != "each" or kind.value in person.mail_muted.split(","):
            continue
        token = unsubscribe_token(person.id, kind.value)
        mail.queue(session, kind=f"notice:{kind.value}", template="notice", subject=title,
                   to_email=person.email, to_name=person.name, user_id=person.id,
                   key=f"notice-{notice_id}", unsubscribe_url=mail.link(f"/unsubscribe/{token}"),
                   context={"title": title, "url": mail.link(url),
                            "why": KIND_LABELS[kind.value],
                            "settings_url": mail.link("/account/notifications")})
        mailed.append(notice_id)
    if mailed:
        session.exec(Notification.__table__.update().where(
            Notification.__table__.c.id.in_(mailed)).values(mailed_at=now))
    return len(new)


def list_for(session: Session, *, user_id: int, limit: int = 100) -> list[Notification]:
    """A person's notices, newest first."""
    return list(session.exec(select(Notification).where(Notification.user_id == user_id)
                             .order_by(col(Notification.id).desc()).limit(limit)).all())


def unread_count(user_id: int) -> int:
    """For the count in the header."""
    with read_session() as s:
        return s.exec(select(func.count()).select_from(Notification).where(
            Notification.user_id == user_id, col(Notification.read_at).is_(None))).one()


def mark_read(session: Session, *, user_id: int, notification_id: int) -> Notification:
    """Mark one of the person's own notices read; 404 for anyone else's."""
    notice = session.get(Notification, notification_id)
    if notice is None or notice.user_id != user_id:
        raise NotFound("Notification not found")
    if notice.read_at is None:
        notice.read_at = utcnow()
        session.add(notice)
        session.commit()
    return notice


def set_choices(session: Session, *, user: User, choice: str, muted: list[str]) -> None:
    """How the person wants to hear of notices by e-mail."""
    user.mail_choice = choice if choice in CHOICES else "each"
    user.mail_muted = ",".join(sorted(k for k in set(muted) if k in KIND_LABELS))
    session.add(user)
    session.commit()


def unsubscribe(session: Session, *, token: str) -> tuple[User, str] | None:
    """Turn off the kind of e-mail a link names, for the person it names."""
    user_id, _, rest = token.partition(".")
    kind = rest.partition(".")[0]
    if not user_id.isdigit() or len(token) > 200 or not hmac.compare_digest(
            token, unsubscribe_token(int(user_id), kind)):
        return None
    user = session.get(User, int(user_id))
    if user is None:
        return None
    if kind == "digest":
        set_choices(session, user=user, choice="none", muted=user.mail_muted.split(","))
        return user, kind
    muted = set(filter(None, user.mail_muted.split(","))) | {kind}
    set_choices(session, user=user, choice=user.mail_choice, muted=sorted(muted))
    return user, kind
