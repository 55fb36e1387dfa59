"""Checking a JSON exchange document and turning it into a Plan (a site and its history).

The site is found by its identifier (`site.uid`), or by its name when the document gives
none (import_sites.py); otherwise it is a new site. A site already here keeps its details
and learning set, and gains only the cycles, people and values it does not have yet:
nothing recorded is ever overwritten. A new site's learning set is joined by name, or
created (with its facilitators) when missing. People are matched by email (see
import_plan.py). Version 1 documents are read as version 2 ones without the newer parts.
"""

from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from imroc.services.data_io.exchange_doc import FORMAT, FORMAT_VERSION, READS, ExchangeDoc
from imroc.services.data_io.exchange_sections import SECTIONS
from imroc.services.data_io.import_checks import Known, challenge_problem, level_problem
from imroc.services.data_io.import_dates import settle_dates
from imroc.services.data_io.import_plan import CyclePlan, Plan, Problem, SitePlan
from imroc.services.data_io.import_sites import match_site
from imroc.validation import reasons

TABLE = "document"


def _where(loc: tuple) -> str:
    return "/".join(str(p) for p in loc) or "(top level)"


def read_document(raw: Any, known: Known, session: Session) -> tuple[Plan, list[Problem]]:
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        return Plan(), [Problem(TABLE, None, "format", str(raw.get("format") if isinstance(
            raw, dict) else ""), f'This is not an ImROC exchange document ("format" must be '
            f'"{FORMAT}")')]
    if raw.get("format_version") not in READS:
        return Plan(), [Problem(TABLE, None, "format_version", str(raw.get("format_version")),
                                "Only format versions " + " and ".join(map(str, READS)) +
                                " can be read")]
    try:
        doc = ExchangeDoc.model_validate({**raw, "format_version": FORMAT_VERSION})
    except ValidationError as exc:
        # The same plain-English reasons as every form and the API give.
        return Plan(), [Problem(TABLE, None, _where(e["loc"]), str(e.get("input"))[:100],
                                next(iter(reasons([e]).values())))
                        for e in exc.errors()[:200]]
    return _check(doc, known, session)


def _check(doc: ExchangeDoc, known: Known, session: Session) -> tuple[Plan, list[Problem]]:
    problems: list[Problem] = []

    def bad(where: str, value: Any, message: str) -> None:
        problems.append(Problem(TABLE, None, where, "" if value is None else str(value), message))

    plan = Plan()
    s = doc.site
    found = match_site(known, name=s.name, uid=str(s.uid) if s.uid else None)
    if isinstance(found, str):
        bad("site/name", s.name, found)
        found = SitePlan(name=s.name)
    if found.existing_id is None and s.kind not in known.kinds:
        bad("site/kind", s.kind, "Must be a kind of site: " + ", ".join(sorted(known.kinds)))
    emails = [p.email.lower() for p in doc.people]
    if len(set(emails)) != len(emails):
        bad("people", "", "Each person must be listed once")
    people = {p.email.lower(): p for p in doc.people}
    plan.people = {e: p.name for e, p in people.items()}
    sp = plan.sites[s.name] = found
    if sp.existing_id is None:  # a site already here keeps its details
        sp.details = {
            "organisation": s.organisation, "kind": s.kind, "region": s.region,
            "joined_on": s.joined_on, "consultancy_days_allocated": s.consultancy_days_allocated,
            # A count without dated entries (version 1) is kept as one entry; with them,
            # the entries are the record and the count is only their sum.
            "consultancy_days_used": 0 if doc.consultancy else s.consultancy_days_used}
    for e, p in people.items():
        if p.role is not None:
            if p.perspective is None:
                bad(f"people/{e}/perspective", None, "A member of the site needs a perspective")
            else:
                sp.members[e] = (p.role.value, p.perspective.value)

    def person(where: str, email: str | None) -> str | None:
        if email is not None and email.lower() not in people:
            bad(where, email, "This person is not in the document's list of people")
        return email.lower() if email else None

    if s.learning_set is not None and sp.existing_id is None:
        sp.learning_set = s.learning_set.name
        if s.learning_set.name not in known.learning_sets:
            plan.learning_sets[s.learning_set.name] = {
                "region": s.learning_set.region, "facilitators": [
                    person(f"site/learning_set/facilitators/{i}", f)
                    for i, f in enumerate(s.learning_set.facilitators)]}
    if doc.framework.id != "imroc" or doc.framework.version not in known.frameworks:
        bad("framework", f"{doc.framework.id} {doc.framework.version}",
            "This framework version is not loaded here")
    open_cycles = 0
    for i, c in enumerate(doc.cycles):
        at = f"cycles/{i}"
        fid = known.frameworks.get(c.framework_version)
        if fid is None:
            bad(f"{at}/framework_version", c.framework_version, "Not a framework version here")
            continue
        if c.number in sp.cycles:
            bad(f"{at}/number", c.number, "This cycle number is used twice")
            continue
        if (sp.existing_id, c.number) in known.cycles:
            bad(f"{at}/number", c.number, f"{sp.existing_name} already has a cycle {c.number}: "
                "an import adds history and never changes what is recorded")
            continue
        open_cycles += c.stage.value != "closed"
        if open_cycles > 1 or (c.stage.value != "closed" and sp.existing_id in known.open_sites):
            bad(f"{at}/stage", c.stage.value, "Only one cycle can be open")
        cp = sp.cycles[c.number] = CyclePlan(
            number=c.number, framework_id=fid, stage=c.stage.value, started_on=c.started_on,
            review_due_on=c.review_due_on, signed_off_at=c.signed_off_at,
            signed_off_by=person(f"{at}/signed_off_by", c.signed_off_by),
            closed_at=c.closed_at, pdsa=c.pdsa.model_dump(),
            meeting=(c.meeting.held_on, c.meeting.title) if c.meeting else None)
        _scores(c, cp, at, known, bad, person)
    _carried(doc, sp, bad)
    settle_dates(sp, known, lambda n, message: bad(
        f"cycles/{[c.number for c in doc.cycles].index(n)}/signed_off_at", None, message))
    for section in SECTIONS:
        sp.sections[section.KEY] = section.check(session, getattr(doc, section.KEY),
                                                 sp.existing_id, bad, doc=doc,
                                                 note=sp.notes.append)
    return plan, problems


def _scores(c, cp: CyclePlan, at: str, known: Known, bad, person) -> None:
    def valid(where: str, challenge: int, *levels: int) -> bool:
        message = challenge_problem(known, cp.framework_id, challenge) or next(
            (m for m in (level_problem(known, cp.framework_id, lv) for lv in levels) if m), None)
        if message:
            bad(where, challenge, message)
        return message is None

    def once(where: str, key: tuple, seen: set) -> bool:
        if key in seen:
            bad(where, "", "Given twice")
            return False
        seen.add(key)
        return True

    seen: set = set()
    for j, r in enumerate(c.ratings):
        w = f"{at}/ratings/{j}"
        if r.dont_know and r.level is not None:
            bad(f"{w}/dont_know", "true", "A rating is either a level or “don't know”: "
                "send level null with dont_know")
            continue
        if not r.dont_know and r.level is None:
            bad(f"{w}/level", "null", "Give a level, or dont_know true")
            continue
        if valid(w, r.challenge, r.level) and once(w, ("r", r.rater.lower(), r.challenge), seen):
            cp.ratings.append({**r.model_dump(mode="python"), "rater": person(w, r.rater),
                               "perspective": r.perspective.value})
    for j, sc in enumerate(c.consensus):
        w = f"{at}/consensus/{j}"
        if valid(w, sc.challenge, sc.level) and once(w, ("c", sc.challenge), seen):
            cp.consensus.append(sc.model_dump())
    for j, r in enumerate(c.facilitator_ratings):
        w = f"{at}/facilitator_ratings/{j}"
        if valid(w, r.challenge, r.level) and once(w, ("f", r.rater.lower(), r.challenge), seen):
            cp.facilitator_ratings.append({**r.model_dump(), "rater": person(w, r.rater)})
    for j, p in enumerate(c.priorities):
        w = f"{at}/priorities/{j}"
        if valid(w, p.challenge, p.current_level, p.target_level) and \
                once(w, ("p", p.rank), seen) and once(w, ("pc", p.challenge), seen):
            cp.priorities.append(p.model_dump())
    for j, a in enumerate(c.actions):
        w = f"{at}/actions/{j}"
        if valid(w, a.challenge) and once(w, ("a", a.number), seen):
            cp.actions.append({**a.model_dump(), "status": a.status.value,
                               "outcome": a.outcome.value if a.outcome else None,
                               "carried_from": (a.carried_from.cycle, a.carried_from.number)
                               if a.carried_from else None})
    for j, f in enumerate(c.feedback):
        cp.feedback.append({"author": person(f"{at}/feedback/{j}", f.author), "body": f.body,
                            "created_at": f.created_at})


def _carried(doc: ExchangeDoc, sp: SitePlan, bad) -> None:
    for i, c in enumerate(doc.cycles):
        cp = sp.cycles.get(c.number)
        for j, a in enumerate(cp.actions if cp else []):
            origin = a["carried_from"]
            source = sp.cycles.get(origin[0]) if origin else None
            if origin and (source is None or origin[0] >= c.number or not any(
                    x["number"] == origin[1] for x in source.actions)):
                bad(f"cycles/{i}/actions/{j}/carried_from", f"{origin[0]}/{origin[1]}",
                    "Must name an action of an earlier cycle in this document")
