"""The framework as data: loading, idempotency, the API shape and the page."""

import copy

import pytest
from sqlmodel import func, select

from imroc.errors import Conflict
from imroc.models import Challenge, ChallengeDescriptor, Framework, ScaleLevel, SiteKind
from imroc.seed.reference import load_reference
from imroc.services import frameworks
from tests.factories import World, api_token, sign_in


def _counts(session):
    return tuple(session.exec(select(func.count()).select_from(m)).one()
                 for m in (Framework, ScaleLevel, Challenge, ChallengeDescriptor, SiteKind))


def test_seed_file_has_ten_challenges_and_the_default_scale():
    data = frameworks.read_file()
    assert [c["number"] for c in data["challenges"]] == list(range(1, 11))
    assert [(s["level"], s["name"]) for s in data["scale"]] == [
        (0, "Not yet started"), (1, "Engagement"), (2, "Development"), (3, "Transformation")]
    assert all(len(c["level_descriptors"]) == 4 and all(d.strip() for d in c["level_descriptors"])
               for c in data["challenges"])


def test_loading_twice_gives_the_same_rows(session):
    before = _counts(session)
    assert before == (1, 4, 10, 40, 3)
    result = load_reference(session)
    assert result["framework_created"] is False and result["site_kinds_added"] == 0
    assert _counts(session) == before


def test_changed_content_under_the_same_version_is_refused(session):
    data = copy.deepcopy(frameworks.read_file())
    data["challenges"][0]["title"] = "Something else"
    with pytest.raises(Conflict, match="new version"):
        frameworks.load(session, data)
    assert _counts(session) == (1, 4, 10, 40, 3)


def test_a_new_version_is_added_beside_the_old(session):
    data = copy.deepcopy(frameworks.read_file())
    data["version"] = "2016.1"
    data["challenges"][2]["short_title"] = "Developing recovery colleges"
    fw, created = frameworks.load(session, data)
    assert created and frameworks.current(session).version == "2016.1"
    assert _counts(session)[:4] == (2, 8, 20, 80)


def test_bad_framework_file_is_refused(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('key="x"\nversion="1"\ntitle="t"\n[[scale]]\nlevel=1\nname="a"\n'
                   '[[challenges]]\nnumber=1\ntitle="t"\nshort_title="s"\nlevel_descriptors=[]\n')
    with pytest.raises(ValueError, match="scale levels"):
        frameworks.read_file(bad)


def test_api_framework_shape(client, session):
    world = World(session)
    body = client.get("/api/v1/framework", headers=api_token(client, world.member)).json()
    assert body["version"] == "2011.1"
    assert [s["level"] for s in body["scale"]] == [0, 1, 2, 3]
    assert set(body["scale"][0]) == {"level", "name", "description"}
    first = body["challenges"][0]
    assert set(first) == {"number", "title", "short_title", "description", "level_descriptors"}
    assert first["short_title"] == "Day-to-day interactions" and len(first["level_descriptors"]) == 4


def test_api_framework_needs_a_token(client):
    assert client.get("/api/v1/framework").status_code == 401


def test_framework_page_shows_every_challenge_and_descriptor(client, session):
    world = World(session)
    sign_in(client, world.member)
    html = client.get("/framework").text
    data = frameworks.read_file()
    for c in data["challenges"]:
        assert c["short_title"].replace("'", "&#39;") in html
        assert c["level_descriptors"][3].replace("'", "&#39;").replace('"', "&#34;") in html
