"""@mentions in what people write: `@Full Name` or `@name@example.org`."""

import re

from sqlmodel import Session, col, func, select

from imroc.models import User

_EMAIL = re.compile(r"(?<![\w@])@([\w.+-]+@[\w-]+(?:\.[\w-]+)+)")
_NAME = re.compile(r"(?<![\w@])@(\w[\w'.-]*(?: \w[\w'.-]*){0,4})")
MOST = 20  # people one post can mention


def people(session: Session, text: str) -> list[int]:
    """The active people a text mentions: by e-mail address, or by name (the longest name
    that follows the @, so `@Fay Facilitator thanks` finds Fay Facilitator)."""
    emails = {m.lower() for m in _EMAIL.findall(text)}
    wanted: list[list[str]] = []
    for match in _NAME.findall(_EMAIL.sub(" ", text)):
        words = match.rstrip(".'-").split(" ")
        wanted.append([" ".join(words[:n]).lower() for n in range(len(words), 0, -1)])
    names = {n for prefixes in wanted for n in prefixes}
    if not emails and not names:
        return []
    rows = session.exec(select(User.id, User.name, User.email).where(
        col(User.is_active).is_(True),
        func.lower(User.name).in_(list(names) or [""])
        | func.lower(User.email).in_(list(emails) or [""]))).all()
    by_name: dict[str, list[int]] = {}
    found = {uid for uid, _, email in rows if email.lower() in emails}
    for uid, name, _ in rows:
        by_name.setdefault(name.lower(), []).append(uid)
    for prefixes in wanted:
        best = next((p for p in prefixes if p in by_name), None)
        if best is not None:
            found.update(by_name[best])
    return sorted(found)[:MOST]
