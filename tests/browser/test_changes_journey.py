"""A change that worked, from one site to another: the lead of Tynebrook shares an adopted
change from a closed cycle with the North East learning set; the lead of Harrowfell, in the
same set, finds it in the library by searching, presses "Try this here" and sees it in the
action plan, linked to where it came from. axe checks every page on the way."""

import re

import httpx
import pytest

from tests.browser.conftest import PASSWORD, describe, run_axe, screenshot, sign_in

pytestmark = pytest.mark.browser
SHARER = "s06.lead@imroc.example"  # Tynebrook Recovery Partnership, North East
TRIER = "s07.lead@imroc.example"  # Harrowfell Adult Mental Health, North East


def _api(server: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=server + "/api/v1", timeout=30)
    token = client.post("/auth/token", data={"username": email, "password": PASSWORD})
    assert token.status_code == 200, token.text
    client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    return client


def _own_site(api: httpx.Client, name: str) -> int:
    return next(s["id"] for s in api.get("/sites").json() if s["name"] == name)


def _a_change_to_share(api: httpx.Client) -> tuple[int, dict]:
    """A closed cycle of Tynebrook and an action it adopted or adapted, not yet shared."""
    site = _own_site(api, "Tynebrook Recovery Partnership")
    for cycle in api.get(f"/sites/{site}/cycles").json():
        if cycle["stage"] != "closed":
            continue
        for action in api.get(f"/cycles/{cycle['id']}/actions").json():
            if action["outcome"] in ("adopt", "adapt"):
                return cycle["id"], action
    raise AssertionError("the demo gave Tynebrook no adopted or adapted change")


def _ready_for(api: httpx.Client, challenge: int) -> int:
    """Harrowfell's open cycle moved to the plan stage with the change's challenge a
    priority (its lead does it through the API, as any other system could)."""
    site = _own_site(api, "Harrowfell Adult Mental Health")
    cycle = next(c for c in api.get(f"/sites/{site}/cycles").json() if c["stage"] != "closed")
    scores = [{"challenge": c, "level": 1, "rationale": "Agreed"} for c in range(1, 11)]
    for method, url, body in (
            ("PUT", f"/cycles/{cycle['id']}/consensus", {"scores": scores}),
            ("POST", f"/cycles/{cycle['id']}/consensus/sign-off", None),
            ("POST", f"/cycles/{cycle['id']}/advance", None),
            ("PUT", f"/cycles/{cycle['id']}/priorities", {"priorities": [
                {"challenge": challenge, "rank": 1, "target_level": 2, "reason": "Lowest"}]})):
        done = api.request(method, url, json=body)
        assert done.status_code < 300, (url, done.text)
    return cycle["id"]


def _axe(page, name: str) -> None:
    screenshot(page, f"changes-{name}")
    violations = run_axe(page)
    assert violations == [], f"{name}: {describe(violations)}"


def test_a_change_shared_in_a_learning_set_is_tried_at_another_site(new_page, server) -> None:
    cycle_id, action = _a_change_to_share(_api(server, SHARER))
    title = action["title"]

    lead, problems = new_page()
    sign_in(lead, SHARER)
    lead.goto(f"/cycles/{cycle_id}")
    card = lead.locator(f"#share-{action['id']}")
    assert "Not shared." in card.inner_text()
    _axe(lead, "1-closed-cycle")
    card.get_by_label("Your learning set").check()
    card.get_by_role("button", name="Share this change").click()
    lead.wait_for_url(re.compile(r"/changes/\d+\?shared=1$"))
    assert "The change is shared with your learning set" in lead.inner_text("main")
    assert lead.get_by_role("heading", level=1).inner_text() == title
    change_url = lead.url.split("?")[0]
    _axe(lead, "2-shared")

    trier_cycle = _ready_for(_api(server, TRIER), action["challenge"])
    other, other_problems = new_page()
    sign_in(other, TRIER)
    other.get_by_role("link", name="Changes that worked").first.click()
    other.wait_for_url(re.compile(r"/changes$"))
    other.get_by_label("Words to search for").fill(title.split()[-1])
    other.get_by_role("button", name="Find changes").click()
    other.wait_for_url(re.compile(r"/changes\?"))
    _axe(other, "3-library-search")
    found = other.locator(".app-change").filter(has_text="Shared by Tynebrook Recovery "
                                                         "Partnership")
    found.get_by_role("link", name=title).click()
    other.wait_for_url(change_url)
    _axe(other, "4-change")
    other.get_by_label("Your cycle").select_option(str(trier_cycle))
    other.get_by_role("button", name="Try this here").click()
    other.wait_for_url(re.compile(rf"/cycles/{trier_cycle}/actions#action-\d+$"))
    added = other.locator(".app-action").filter(has_text="Tried from:")
    assert added.count() == 1 and title in added.inner_text()
    assert "shared by Tynebrook Recovery Partnership" in added.inner_text()
    _axe(other, "5-action-plan")

    other.goto(change_url)
    assert "Tried at 1 site" in other.inner_text("main")
    lead.goto(change_url)
    trail = lead.inner_text("main")
    assert "Harrowfell Adult Mental Health" not in trail  # a site Tynebrook's lead cannot see
    assert re.search(r"An? [a-z-]+ site in North East learning set, from", trail), trail
    assert problems.take() == [] and other_problems.take() == []
