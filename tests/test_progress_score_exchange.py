"""Progress scores in the exchange document: exported by cycle number and giver, imported
into an empty installation as they were, and refused when they do not fit the document."""

import json

import pytest
from sqlmodel import select

from imroc.db import write_session
from imroc.models import ProgressScore
from imroc.services.data_io.imports import run_import
from tests.data_history import empty_database
from tests.factories import api_token

pytestmark = pytest.mark.with_history  # site A has cycles 1 (closed) and 2 (open)


@pytest.fixture
def doc(client, world):
    """Site A's exchange document after the lead and facilitator scored cycle 2."""
    lead, fac = api_token(client, world.lead), api_token(client, world.facilitator)
    cycles = client.get(f"/api/v1/sites/{world.site_a.id}/cycles", headers=lead).json()
    cid = next(c["id"] for c in cycles if c["number"] == 2)
    for headers, giver, body in ((lead, "site", {"score": 2.5, "comment": "New ward rounds"}),
                                 (fac, "facilitator", {"score": 2})):
        response = client.put(f"/api/v1/cycles/{cid}/progress-scores/{giver}", json=body,
                              headers=headers)
        assert response.status_code == 200, response.text
    response = client.get(f"/api/v1/sites/{world.site_a.id}/exchange", headers=lead)
    assert response.status_code == 200, response.text
    return response.json()


def import_document(document: dict):
    with write_session() as session:
        return run_import(session, json.dumps(document).encode(), principal=None,
                          dry_run=False, max_bytes=10 * 1024 * 1024)


def scores() -> list[tuple]:
    with write_session() as s:
        return sorted((p.giver, p.score, p.comment) for p in s.exec(select(ProgressScore)))


def test_the_document_carries_each_score_by_cycle_and_giver(doc, world):
    assert [(p["cycle"], p["giver"], p["score"], p["comment"], p["given_by"])
            for p in doc["progress_scores"]] == [
        (2, "facilitator", 2.0, "", world.facilitator.email),
        (2, "site", 2.5, "New ward rounds", world.lead.email)]


def test_imported_into_an_empty_installation_the_scores_are_as_they_were(doc):
    empty_database()
    report = import_document(doc)
    assert report.problems == [] and report.imported
    assert report.counts["progress_scores"] == 2
    assert scores() == [("facilitator", 2.0, ""), ("site", 2.5, "New ward rounds")]


@pytest.mark.parametrize(("change", "column"), [
    (lambda d: d["progress_scores"][0].update(cycle=7), "progress_scores"),
    (lambda d: d["progress_scores"][0].update(score=0.75), "progress_scores/0/score"),
    (lambda d: d["progress_scores"][0].update(score=5.5), "progress_scores/0/score"),
    (lambda d: d["progress_scores"][1].update(giver="facilitator"), "progress_scores/1/giver"),
    (lambda d: d["progress_scores"][0].update(giver="programme"), "progress_scores/0/giver"),
])
def test_a_score_that_does_not_fit_is_reported_and_nothing_is_imported(doc, change, column):
    empty_database()
    change(doc)
    report = import_document(doc)
    assert not report.imported and report.problems
    assert report.problems[0].column == column, report.problems
    assert scores() == []
