"""Numbers people can trust: a chain of carried actions is one piece of work."""

from imroc.models import LearningSet
from imroc.services.dashboards import aggregates
from tests.core_loop import API, advance_to, ok, open_cycle
from tests.factories import sign_in


def test_a_carried_action_is_counted_once_in_its_latest_cycle(client, session, w):
    lead = w.h["lead"]
    first = open_cycle(client, lead, w.site_a.id)["id"]
    advance_to(client, lead, first, "closed", action_status="in_progress")
    originals = ok(client.get(f"{API}/cycles/{first}/actions", headers=lead))
    second = ok(client.get(f"{API}/sites/{w.site_a.id}/cycles", headers=lead))[-1]["id"]
    carried = ok(client.get(f"{API}/cycles/{second}/actions", headers=lead))
    assert originals and len(carried) == len(originals)  # every one went on
    board = aggregates.learning_set_dashboard(session, ls=session.get(LearningSet, w.set_a.id))
    counts = board.action_counts[w.site_a.id]
    assert sum(counts.values()) == len(originals)  # not twice
    assert counts == {"in_progress": len(originals)}


def test_an_abandoned_change_ends_an_adopted_one_is_done_and_an_adapted_one_goes_on(
        client, session, w):
    lead = w.h["lead"]
    first = open_cycle(client, lead, w.site_a.id)["id"]
    advance_to(client, lead, first, "study", action_status="in_progress")
    url = f"{API}/cycles/{first}/actions"
    base = ok(client.get(url, headers=lead))[0]
    made = {"base": base}
    for name in ("abandoned", "adopted", "adapted"):
        made[name] = ok(client.post(url, headers=lead, json={
            "challenge": base["challenge"], "title": name, "status": "in_progress"}), 201)
    for name, outcome in (("base", "adapt"), ("abandoned", "abandon"), ("adopted", "adopt"),
                          ("adapted", "adapt")):
        made[name] = ok(client.patch(f"{API}/actions/{made[name]['id']}", headers=lead,
                                     json={"outcome": outcome, "version": made[name]["version"]}))
    cycle_url = f"{API}/cycles/{first}"
    ok(client.patch(cycle_url, headers=lead, json={"study_notes": "Two worked, one did not."}))
    assert ok(client.post(f"{cycle_url}/advance", headers=lead))["stage"] == "act"
    ok(client.patch(cycle_url, headers=lead, json={"act_notes": "Keep testing the rest."}))
    sign_in(client, w.lead)
    callout = client.get(f"/cycles/{first}").text.split('id="close-warning"')[1].split("</div>")[0]
    assert "2 unfinished actions will be carried into cycle 2" in callout
    assert "<li>adapted</li>" in callout and "<li>abandoned</li>" not in callout
    assert ok(client.post(f"{cycle_url}/advance", headers=lead))["stage"] == "closed"
    closed = {a["title"]: a for a in ok(client.get(url, headers=lead))}
    assert closed["abandoned"]["status"] == "dropped" and closed["adopted"]["status"] == "done"
    second = ok(client.get(f"{API}/sites/{w.site_a.id}/cycles", headers=lead))[-1]["id"]
    carried = sorted(a["title"] for a in ok(client.get(f"{API}/cycles/{second}/actions",
                                                       headers=lead)))
    assert carried == sorted([base["title"], "adapted"])


def test_why_an_assessment_was_reopened_is_on_the_cycle_page_for_all_who_see_it(
        client, session, w):
    lead = w.h["lead"]
    cid = open_cycle(client, lead, w.site_a.id)["id"]
    ok(client.put(f"{API}/cycles/{cid}/consensus", headers=lead, json={"scores": [
        {"challenge": c, "level": 1, "rationale": ""} for c in range(1, 11)]}))
    ok(client.post(f"{API}/cycles/{cid}/consensus/sign-off", headers=lead))
    ok(client.post(f"{API}/cycles/{cid}/consensus/reopen", headers=lead,
                   json={"reason": "Carers had not rated <yet>"}))
    for person in (w.member, w.facilitator, w.programme):
        sign_in(client, person)
        page = client.get(f"/cycles/{cid}").text
        reopened = page.split('id="reopened"')[1].split("</div>")[0]
        assert f"by {w.lead.name}: Carers had not rated &lt;yet&gt;" in reopened


def test_hidden_site_names_cannot_be_decoded_and_are_the_same_everywhere(client, session, w):
    from sqlmodel import select

    from imroc.models import Site
    from imroc.services.anonymise import site_names
    from tests.factories import csrf_from, make_site
    from tests.pages import text

    ls = session.get(LearningSet, w.set_a.id)
    for name in ("Ashby", "Bexley", "Crewe", "Dover", "Ely"):
        make_site(session, name=name, learning_set=ls)
    ls.letter_seed = "a-seed-drawn-for-this-test"
    session.add(ls)
    session.commit()
    sites = session.exec(select(Site).where(Site.learning_set_id == ls.id)).all()
    names = site_names(sites, True, ls.letter_seed)
    alphabetical = {s.id: f"Site {chr(65 + i)}" for i, s in
                    enumerate(sorted(sites, key=lambda s: s.name))}
    assert names != alphabetical  # the letters do not follow the real names' order
    real = {s.id: s.name for s in sites}
    letter_order = [names[i] for i in names]
    assert letter_order == sorted(letter_order)

    sign_in(client, w.programme)
    board = text(client.get(f"/learning-sets/{ls.id}/dashboard?anonymise=true").text)
    report = text(client.get(f"/learning-sets/{ls.id}/report?anonymise=true").text)
    summary = text(client.get(f"/learning-sets/{ls.id}/measures").text)
    export = client.get(f"/learning-sets/{ls.id}/export?anonymise=true&format=csv&table=sites")
    for words in (board, report, summary, export.text):  # ("Site A" is a real name here too)
        assert not any(n in words for n in real.values() if not n.startswith("Site "))
    assert [line.split(",")[0] for line in export.text.splitlines()[1:]] == letter_order
    assert board.index("Site A") < board.index("Site B") < board.index("Site F")

    page = client.get(f"/learning-sets/{ls.id}/dashboard?anonymise=true")
    shuffled = client.post(f"/learning-sets/{ls.id}/letters",
                           data={"csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert shuffled.status_code == 303
    session.refresh(ls)
    assert ls.letter_seed != "a-seed-drawn-for-this-test"
    sign_in(client, w.facilitator)
    page = client.get(f"/learning-sets/{ls.id}/dashboard?anonymise=true")
    assert "Shuffle the letters" not in page.text
    refused = client.post(f"/learning-sets/{ls.id}/letters",
                          data={"csrf_token": csrf_from(page.text)})
    assert refused.status_code == 403
