"""Changes that worked in the exchange document: a shared change and the action another site
made of it travel between installations in either order, an origin that is not there is
reported in plain words, contradictions are refused with their field path, markup stays
text, and documents without the sections still import."""

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from imroc.db import write_session
from imroc.models import Action, Cycle, SharedChange, Site
from imroc.services import changes
from imroc.services.access import load_principal
from imroc.services.data_io.exchange import export_site
from imroc.services.data_io.imports import run_import
from tests.change_factories import ready_cycle, shared
from tests.checks import live_tags
from tests.data_history import empty_database
from tests.factories import make_user, sign_in

SIGNED = datetime(2024, 2, 1, 10, 30, tzinfo=UTC)
TITLE = "Peer workers join ward rounds"
NOT_HERE = ("Cycle 1, action 1 tried “Peer workers join ward rounds”, a change another site "
            "shared, which is not here: the action is imported without that link. Importing "
            "that site's exchange document afterwards links them.")


def _signed(session, cycle_id: int) -> None:
    cycle = session.get(Cycle, cycle_id)
    cycle.signed_off_at = SIGNED
    session.add(cycle)
    session.commit()


def build(session, world, **share) -> dict:
    """Site A shares a change with the programme without its name; site B tries it in its
    open cycle. Returns both sites' documents."""
    change = shared(session, lead=world.lead, site=world.site_a, scope="programme",
                    anonymised=True, **share)
    _signed(session, change.cycle_id)
    target = ready_cycle(session, site=world.site_b)
    _signed(session, target.id)
    changes.adopt(session, change=change, cycle_id=target.id,
                  principal=load_principal(session, world.member_b))
    return {"a": document(session, world.site_a.id), "b": document(session, world.site_b.id)}


def document(session, site_id: int) -> dict:
    doc = export_site(session, principal=None, site=session.get(Site, site_id)
                      ).model_dump(mode="json")
    doc.pop("exported_at")
    return doc


def import_document(doc: dict, *, dry_run: bool = False):
    with write_session() as s:
        return run_import(s, json.dumps({**doc, "exported_at": "2025-01-01T00:00:00Z"})
                          .encode(), principal=None, dry_run=dry_run,
                          max_bytes=10 * 1024 * 1024)


def links() -> list[tuple]:
    """Each action that tries a change: its site, and the change's title and site."""
    with write_session() as s:
        rows = s.exec(select(Site.name, SharedChange.title, SharedChange.site_id)
                      .join(Cycle, Cycle.site_id == Site.id)
                      .join(Action, Action.cycle_id == Cycle.id)
                      .join(SharedChange, SharedChange.id == Action.origin_change_id)).all()
        names = dict(s.exec(select(Site.id, Site.name)).all())
        return [(site, title, names[owner]) for site, title, owner in rows]


def test_the_document_names_the_change_and_where_it_was_tried(session, world):
    docs = build(session, world)
    [change] = docs["a"]["shared_changes"]
    assert {k: change[k] for k in ("cycle", "action", "scope", "learning_set", "anonymised",
                                   "title", "shared_by", "withdrawn_at")} == {
        "cycle": 1, "action": 1, "scope": "programme", "learning_set": "Set A",
        "anonymised": True, "title": TITLE, "shared_by": world.lead.email,
        "withdrawn_at": None}
    assert change["what_was_done"] == "Two peer workers joined the morning ward round."
    assert change["tried_at"] == [{"site": world.site_b.uid, "cycle": 1, "action": 1}]
    assert docs["a"]["tried_changes"] == [] and docs["b"]["shared_changes"] == []
    with write_session() as s:
        uid = s.exec(select(SharedChange.uid)).one()
    assert change["uid"] == uid
    # The trying site's document names the change by its own identifier: site A shared it
    # without its name, and site A's identifier is nowhere in site B's document.
    assert docs["b"]["tried_changes"] == [{"cycle": 1, "action": 1, "change": {
        "uid": uid, "title": TITLE}}]
    assert world.site_a.uid not in json.dumps(docs["b"])


def older(docs: dict) -> dict:
    """The two documents as they were written before changes had identifiers: the trying
    site names the change by the sharing site's uid and the action's place."""
    a, b = json.loads(json.dumps(docs["a"])), json.loads(json.dumps(docs["b"]))
    for change in a["shared_changes"]:
        del change["uid"]
    b["tried_changes"][0]["change"] = {"site": a["site"]["uid"], "cycle": 1, "action": 1,
                                       "title": TITLE}
    return {"a": a, "b": b}


@pytest.mark.parametrize("order", [("a", "b"), ("b", "a")])
@pytest.mark.parametrize("written", ["now", "before identifiers"])
def test_both_sites_travel_whole_and_linked_in_either_order(session, world, order, written):
    docs = build(session, world)
    sent = docs if written == "now" else older(docs)
    empty_database()
    for key in order:
        report = import_document(sent[key])
        assert report.problems == [] and report.imported, report.problems
        if key == "a":
            assert report.counts["shared_changes"] == 1
    assert links() == [("Site B", TITLE, "Site A")]
    with write_session() as s:
        ids = dict(s.exec(select(Site.name, Site.id)).all())
        again = {"a": document(s, ids["Site A"]), "b": document(s, ids["Site B"])}
    if written == "now":
        assert again == docs
    else:  # the change drew a new identifier, which both documents now name it by
        uid = again["a"]["shared_changes"][0]["uid"]
        assert uid != docs["a"]["shared_changes"][0]["uid"]
        assert again["b"]["tried_changes"][0]["change"] == {"uid": uid, "title": TITLE}


def test_the_dry_run_says_when_the_change_tried_is_not_here(session, world):
    docs = build(session, world)
    empty_database()
    dry = import_document(docs["b"], dry_run=True)
    assert dry.problems == [] and not dry.imported
    assert dry.sites[0].notes == [NOT_HERE]
    assert import_document(docs["b"]).imported
    with write_session() as s:
        [action] = s.exec(select(Action)).all()
        assert action.title == TITLE and action.origin_change_id is None
    # The sharing site's document, imported afterwards, says it makes the link, and does.
    sharer = import_document(docs["a"], dry_run=True)
    assert sharer.sites[0].notes == [
        f"“{TITLE}” (cycle 1, action 1) was tried by 1 action of other sites already here: "
        "the import links them to it"]
    assert import_document(docs["a"]).imported
    assert links() == [("Site B", TITLE, "Site A")]


def test_a_site_that_tries_its_own_change_again_keeps_the_link(session, world):
    change = shared(session, lead=world.lead, site=world.site_a, scope="learning_set")
    _signed(session, change.cycle_id)
    again = ready_cycle(session, site=world.site_a)
    _signed(session, again.id)
    changes.adopt(session, change=change, cycle_id=again.id,
                  principal=load_principal(session, world.lead))
    before = document(session, world.site_a.id)
    assert before["tried_changes"][0]["change"]["uid"] == before["shared_changes"][0]["uid"]
    empty_database()
    report = import_document(before)
    assert report.problems == [] and report.imported and report.sites[0].notes == []
    assert links() == [("Site A", TITLE, "Site A")]
    with write_session() as s:
        after = document(s, s.exec(select(Site.id)).one())
    assert after == before


def _second(d: dict) -> None:
    d["shared_changes"].append({**d["shared_changes"][0], "tried_at": [],
                                "uid": "0b7f6c55-2d1e-4c3a-9a43-5f1e2b7d9c10"})


def _same_uid(d: dict) -> None:
    d["shared_changes"].append({**d["shared_changes"][0], "tried_at": []})


@pytest.mark.parametrize(("site", "change", "column", "reason"), [
    ("a", lambda d: d["cycles"][0]["actions"][0].update(outcome="abandon"),
     "shared_changes/0/action", "Only changes that were adopted or adapted can be shared. "
     "This one was abandoned."),
    ("a", lambda d: d["cycles"][0].update(stage="act", closed_at=None),
     "shared_changes/0/cycle", "Changes are shared once their cycle is closed. Cycle 1 is at "
     "the act stage."),
    ("a", lambda d: d["shared_changes"][0].update(scope="learning_set", learning_set=None),
     "shared_changes/0/learning_set", "A change shared with a learning set must name the "
     "set, or be shared with the whole programme"),
    ("a", lambda d: d["shared_changes"][0].update(learning_set="Set Z"),
     "shared_changes/0/learning_set", "No learning set here has this name, and it is not "
     "the site's learning set in this document"),
    ("a", _second, "shared_changes/1/action",
     "This action is shared twice: an action is shared once, with one scope"),
    ("a", _same_uid, "shared_changes/1/uid", "This identifier is given to two changes"),
    ("a", lambda d: d["shared_changes"][0].update(action=7), "shared_changes/0/action",
     "Must name an action of a cycle in this document"),
    ("a", lambda d: d["shared_changes"][0].update(shared_by="someone@else.org"),
     "shared_changes/0/shared_by", "This person is not in the document's list of people"),
    ("a", lambda d: d["shared_changes"][0].update(withdrawn_at="2020-01-01T00:00:00Z"),
     "shared_changes/0/withdrawn_at", "A change is withdrawn after it was shared, not before"),
    ("a", lambda d: d["shared_changes"][0]["tried_at"].append(
        d["shared_changes"][0]["tried_at"][0]), "shared_changes/0/tried_at/1", "Given twice"),
    ("a", lambda d: d["shared_changes"][0].update(scope="everyone"),
     "shared_changes/0/scope", "Select who to share the change with"),
    ("b", lambda d: d["tried_changes"][0].update(action=5), "tried_changes/0/action",
     "Must name an action of a cycle in this document"),
    ("b", lambda d: d["tried_changes"].append(d["tried_changes"][0]), "tried_changes/1/action",
     "This action is given twice: an action tries one shared change"),
    ("b", lambda d: d["tried_changes"][0].update(change={
        "site": d["site"]["uid"], "cycle": 1, "action": 1, "title": TITLE}),
     "tried_changes/0/change", "Names a change of this site that is neither in the "
     "document's shared_changes nor here"),
    ("b", lambda d: d["tried_changes"][0]["change"].update(site=d["site"]["uid"], cycle=1,
                                                           action=1),
     "tried_changes/0/change", "Change: Name the change by its uid or by site, cycle and action, "
     "not both"),
    ("b", lambda d: d["tried_changes"][0]["change"].pop("uid"),
     "tried_changes/0/change", "Change: Name the change by its uid (or, as older documents do, by "
     "site, cycle and action)"),
])
def test_a_contradiction_is_refused_with_its_field_and_nothing_is_imported(
        session, world, site, change, column, reason):
    doc = build(session, world)[site]
    empty_database()
    change(doc)
    report = import_document(doc)
    assert not report.imported
    assert [(p.column, p.message) for p in report.problems][:1] == [(column, reason)]
    with write_session() as s:
        assert s.exec(select(Site)).all() == [] and s.exec(select(SharedChange)).all() == []


def test_a_change_identifier_already_here_is_refused(session, world):
    docs = build(session, world)
    empty_database()
    assert import_document(docs["a"]).imported
    copy = json.loads(json.dumps(docs["a"]))
    copy["site"].update(uid="5d0c1f0e-8a5b-4d7e-9a63-2b1c4e6f8a90", name="Site A copy")
    report = import_document(copy)
    assert not report.imported
    assert ("shared_changes/0/uid", "Another change has this identifier already") in [
        (p.column, p.message) for p in report.problems]
    with write_session() as s:
        assert len(s.exec(select(SharedChange)).all()) == 1


def test_markup_in_the_texts_stays_text(client, session, world):
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    docs = build(session, world, title=evil[:200], notes=f'=HYPERLINK("x") {evil}')
    assert docs["a"]["shared_changes"][0]["title"] == evil  # JSON needs no defusing
    empty_database()
    assert import_document(docs["a"]).imported
    with write_session() as s:
        change = s.exec(select(SharedChange)).one()
        assert (change.title, change.what_was_done) == (evil, f'=HYPERLINK("x") {evil}')
    session.expunge_all()  # the installation was emptied: forget the rows read before
    sign_in(client, make_user(session, global_role="programme_team"))
    page = client.get(f"/changes/{change.id}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert not [t for t, a in live_tags(page) if t == "img" and ("src", "x") in a]


def test_documents_without_the_sections_still_import(session, world):
    docs = build(session, world)
    empty_database()
    older = {k: v for k, v in docs["a"].items() if k not in ("shared_changes",
                                                             "tried_changes")}
    report = import_document(older)
    assert report.problems == [] and report.imported and "shared_changes" not in report.counts
    first = {k: v for k, v in docs["b"].items() if k not in (
        "shared_changes", "tried_changes", "measures", "consultancy", "progress_scores")}
    first["format_version"] = 1
    first["site"] = {k: v for k, v in first["site"].items() if k != "uid"}
    report = import_document(first)
    assert report.problems == [] and report.imported and report.sites[0].new
    with write_session() as s:
        assert s.exec(select(SharedChange)).all() == []
        assert [a.origin_change_id for a in s.exec(select(Action))] == [None, None]
