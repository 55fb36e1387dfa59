"""The outbox: writing messages beside what they tell of, and delivering them once.

A message is written in the same transaction as its cause (an invitation, a reset), so
nothing is announced that did not happen and nothing that happened goes unannounced.
Delivery takes messages in turns: each sender claims a batch first (PostgreSQL skips the
rows another sender holds; SQLite's writers queue), so two servers running
`imroc reminders send` at once never send a message twice. What the SMTP server did not
accept stays in the outbox for the next run, with the same Message-ID.
"""

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import func, update
from sqlmodel import Session, col, or_, select

from imroc import mailer
from imroc.clock import utcnow
from imroc.config import ROOT, get_settings
from imroc.db import write_session
from imroc.models import Mail

log = logging.getLogger("imroc.mail")
CLAIM_FOR = timedelta(minutes=5)
BATCH = 200
# Messages have their own templates: HTML escaped, plain text not (escaping would show
# "&amp;" to the reader).
_MAIL_TEMPLATES = FileSystemLoader(ROOT / "templates" / "mail")
_html_env = Environment(loader=_MAIL_TEMPLATES, autoescape=True, undefined=StrictUndefined,
                        trim_blocks=True, lstrip_blocks=True)
_text_env = Environment(loader=_MAIL_TEMPLATES, autoescape=False, undefined=StrictUndefined,
                        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def _domain() -> str:
    address = parseaddr(get_settings().mail_from)[1]
    return address.rpartition("@")[2] or urlsplit(get_settings().base_url).hostname or "imroc"


def link(path: str) -> str:
    """An absolute link to a page of the service, for an e-mail."""
    return get_settings().base_url.rstrip("/") + path


def queue(session: Session, *, kind: str, template: str, subject: str, to_email: str,
          to_name: str = "", user_id: int | None = None, context: dict[str, Any] | None = None,
          key: str | None = None, unsubscribe_url: str = "") -> Mail:
    """Write one message into the outbox (the caller commits). `key` makes its Message-ID
    stable, so the same reminder written twice is one message."""
    ctx = {"subject": subject, "name": to_name, "base_url": link("/"), **(context or {})}
    token = key or secrets.token_hex(16)
    mail = Mail(message_id=f"<{token}@{_domain()}>", user_id=user_id, to_email=to_email,
                to_name=to_name, kind=kind, subject=subject,
                text=_text_env.get_template(f"{template}.txt").render(ctx),
                html=_html_env.get_template(f"{template}.html").render(ctx),
                unsubscribe_url=unsubscribe_url)
    session.add(mail)
    return mail


@dataclass
class Delivery:
    """What one delivery run did."""

    sent: int = 0
    logged: int = 0
    failed: int = 0
    error: str = ""


def _claim(session: Session, *, ids: list[int] | None, limit: int) -> list[Mail]:
    now = utcnow()
    pending = select(Mail.id).where(
        col(Mail.sent_at).is_(None),
        or_(col(Mail.claimed_until).is_(None), col(Mail.claimed_until) < now),
    ).order_by(Mail.id).limit(limit)
    if ids is not None:
        pending = pending.where(col(Mail.id).in_(ids))
    if session.get_bind().dialect.name == "postgresql":
        pending = pending.with_for_update(skip_locked=True)
    taken = session.exec(update(Mail).where(col(Mail.id).in_(pending.scalar_subquery()))
                         .values(claimed_until=now + CLAIM_FOR).returning(Mail.id)).all()
    session.commit()
    chosen = [row[0] for row in taken]
    return list(session.exec(select(Mail).where(col(Mail.id).in_(chosen))
                             .order_by(Mail.id)).all()) if chosen else []


def _mark(session: Session, mail: Mail, *, via: str = "", error: str = "") -> None:
    row = session.get(Mail, mail.id)
    row.attempts += 1
    row.claimed_until = None
    if error:
        row.last_error = error[:2000]
    else:
        row.sent_at, row.sent_via, row.last_error = utcnow(), via, ""
    session.add(row)
    session.commit()


def deliver(*, ids: list[int] | None = None, limit: int | None = None,
            progress: Callable[[int], None] | None = None) -> Delivery:
    """Send what is waiting in the outbox (only `ids`, if given), one batch at a time."""
    settings = get_settings()
    done = Delivery()
    left = limit
    with write_session() as session:
        while left is None or left > 0:
            batch = _claim(session, ids=ids, limit=min(BATCH, left) if left else BATCH)
            if not batch:
                break
            if left is not None:
                left -= len(batch)
            if not settings.smtp_url:
                for mail in batch:
                    log.info("mail not sent (no IMROC_SMTP_URL): to %s, %r\n%s",
                             mail.to_email, mail.subject, mail.text)
                    _mark(session, mail, via="log")
                    done.logged += 1
                    if progress:
                        progress(1)
                continue
            try:
                with mailer.connect(settings.smtp_url) as server:
                    for mail in batch:
                        server.send_message(mailer.build(
                            mail_from=settings.mail_from, to_email=mail.to_email,
                            to_name=mail.to_name, subject=mail.subject, text=mail.text,
                            html=mail.html, message_id=mail.message_id,
                            unsubscribe_url=mail.unsubscribe_url))
                        _mark(session, mail, via="smtp")
                        done.sent += 1
                        if progress:
                            progress(1)
            except (OSError, mailer.smtplib.SMTPException, mailer.MailNotConfigured) as exc:
                # The rest of the batch waits for the next run, unchanged.
                done.error = f"{type(exc).__name__}: {exc}"
                log.error("mail delivery stopped: %s", done.error)
                for mail in batch:
                    current = session.get(Mail, mail.id, populate_existing=True)
                    if current is not None and current.sent_at is None:
                        _mark(session, current, error=done.error)
                        done.failed += 1
                break
    return done


def waiting(session: Session) -> int:
    """How many messages have not gone yet."""
    return session.exec(select(func.count()).select_from(Mail)
                        .where(col(Mail.sent_at).is_(None))).one()


def list_outbox(session: Session, *, limit: int, offset: int) -> tuple[list[Mail], int]:
    """The newest messages first, for the administrators' outbox page."""
    total = session.exec(select(func.count()).select_from(Mail)).one()
    rows = session.exec(select(Mail).order_by(col(Mail.id).desc()).limit(limit)
                        .offset(offset)).all()
    return list(rows), total
