"""The framework as data: loading a version from seed/ and reading it back."""

import tomllib
from collections.abc import Collection
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from imroc.config import ROOT
from imroc.errors import Conflict, NotFound
from imroc.models import Challenge, ChallengeDescriptor, Framework, ScaleLevel
from imroc.models.framework import CHALLENGE_NUMBERS

FRAMEWORK_DIR = ROOT / "seed" / "framework"
DEFAULT_FILE = FRAMEWORK_DIR / "imroc-2011.toml"


def read_file(path: Path = DEFAULT_FILE) -> dict[str, Any]:
    """Read and check a framework file: a scale and ten challenges with a descriptor per level."""
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    levels = [s["level"] for s in data["scale"]]
    if levels != list(range(len(levels))):
        raise ValueError(f"{path.name}: scale levels must be 0, 1, 2... in order")
    numbers = [c["number"] for c in data["challenges"]]
    if numbers != list(CHALLENGE_NUMBERS):
        raise ValueError(f"{path.name}: challenges must be numbered 1 to 10 in order")
    for c in data["challenges"]:
        if len(c["level_descriptors"]) != len(levels):
            raise ValueError(f"{path.name}: challenge {c['number']} needs one descriptor per level")
    return data


def document(session: Session, framework: Framework) -> dict[str, Any]:
    """The framework as the API and pages show it (three queries)."""
    scale = session.exec(select(ScaleLevel).where(ScaleLevel.framework_id == framework.id)
                         .order_by(col(ScaleLevel.level))).all()
    challenges = session.exec(select(Challenge).where(Challenge.framework_id == framework.id)
                              .order_by(col(Challenge.number))).all()
    descriptors = session.exec(
        select(ChallengeDescriptor).where(
            col(ChallengeDescriptor.challenge_id).in_([c.id for c in challenges] or [-1]))
        .order_by(col(ChallengeDescriptor.level))).all()
    by_challenge: dict[int, list[str]] = {}
    for d in descriptors:
        by_challenge.setdefault(d.challenge_id, []).append(d.text)
    return {
        "id": framework.id,
        "key": framework.key,
        "version": framework.version,
        "title": framework.title,
        "description": framework.description,
        "scale": [{"level": s.level, "name": s.name, "description": s.description} for s in scale],
        "challenges": [
            {"number": c.number, "title": c.title, "short_title": c.short_title,
             "description": c.description, "level_descriptors": by_challenge.get(c.id, [])}
            for c in challenges
        ],
    }


def current(session: Session, key: str = "imroc") -> Framework:
    """The most recently loaded version of the framework."""
    fw = session.exec(select(Framework).where(Framework.key == key)
                      .order_by(col(Framework.id).desc())).first()
    if fw is None:
        raise NotFound("The framework has not been loaded yet. Run 'imroc seed framework'.")
    return fw


def _same(stored: dict[str, Any], data: dict[str, Any]) -> bool:
    wanted = {
        "title": data["title"], "description": data.get("description", ""),
        "scale": [{"level": s["level"], "name": s["name"], "description": s.get("description", "")}
                  for s in data["scale"]],
        "challenges": [{"number": c["number"], "title": c["title"],
                        "short_title": c["short_title"], "description": c.get("description", ""),
                        "level_descriptors": list(c["level_descriptors"])}
                       for c in data["challenges"]],
    }
    return all(stored[k] == v for k, v in wanted.items())


def load(session: Session, data: dict[str, Any]) -> tuple[Framework, bool]:
    """Load a framework version idempotently; returns it and whether it was created.

    A version is never changed in place: loading different content under a version that
    exists is refused, so history scored against it keeps its meaning.
    """
    existing = session.exec(select(Framework).where(
        Framework.key == data["key"], Framework.version == data["version"])).first()
    if existing is not None:
        if not _same(document(session, existing), data):
            raise Conflict(f"Framework {data['key']} version {data['version']} is already loaded "
                           "with different content. Give the changed framework a new version.")
        return existing, False
    fw = Framework(key=data["key"], version=data["version"], title=data["title"],
                   description=data.get("description", ""))
    session.add(fw)
    session.flush()
    for s in data["scale"]:
        session.add(ScaleLevel(framework_id=fw.id, level=s["level"], name=s["name"],
                               description=s.get("description", "")))
    for c in data["challenges"]:
        ch = Challenge(framework_id=fw.id, number=c["number"], title=c["title"],
                       short_title=c["short_title"], description=c.get("description", ""))
        session.add(ch)
        session.flush()
        for level, text in enumerate(c["level_descriptors"]):
            session.add(ChallengeDescriptor(challenge_id=ch.id, level=level, text=text))
    session.commit()
    return fw, True


# A framework version never changes once loaded (`load` refuses), so its document is read
# once per process and database: every server that reads it gets the same answer.
_DOCUMENTS: dict[tuple[Any, int], dict[str, Any]] = {}
_KEPT_VERSIONS = 64


def document_by_id(session: Session, framework_id: int) -> dict[str, Any]:
    """The framework version a cycle was assessed against, as the pages show it. The same
    dictionary is shared by every request: read it, never change it."""
    key = (session.get_bind().url, framework_id)
    found = _DOCUMENTS.get(key)
    if found is None:
        fw = session.get(Framework, framework_id)
        if fw is None:
            raise NotFound("Framework not found")
        found = document(session, fw)
        if len(_DOCUMENTS) < _KEPT_VERSIONS:
            _DOCUMENTS[key] = found
    return found


def forget_documents() -> None:
    """Drop the kept documents (a database emptied and loaded again, as between tests)."""
    _DOCUMENTS.clear()


def short_titles(session: Session) -> list[str]:
    """The ten short titles of the current framework, in number order."""
    return [c["short_title"] for c in _current_document(session)["challenges"]]


def scale_names(session: Session) -> list[str]:
    """The names of the current framework's levels, lowest first ("Not yet started"...):
    what level axes and keys show beside each number."""
    return [s["name"] for s in _current_document(session)["scale"]]


def _current_document(session: Session) -> dict[str, Any]:
    """The current version's document: which version is current is read each time (one
    statement); the version itself never changes, so its document is kept."""
    return document_by_id(session, current(session).id)


def scale_levels(session: Session, framework_id: int) -> list[int]:
    """The levels of a framework version's rating scale, lowest first."""
    return [s["level"] for s in document_by_id(session, framework_id)["scale"]]


def level_problem(levels: Collection[int], level: int) -> str | None:
    """Why a level is not one of the scale's (None when it is): the one check of a level,
    for the forms, the API and imports alike."""
    if level in levels:
        return None
    if not levels:
        return "The framework has no scale"
    return f"Must be a level of the scale, {min(levels)} to {max(levels)}"
