"""Single sign-on against a real OpenID provider (tests/oidc_provider.py): the sign-in, and
every refusal (state, replayed code, audience, issuer, expired or altered ID token,
unverified e-mail, unknown or deactivated person, a provider that is down)."""

import base64
import json
import secrets
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import time_machine
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from sqlmodel import select

from imroc.config import get_settings
from imroc.errors import SignInFailed
from imroc.models import AuthSession, Invitation, Membership, User
from imroc.services import oidc
from tests.factories import make_site, make_user
from tests.oidc_provider import CLIENT_SECRET, OTHER_CLIENT_ID, callback_path, free_port

BACK = "https://testserver/sign-in/oidc/callback"


def start(client, next_path: str = "/") -> str:
    response = client.get("/sign-in/oidc", params={"next": next_path}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def at_provider(client, provider, login: str = "alice", next_path: str = "/") -> str:
    """Start here, sign in at the provider; the address it sends the browser back to."""
    return callback_path(provider.log_in(start(client, next_path), login, BACK))


def sso_sign_in(client, provider, login: str = "alice", next_path: str = "/"):
    return client.get(at_provider(client, provider, login, next_path), follow_redirects=False)


def signed_in(client) -> bool:
    return client.get("/", follow_redirects=False).status_code == 200


def set_env(monkeypatch, **values: str) -> None:
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()


def test_sign_in_links_the_account_to_the_provider_subject(sso, client, session):
    alice = make_user(session, name="Alice Ashworth", email="alice@trust.nhs.uk")
    page = client.get("/sign-in").text
    assert "Sign in with your NHS organisation" in page and 'href="/sign-in/oidc?next=' in page
    url = start(client)
    assert "code_challenge_method=S256" in url and "nonce=" in url and "state=" in url
    back = sso.log_in(url, "alice", BACK)
    response = client.get(callback_path(back), follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert "Hello, Alice Ashworth" in client.get("/").text
    session.refresh(alice)
    assert (alice.oidc_issuer, alice.oidc_subject) == (sso.issuer, "alice")
    rows = session.exec(select(AuthSession).where(AuthSession.user_id == alice.id)).all()
    assert [r.via_sso for r in rows] == [True]


def test_later_sign_ins_match_the_subject_not_the_email(sso, client, session):
    alice = make_user(session, name="Alice Ashworth", email="alice@trust.nhs.uk")
    assert sso_sign_in(client, sso).status_code == 303
    client.cookies.clear()
    # The provider now sends another, unverified address: the subject still finds Alice.
    sso.set_account("alice", email="a.ashworth@elsewhere.example", email_verified=False)
    assert sso_sign_in(client, sso).status_code == 303
    assert "Hello, Alice Ashworth" in client.get("/").text
    assert session.exec(select(User).where(User.email.like("%elsewhere%"))).first() is None
    assert alice.id == session.exec(select(User).where(User.oidc_subject == "alice")).one().id


def test_the_page_asked_for_is_reached_after_signing_in(sso, client, session):
    make_user(session, email="alice@trust.nhs.uk")
    response = sso_sign_in(client, sso, next_path="/account/tokens")
    assert response.headers["location"] == "/account/tokens"
    client.cookies.clear()
    assert sso_sign_in(client, sso, next_path="//evil.example/").headers["location"] == "/"


@pytest.mark.parametrize("change", ["wrong", "missing"])
def test_a_wrong_or_missing_state_is_refused(sso, client, session, change):
    make_user(session, email="alice@trust.nhs.uk")
    path, _, query = at_provider(client, sso).partition("?")
    params = dict(p.split("=", 1) for p in query.split("&"))
    if change == "wrong":
        params["state"] = secrets.token_urlsafe(32)
    else:
        del params["state"]
    response = client.get(path, params=params, follow_redirects=False)
    assert response.status_code == 400
    assert "could not be completed" in response.text and "nhsuk-header" in response.text
    assert not signed_in(client)


def test_an_answer_in_another_browser_is_refused(sso, client, session):
    make_user(session, email="alice@trust.nhs.uk")
    back = at_provider(client, sso)
    client.cookies.clear()  # the signed flow cookie stays in the browser that started
    assert client.get(back, follow_redirects=False).status_code == 400
    assert not signed_in(client)


def test_a_replayed_code_is_refused(sso, client, session):
    make_user(session, email="alice@trust.nhs.uk")
    back = at_provider(client, sso)
    flow_cookie = client.cookies.get("imroc_oidc")
    assert client.get(back, follow_redirects=False).status_code == 303
    client.cookies.clear()
    # The same answer again, with the same state and flow cookie: only the code is spent.
    response = client.get(back, follow_redirects=False,
                          headers={"Cookie": f"imroc_oidc={flow_cookie}"})
    assert response.status_code == 400, response.text
    assert not signed_in(client)


def raw_id_token(provider, client_id: str) -> tuple[str, str]:
    """An ID token the provider issued to client_id (the test acting as that client)."""
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url = str(httpx.URL(provider.issuer + "/auth", params={
        "response_type": "code", "client_id": client_id, "redirect_uri": BACK,
        "scope": "openid email profile", "state": "s", "nonce": nonce,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256"}))
    back = httpx.URL(provider.log_in(url, "alice", BACK))
    answer = httpx.post(provider.issuer + "/token", auth=(client_id, CLIENT_SECRET), data={
        "grant_type": "authorization_code", "code": back.params["code"],
        "redirect_uri": BACK, "code_verifier": verifier})
    assert answer.status_code == 200, answer.text
    return answer.json()["id_token"], nonce


def test_an_id_token_for_another_audience_is_refused(sso):
    token, nonce = raw_id_token(sso, OTHER_CLIENT_ID)
    md = oidc.metadata()
    assert oidc.check_id_token(token, nonce=nonce, md=md, client_id=OTHER_CLIENT_ID)["sub"] \
        == "alice"
    with pytest.raises(SignInFailed):
        oidc.check_id_token(token, nonce=nonce, md=md)


def test_an_id_token_from_another_issuer_is_refused(sso, client, monkeypatch):
    token, nonce = raw_id_token(sso, get_settings().oidc_client_id)
    md = oidc.metadata()
    with pytest.raises(SignInFailed):
        oidc.check_id_token(token, nonce=nonce, md={**md, "issuer": "http://127.0.0.1:1"})
    with pytest.raises(SignInFailed):
        oidc.check_id_token(token, nonce="another-nonce", md=md)
    # A provider whose discovery names another issuer than the one configured is not used.
    set_env(monkeypatch, IMROC_OIDC_ISSUER=sso.issuer.replace("127.0.0.1", "localhost"))
    response = client.get("/sign-in/oidc", follow_redirects=False)
    assert response.status_code == 502 and "could not be checked" in response.text


def _payload(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_an_expired_id_token_is_refused_after_the_bounded_clock_skew(sso):
    token, nonce = raw_id_token(sso, get_settings().oidc_client_id)
    md = oidc.metadata()
    expires = datetime.fromtimestamp(_payload(token)["exp"], UTC)
    with time_machine.travel(expires + timedelta(seconds=oidc.LEEWAY_SECONDS - 5), tick=False):
        assert oidc.check_id_token(token, nonce=nonce, md=md)["sub"] == "alice"
    with time_machine.travel(expires + timedelta(seconds=oidc.LEEWAY_SECONDS + 5), tick=False):
        with pytest.raises(SignInFailed):
            oidc.check_id_token(token, nonce=nonce, md=md)


def test_an_altered_id_token_is_refused(sso):
    token, nonce = raw_id_token(sso, get_settings().oidc_client_id)
    head, body, signature = token.split(".")
    claims = {**_payload(token), "sub": "mallory", "email": "admin@imroc.example"}
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    with pytest.raises(SignInFailed):
        oidc.check_id_token(f"{head}.{forged}.{signature}", nonce=nonce, md=oidc.metadata())
    unsigned = base64.urlsafe_b64encode(b'{"alg":"none"}').decode().rstrip("=")
    with pytest.raises(SignInFailed):
        oidc.check_id_token(f"{unsigned}.{body}.", nonce=nonce, md=oidc.metadata())


def test_an_unverified_email_is_refused(sso, client, session):
    alice = make_user(session, email="alice@trust.nhs.uk")
    sso.set_account("alice", email="alice@trust.nhs.uk", email_verified=False)
    response = sso_sign_in(client, sso)
    assert response.status_code == 403
    assert "has not confirmed that alice@trust.nhs.uk" in response.text
    session.refresh(alice)
    assert alice.oidc_subject is None and not signed_in(client)


def test_an_unknown_person_is_refused(sso, client, session):
    response = sso_sign_in(client, sso)
    assert response.status_code == 403 and "no account here for alice@trust.nhs.uk" in \
        response.text
    assert session.exec(select(User)).all() == []


@pytest.mark.parametrize("linked", [False, True])
def test_a_deactivated_person_is_refused(sso, client, session, linked):
    alice = make_user(session, email="alice@trust.nhs.uk")
    if linked:
        assert sso_sign_in(client, sso).status_code == 303
        client.cookies.clear()
    alice.is_active = False
    session.add(alice)
    session.commit()
    response = sso_sign_in(client, sso)
    assert response.status_code == 403 and "has been closed" in response.text
    assert not signed_in(client)


def test_an_allowed_domain_brings_a_person_with_no_roles(sso, client, session, monkeypatch):
    set_env(monkeypatch, IMROC_OIDC_ALLOWED_DOMAINS="Trust.NHS.uk, other.nhs.uk")
    assert sso_sign_in(client, sso).status_code == 303
    page = client.get("/").text
    assert "Hello, Alice Ashworth" in page and "Ask your steering group lead for access" in page
    alice = session.exec(select(User).where(User.email == "alice@trust.nhs.uk")).one()
    assert alice.password_hash == "" and alice.global_role is None


def test_a_pending_invitation_is_accepted_without_a_password(sso, client, session):
    site = make_site(session)
    inv = Invitation(secret_hash=secrets.token_hex(32), email="alice@trust.nhs.uk",
                     name="Alice Ashworth", role="site_member", perspective="staff",
                     site_id=site.id, expires_at=datetime(2099, 1, 1, tzinfo=UTC))
    session.add(inv)
    session.commit()
    assert sso_sign_in(client, sso).status_code == 303
    alice = session.exec(select(User).where(User.email == "alice@trust.nhs.uk")).one()
    assert alice.password_hash == ""
    assert session.exec(select(Membership).where(Membership.user_id == alice.id)).one() \
        .site_id == site.id
    session.refresh(inv)
    assert inv.accepted_by_id == alice.id


def test_entra_tenants_and_the_verified_domain_claim(sso, client, session, monkeypatch):
    make_user(session, email="alice@trust.nhs.uk")
    set_env(monkeypatch, IMROC_OIDC_ALLOWED_TENANTS="tenant-a")
    sso.set_account("alice", email="alice@trust.nhs.uk", tid="tenant-b", xms_edov=True)
    response = sso_sign_in(client, sso)
    assert response.status_code == 403 and "not one of those" in response.text
    # An allowed tenant stands for a verified address (Entra sends no email_verified).
    sso.set_account("alice", email="alice@trust.nhs.uk", tid="tenant-a")
    assert sso_sign_in(client, sso).status_code == 303


def test_the_verified_domain_claim_counts_as_a_verified_email(sso, client, session):
    make_user(session, email="alice@trust.nhs.uk")
    sso.set_account("alice", email="alice@trust.nhs.uk", tid="any-tenant", xms_edov=False)
    assert sso_sign_in(client, sso).status_code == 403
    sso.set_account("alice", email="alice@trust.nhs.uk", tid="any-tenant", xms_edov=True)
    assert sso_sign_in(client, sso).status_code == 303


def test_a_provider_that_is_down_gives_a_plain_page(sso, client, session, monkeypatch):
    set_env(monkeypatch, IMROC_OIDC_ISSUER=f"http://127.0.0.1:{free_port()}")
    response = client.get("/sign-in/oidc", follow_redirects=False)
    assert response.status_code == 503
    assert "not answering" in response.text and "nhsuk-header" in response.text


def test_sign_out_ends_the_provider_session_too(sso, client, session):
    make_user(session, email="alice@trust.nhs.uk")
    assert sso_sign_in(client, sso).status_code == 303
    csrf = client.get("/").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post("/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    location = httpx.URL(response.headers["location"])
    assert str(location).startswith(sso.issuer + "/session/end")
    assert location.params["client_id"] == get_settings().oidc_client_id
    assert location.params["post_logout_redirect_uri"] == "https://testserver/sign-in"
    assert not signed_in(client)


def test_without_settings_there_is_no_single_sign_on(client, session):
    assert "/sign-in/oidc" not in client.get("/sign-in").text
    assert client.get("/sign-in/oidc", follow_redirects=False).status_code == 404
    assert client.get("/sign-in/oidc/callback?state=x&code=y",
                      follow_redirects=False).status_code == 404
