"""Evidence of a cycle: adding a file or a link, reading it, removing it, and freezing.

Evidence of ratings and agreed levels is frozen once the assessment is signed off (or has
moved on); evidence of actions and the PDSA record once the cycle closes. Frozen evidence
cannot be added to or removed (409), so what is listed for a frozen thing is exactly what was
there when it froze, each file with its SHA-256.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from imroc.clock import utcnow
from imroc.config import get_settings
from imroc.errors import Conflict, Invalid, NotFound, TooLarge
from imroc.files import FileStore, FileTooLarge, default_store
from imroc.models import Action, Cycle, Evidence, Membership, Site, User
from imroc.models.cycle import Stage
from imroc.models.evidence import (
    NAME_LENGTH,
    OF_ASSESSMENT,
    AttachedTo,
    EvidenceIn,
    EvidencePublic,
)
from imroc.models.user import PERSPECTIVE_LABELS
from imroc.services import access, assessments, audit, evidence_types
from imroc.services.access import Principal
from imroc.services.access_evidence import ensure_add_evidence, ensure_remove_evidence
from imroc.services.cycles import get_in_cycle
from imroc.validation import untypable

AUDIT_FIELDS = ("cycle_id", "attached_to", "challenge", "action_id", "kind", "content_type",
                "size", "sha256", "url", "title")


@dataclass(frozen=True)
class Upload:
    """A file as it arrived: the name its sender gave it and its content."""

    name: str
    stream: BinaryIO


def frozen_reason(cycle: Cycle, attached_to: str) -> str | None:
    """Why evidence of this kind can no longer change in this cycle, or None while it can."""
    if attached_to in OF_ASSESSMENT:
        if cycle.signed_off_at is not None:
            return ("The consensus was signed off, so the evidence for its ratings and agreed "
                    "levels is frozen. The lead can reopen the assessment, giving a reason.")
        if cycle.stage != Stage.assess:
            return ("The assessment of this cycle is finished, so the evidence for its "
                    "ratings and agreed levels is frozen.")
        return None
    if cycle.stage == Stage.closed:
        return (f"Cycle {cycle.number} is closed, so the evidence for its actions and PDSA "
                "record is frozen.")
    return None


def public(evidence: Evidence, cycle: Cycle) -> EvidencePublic:
    return EvidencePublic(
        **evidence.model_dump(include={"id", "cycle_id", "attached_to", "challenge",
                                       "action_id", "rater_id", "kind", "name",
                                       "content_type", "size", "sha256", "url", "title",
                                       "added_by", "added_at"}),
        download_url=f"/api/v1/evidence/{evidence.id}" if evidence.kind == "file" else None,
        frozen=frozen_reason(cycle, evidence.attached_to) is not None)


# --- reading -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Listed:
    """A piece of evidence as one person may see it: who added it, in the words they may
    read, and whether they may remove it now."""

    evidence: Evidence
    who: str
    removable: bool


def _sees_raters(session: Session, cycle: Cycle, site: Site, principal: Principal) -> bool:
    return assessments.sees_others(session, cycle=cycle, site=site, principal=principal)


def _visible(evidence: Evidence, principal: Principal, sees_raters: bool) -> bool:
    """Other people's rating evidence follows their ratings: a member who has not rated all
    ten yet (and the meeting not open) sees only their own."""
    return (evidence.attached_to != AttachedTo.rating or sees_raters
            or evidence.rater_id == principal.user.id)


def list_evidence(session: Session, *, cycle: Cycle, site: Site,
                  principal: Principal) -> list[Listed]:
    """The cycle's evidence this person may see, oldest first (two or three queries)."""
    rows = session.exec(
        select(Evidence, User.name, Membership.perspective)
        .join(User, col(User.id) == Evidence.added_by)
        .join(Membership, (col(Membership.user_id) == Evidence.added_by)
              & (col(Membership.site_id) == site.id), isouter=True)
        .where(Evidence.cycle_id == cycle.id).order_by(col(Evidence.id))).all()
    if not rows:
        return []
    sees = _sees_raters(session, cycle, site, principal)
    names = access.can_identify_raters(principal, site)
    group = names or access.is_group_member(principal, site)
    out = []
    for e, name, perspective in rows:
        if not _visible(e, principal, sees):
            continue
        if e.added_by == principal.user.id:
            who = "You"
        elif e.attached_to == AttachedTo.rating and not names:
            label = PERSPECTIVE_LABELS.get(perspective, "")
            who = f"A rater ({label.lower()})" if label else "A rater"
        else:
            who = name if group else "A member of the steering group"
        removable = frozen_reason(cycle, e.attached_to) is None and (
            access.is_lead(principal, site)
            or (access.is_group_member(principal, site) and e.added_by == principal.user.id))
        out.append(Listed(e, who, removable))
    return out


def own_rating_evidence(session: Session, *, cycle: Cycle,
                        principal: Principal) -> list[Evidence]:
    """The evidence a person added for their own ratings of the cycle, by challenge."""
    return list(session.exec(select(Evidence).where(
        Evidence.cycle_id == cycle.id, Evidence.attached_to == AttachedTo.rating.value,
        Evidence.rater_id == principal.user.id)
        .order_by(col(Evidence.challenge), col(Evidence.id))).all())


def get_evidence(session: Session, *, evidence_id: int,
                 principal: Principal) -> tuple[Evidence, Cycle, Site]:
    """A piece of evidence with its cycle and site; 404 for anyone who may not see it."""
    evidence, cycle, site = get_in_cycle(session, Evidence, row_id=evidence_id,
                                         principal=principal, what="Evidence")
    if evidence.attached_to == AttachedTo.rating and evidence.rater_id != principal.user.id \
            and not _sees_raters(session, cycle, site, principal):
        raise NotFound("Evidence not found")
    return evidence, cycle, site


def stored_file(evidence: Evidence, store: FileStore | None = None) -> Path:
    """Where a file's content is; 404 for a link, and for content missing from the store."""
    if evidence.kind != "file" or evidence.sha256 is None:
        raise NotFound("This evidence is a link, not a file")
    path = (store or default_store()).path_of(evidence.sha256)
    if not path.is_file():
        raise NotFound("The file is missing from the service's file store. Ask an "
                       "administrator to restore the files directory from a backup.")
    return path


# --- writing -------------------------------------------------------------------------------

def _lock(session: Session, cycle: Cycle) -> Cycle:
    """Read the cycle again, holding it (PostgreSQL) until the commit, so a sign-off or a
    closing cannot slip in between the check that evidence may change and the change."""
    return session.exec(select(Cycle).where(Cycle.id == cycle.id).with_for_update()
                        .execution_options(populate_existing=True)).one()


def _target(session: Session, cycle: Cycle, data: EvidenceIn) -> dict:
    """The columns that say what the evidence backs; Invalid when the fields do not fit."""
    kind = data.attached_to
    errors: dict[str, str] = {}
    if kind in OF_ASSESSMENT and data.challenge is None:
        errors["challenge"] = "Select the challenge the evidence is for"
    if kind not in OF_ASSESSMENT and data.challenge is not None:
        errors["challenge"] = ("Leave out the challenge: it is given only for a rating or an "
                               "agreed level")
    if kind == AttachedTo.action:
        if data.action_id is None:
            errors["action_id"] = "Select the action the evidence is for"
        elif session.exec(select(Action.id).where(Action.id == data.action_id,
                                                  Action.cycle_id == cycle.id)).first() is None:
            errors["action_id"] = "Select one of this cycle's actions"
    elif data.action_id is not None:
        errors["action_id"] = "Leave out the action: it is given only for an action's evidence"
    if errors:
        raise Invalid(errors)
    return {"attached_to": kind.value, "challenge": data.challenge,
            "action_id": data.action_id if kind == AttachedTo.action else None}


def check_url(raw: str) -> str:
    """A link people can follow safely: http or https, to a named host, without a user name
    or password in it; Invalid on `url` otherwise."""
    url = raw.strip()
    if any(c.isspace() or untypable(c) for c in url):
        raise Invalid({"url": "Enter the link without spaces or line breaks"})
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not host:
        raise Invalid({"url": "Enter a link that starts with https:// or http://, like "
                              "https://www.example.org/report"})
    if parts.username is not None or parts.password is not None:
        raise Invalid({"url": "Enter the link without a user name or password in it"})
    return url


def clean_name(raw: str) -> str:
    """The file's own name, without any folders a browser sent with it or control characters,
    shortened (keeping its ending) to fit."""
    name = re.sub(r"[\x00-\x1f\x7f]", "", raw.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    if len(name) > NAME_LENGTH:
        ending = evidence_types.ending_of(name)[:20]
        name = name[:NAME_LENGTH - len(ending)].rstrip() + ending
    return name


def add_evidence(session: Session, *, cycle: Cycle, site: Site, data: EvidenceIn,
                 upload: Upload | None, principal: Principal, store: FileStore | None = None,
                 at: datetime | None = None) -> Evidence:
    """Attach a file or a link. Checked in order: who (403), what it backs (422), whether
    that is frozen (409), then the file: its size (413) and its kind, read from the content
    (422). The file is in the store before the row that names it is committed."""
    ensure_add_evidence(principal, site, data.attached_to)
    target = _target(session, cycle, data)
    title = (data.title or "").strip()
    url = (data.url or "").strip()
    if upload is not None and url:
        raise Invalid({"file": "Add a file or a link, not both: add the other one separately"})
    if upload is None and not url:
        raise Invalid({"file": "Select a file, or enter a link"})
    cycle = _lock(session, cycle)
    reason = frozen_reason(cycle, data.attached_to)
    if reason:
        raise Conflict(reason)
    row = Evidence(cycle_id=cycle.id, **target, title=title, added_by=principal.user.id,
                   added_at=at or utcnow(),
                   rater_id=principal.user.id if data.attached_to == AttachedTo.rating else None)
    if upload is None:
        row.kind, row.url = "link", check_url(url)
        return _record(session, row, site=site, principal=principal)
    row.kind, row.name = "file", clean_name(upload.name)
    if not row.name:
        raise Invalid({"file": "The file has no name: rename it and try again"})
    limit = get_settings().evidence_max_bytes
    try:
        with (store or default_store()).staging(upload.stream, max_bytes=limit) as staged:
            if staged.size == 0:
                raise Invalid({"file": f"{row.name} is empty: choose a file with something "
                                       "in it"})
            found = evidence_types.check(staged.temp, row.name)
            row.content_type, row.size, row.sha256 = found.media, staged.size, staged.sha256
            staged.keep()
    except FileTooLarge:
        raise TooLarge({"file": f"The selected file must be smaller than {limit_words(limit)}"}) \
            from None
    return _record(session, row, site=site, principal=principal)


def _record(session: Session, row: Evidence, *, site: Site, principal: Principal) -> Evidence:
    session.add(row)
    session.flush()
    audit.record(session, actor=principal.user, action="add", entity="evidence",
                 entity_id=row.id, site_id=site.id,
                 after={**audit.snapshot(row, AUDIT_FIELDS), "file_name": row.name},
                 at=row.added_at)
    session.commit()
    return row


def remove_evidence(session: Session, *, evidence: Evidence, cycle: Cycle, site: Site,
                    principal: Principal) -> None:
    """Take evidence off before it is frozen (its adder or the lead); the audit trail keeps
    its name and SHA-256. The stored content stays: other evidence may share it."""
    ensure_remove_evidence(principal, site, evidence)
    cycle = _lock(session, cycle)
    reason = frozen_reason(cycle, evidence.attached_to)
    if reason:
        raise Conflict(reason)
    before = {**audit.snapshot(evidence, AUDIT_FIELDS), "file_name": evidence.name}
    session.delete(evidence)
    audit.record(session, actor=principal.user, action="remove", entity="evidence",
                 entity_id=evidence.id, site_id=site.id, before=before)
    session.commit()


def limit_words(limit: int) -> str:
    """A size limit in words: 20 MB."""
    mb = limit / (1024 * 1024)
    return f"{mb:g} MB" if mb >= 1 else f"{limit // 1024} KB"


def size_words(size: int | None) -> str:
    """A file's size as people read it: 980 bytes, 14 KB, 2.3 MB."""
    if size is None:
        return ""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / (1024 * 1024):.1f} MB"
