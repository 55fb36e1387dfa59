"""Progress scores on the cycle page: radios with each step's words, the form kept as typed
when refused, a stale version shown, and who sees which form."""

from imroc.models.progress_score import PROGRESS_LEVELS
from tests.core_loop import open_cycle
from tests.pages import form_fields, text


def score_url(cid, giver="site"):
    return f"/cycles/{cid}/progress-scores/{giver}"


def test_the_lead_gives_the_sites_score_with_each_steps_words(browser, w, client):
    cid = open_cycle(client, w.h["lead"], w.site_a.id)["id"]
    lead = browser(w.lead)
    page = lead.get(f"/cycles/{cid}")
    for score, (name, words) in PROGRESS_LEVELS.items():
        assert f'value="{score:.1f}"' in page
        assert name in text(page) and words in text(page)
    assert score_url(cid, "facilitator") not in page  # not the lead's to give
    r = lead.submit(f"/cycles/{cid}", score_url(cid), {"score": "3.5",
                                                        "comment": "Fewer <b>incidents</b>"})
    assert r.headers["location"] == f"/cycles/{cid}?score_saved=true#progress-scores"
    page = lead.get(r.headers["location"])
    words = text(page)
    assert "The progress score has been saved." in words
    assert "3.5 – Clear improvement" in words and "Fewer <b>incidents</b>" in words
    assert "<b>incidents</b>" not in page
    assert form_fields(page, score_url(cid)) | {"csrf_token": ""} == {
        "csrf_token": "", "version": "1", "score": "3.5", "comment": "Fewer <b>incidents</b>"}


def test_the_facilitator_gives_theirs_and_members_read_both(browser, w, client):
    cid = open_cycle(client, w.h["lead"], w.site_a.id)["id"]
    fac = browser(w.facilitator)
    page = fac.get(f"/cycles/{cid}")
    assert score_url(cid) not in page
    fac.submit(f"/cycles/{cid}", score_url(cid, "facilitator"), {"score": "1.5"})
    member = browser(w.member)
    page = member.get(f"/cycles/{cid}")
    assert score_url(cid) not in page and score_url(cid, "facilitator") not in page
    words = text(page)
    assert "The site's score Not given yet" in words
    assert "The facilitator's score 1.5 – Planning started Fay Facilitator" in words


def test_a_refused_score_keeps_what_was_typed_with_an_error_summary(browser, w, client):
    cid = open_cycle(client, w.h["lead"], w.site_a.id)["id"]
    lead = browser(w.lead)
    r = lead.submit(f"/cycles/{cid}", score_url(cid), {"comment": "Nearly there"}, status=422)
    assert "There is a problem" in text(r.text)
    assert 'href="#site-score"' in r.text and 'id="site-score"' in r.text
    assert "Select a progress score" in text(r.text)
    assert form_fields(r.text, score_url(cid))["comment"] == "Nearly there"
    r = lead.submit("", score_url(cid), {"score": "2.7"}, page_html=r.text, status=422)
    assert "Score must be from 0.5 to 5.0 in steps of 0.5" in text(r.text)
    assert form_fields(r.text, score_url(cid))["comment"] == "Nearly there"


def test_a_stale_score_is_refused_and_the_form_keeps_mine(browser, w, client):
    cid = open_cycle(client, w.h["lead"], w.site_a.id)["id"]
    lead = browser(w.lead)
    lead.submit(f"/cycles/{cid}", score_url(cid), {"score": "2.0"})
    stale = lead.get(f"/cycles/{cid}")
    lead.submit(f"/cycles/{cid}", score_url(cid), {"score": "2.5"})
    r = lead.submit("", score_url(cid), {"score": "4.0", "comment": "Mine"}, page_html=stale,
                    status=409)
    assert "Someone else changed this progress score" in text(r.text)
    kept = form_fields(r.text, score_url(cid))
    assert (kept["score"], kept["comment"]) == ("4.0", "Mine")
    assert "2.5 – Changes tried" in text(r.text)


def test_people_who_may_not_give_a_score_are_refused(browser, w, client, session):
    cid = open_cycle(client, w.h["lead"], w.site_a.id)["id"]
    browser(w.member).post(score_url(cid), {"score": "2.0"}, status=403)
    browser(w.facilitator).post(score_url(cid), {"score": "2.0"}, status=403)
    browser(w.lead).post(score_url(cid, "facilitator"), {"score": "2.0"}, status=403)
    browser(w.programme).post(score_url(cid), {"score": "2.0"}, status=403)
    browser(w.member_b).post(score_url(cid), {"score": "2.0"}, status=404)
    browser(w.other_facilitator).post(score_url(cid, "facilitator"), {"score": "2.0"},
                                      status=404)
    browser(w.lead).post(score_url(cid, "someone"), {"score": "2.0"}, status=404)
    assert client.get(f"/api/v1/cycles/{cid}/progress-scores",
                      headers=w.h["lead"]).json()[0]["score"] is None
