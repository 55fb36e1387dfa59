"""Sending e-mail over SMTP: the message as it goes on the wire, and the connection.

`smtp://user:password@host:587` upgrades to TLS with STARTTLS whenever the server offers it
(a relay on the same machine may not); `smtps://host:465` speaks TLS from the start.
"""

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from urllib.parse import unquote, urlsplit

from imroc.clock import utcnow

TIMEOUT_SECONDS = 20
# Header lines up to RFC 5322's limit, so a long subject is not folded onto a line of its own
# (which some readers show with a leading space).
WIRE = policy.SMTP.clone(max_line_length=998)


class MailNotConfigured(Exception):
    """No IMROC_SMTP_URL: messages are logged and kept in the outbox page instead."""


def build(*, mail_from: str, to_email: str, to_name: str, subject: str, text: str, html: str,
          message_id: str, unsubscribe_url: str = "") -> EmailMessage:
    """A plain-text message with an HTML alternative, and one-click unsubscribe where the
    message is one the person could choose not to get (RFC 8058)."""
    message = EmailMessage(policy=WIRE)
    message["From"] = mail_from
    message["To"] = formataddr((to_name, to_email)) if to_name else to_email
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = message_id
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


@contextmanager
def connect(url: str) -> Iterator[smtplib.SMTP]:
    """An open, signed-in SMTP connection for the configured URL."""
    if not url:
        raise MailNotConfigured("IMROC_SMTP_URL is not set")
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise MailNotConfigured("IMROC_SMTP_URL must look like smtp://host:587 or smtps://host:465")
    context = ssl.create_default_context()
    if parts.scheme == "smtps":
        server: smtplib.SMTP = smtplib.SMTP_SSL(parts.hostname, parts.port or 465,
                                                timeout=TIMEOUT_SECONDS, context=context)
    else:
        server = smtplib.SMTP(parts.hostname, parts.port or 587, timeout=TIMEOUT_SECONDS)
    try:
        server.ehlo()
        if parts.scheme == "smtp" and server.has_extn("starttls"):
            server.starttls(context=context)
            server.ehlo()
        if parts.username:
            server.login(unquote(parts.username), unquote(parts.password or ""))
        yield server
    finally:
        try:
            server.quit()
        except (smtplib.SMTPException, OSError):
            server.close()
