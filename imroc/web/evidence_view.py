"""Evidence as the pages show it: grouped by what it backs, with the form to add more."""

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from imroc.config import get_settings
from imroc.models import Action, Cycle, Site
from imroc.models.evidence import AttachedTo
from imroc.services import actions, evidence, frameworks
from imroc.services.access import Principal
from imroc.services.access_evidence import can_add_evidence
from imroc.services.evidence import Listed
from imroc.services.evidence_types import ACCEPT, BY_MEDIA
from imroc.web.forms import error_list

CHOICES = {
    AttachedTo.rating: "Your rating of a challenge",
    AttachedTo.consensus: "The agreed level of a challenge",
    AttachedTo.action: "An action",
    AttachedTo.pdsa: "The PDSA record (aim, prediction, what happened and what was learned)",
}
FOR_WORDS = {"rating": "Rating", "consensus": "Agreed level"}


@dataclass
class Group:
    """The evidence of one challenge, one action or the PDSA record."""

    key: str
    heading: str
    items: list[Listed] = field(default_factory=list)


def type_label(media: str | None) -> str:
    found = BY_MEDIA.get(media or "")
    return found.label if found else "Link"


def by_challenge(listed: list[Listed]) -> dict[int, list[Listed]]:
    """Rating and agreed-level evidence by challenge (what the consensus page shows)."""
    out: dict[int, list[Listed]] = {}
    for item in listed:
        if item.evidence.challenge is not None:
            out.setdefault(item.evidence.challenge, []).append(item)
    return out


def groups(listed: list[Listed], titles: dict[int, str],
           plan: list[Action]) -> dict[str, list[Group]]:
    """The page's three parts: the assessment by challenge, the actions, the PDSA record."""
    challenges = by_challenge(listed)
    assessment = [Group(f"challenge-{n}", f"Challenge {n}: {titles.get(n, '')}", items)
                  for n, items in sorted(challenges.items())]
    of_action: dict[int, list[Listed]] = {}
    for item in listed:
        if item.evidence.action_id is not None:
            of_action.setdefault(item.evidence.action_id, []).append(item)
    planned = [Group(f"action-{a.id}", a.title, of_action[a.id]) for a in plan
               if a.id in of_action]
    pdsa = [item for item in listed if item.evidence.attached_to == AttachedTo.pdsa]
    return {"assessment": assessment, "actions": planned,
            "pdsa": [Group("pdsa", "The PDSA record", pdsa)] if pdsa else []}


def choices(principal: Principal, site: Site, cycle: Cycle, plan: list[Action]) -> list[dict]:
    """What this person may attach evidence to now (nothing frozen, nothing not theirs)."""
    out = []
    for kind, text in CHOICES.items():
        if not can_add_evidence(principal, site, kind):
            continue
        if evidence.frozen_reason(cycle, kind) is not None:
            continue
        if kind == AttachedTo.action and not plan:
            continue
        out.append({"value": kind.value, "text": text})
    return out


def page_context(session: Session, principal: Principal, cycle: Cycle, site: Site, *,
                 values: dict[str, Any] | None = None,
                 errors: dict[str, str] | None = None) -> dict[str, Any]:
    """Everything the evidence page of a cycle shows."""
    fw = frameworks.document_by_id(session, cycle.framework_id)
    titles = {c["number"]: c["title"] for c in fw["challenges"]}
    plan = actions.list_actions(session, cycle=cycle)
    listed = evidence.list_evidence(session, cycle=cycle, site=site, principal=principal)
    errors = errors or {}
    return {
        "cycle": cycle, "site": site, "titles": titles, "plan": plan,
        "parts": groups(listed, titles, plan), "count": len(listed),
        "choices": choices(principal, site, cycle, plan),
        "assessment_frozen": evidence.frozen_reason(cycle, AttachedTo.consensus),
        "plan_frozen": evidence.frozen_reason(cycle, AttachedTo.pdsa),
        "values": values or {}, "errors": errors, "error_list": error_list(errors),
        "accept": ACCEPT, "for_words": FOR_WORDS, "type_label": type_label,
        "size_words": evidence.size_words,
        "max_size": evidence.limit_words(get_settings().evidence_max_bytes),
    }
