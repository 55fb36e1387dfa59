"""An invitation, from the lead's page to the e-mail (read back from a real SMTP server) to
the invitee's own password, their to-do and their first rating."""

import re
import time

import pytest

from tests.browser.conftest import SERVER_MAIL, describe, run_axe, sign_in

pytestmark = pytest.mark.browser
LEAD = "s05.lead@imroc.example"
INVITEE = "ivy.invitee@example.org"


def _message_to(address: str, wait: float = 15.0):
    box = SERVER_MAIL["box"]
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        found = [m for m in box.messages if address in m["To"]]
        if found:
            return found[-1]
        time.sleep(0.1)
    raise AssertionError(f"no message to {address} arrived")


def test_an_invitation_from_email_to_first_rating(new_page) -> None:
    lead, problems = new_page()
    sign_in(lead, LEAD)
    lead.get_by_role("link", name="Sites", exact=True).first.click()
    lead.get_by_role("link", name="Ashwick Road Mental Health Centre").click()
    lead.get_by_role("link", name="Steering group members").click()
    lead.get_by_label("Their name").fill("Ivy Invitee")
    lead.get_by_label("Their email address").fill(INVITEE)
    invite = lead.locator("form[action$='/invitations']")
    invite.get_by_label("Role").select_option("site_member")
    invite.get_by_label("Perspective").select_option("lived_experience")
    lead.get_by_role("button", name="Send the invitation").click()
    assert f"An invitation has been sent to {INVITEE}" in lead.inner_text("main")
    assert run_axe(lead) == [], describe(run_axe(lead))

    message = _message_to(INVITEE)
    assert message["Subject"] == ("You are invited to join Ashwick Road Mental Health Centre "
                                  "on ImROC self-audit")
    words = SERVER_MAIL["box"].text_of(message)
    link = re.search(r"http://127\.0\.0\.1:\d+(/invitations/accept/\S+)", words).group(1)

    ivy, ivy_problems = new_page()
    ivy.goto(link)
    assert ivy.get_by_role("heading", level=1).inner_text() == \
        "Join Ashwick Road Mental Health Centre"
    assert run_axe(ivy) == [], describe(run_axe(ivy))
    ivy.get_by_label("Password", exact=True).fill("my own long password")
    ivy.get_by_label("Type the password again").fill("my own long password")
    ivy.get_by_role("button", name="Create my account").click()
    ivy.wait_for_url(lambda url: url.endswith("/?welcome=1"))
    assert "Your account is ready" in ivy.inner_text("main")
    todo = ivy.locator("#tasks")
    rate = todo.get_by_role("link", name=re.compile(r"^Rate the ten challenges for cycle 3 of "
                                                    r"Ashwick Road .*: 0 of 10 rated$"))
    rate.click()
    ivy.wait_for_url(re.compile(r"/cycles/\d+/rate"))
    first = ivy.get_by_role("group", name=re.compile(r"^1\. "))
    first.get_by_role("radio").nth(1).check()
    ivy.get_by_role("button", name=re.compile("^Save your ratings")).first.click()
    ivy.wait_for_load_state("load")
    ivy.goto("/")
    assert "1 of 10 rated" in ivy.locator("#tasks").inner_text()
    assert run_axe(ivy) == [], describe(run_axe(ivy))
    assert problems.take() == [] and ivy_problems.take() == []
