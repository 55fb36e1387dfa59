"""The OpenID Connect protocol with the organisation's provider: discovery, the authorization
code flow with PKCE, state and nonce, and the ID token's checks (signature against the
provider's keys, issuer, audience, nonce, times with a bounded clock skew).

Who may get in once the token is trusted is decided in services/sso.py."""

import base64
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from imroc.clock import utcnow
from imroc.config import get_settings
from imroc.errors import ProviderUnavailable, SignInFailed

CALLBACK_PATH = "/sign-in/oidc/callback"
SCOPES = "openid email profile"
# How far the provider's clock may be from ours when checking the token's times.
LEEWAY_SECONDS = 60
# How long a started sign-in may take at the provider (the signed cookie's life).
FLOW_SECONDS = 600
METADATA_SECONDS = 3600
TIMEOUT = httpx.Timeout(5.0)
# Entra's multi-tenant discovery names its issuer with this placeholder.
TENANT_PLACEHOLDER = "{tenantid}"
log = logging.getLogger("imroc.oidc")

DOWN = ("Your organisation's sign-in service is not answering at the moment. Try again in a "
        "few minutes, or sign in with your email address and password if you have one.")
START_AGAIN = ("This sign-in could not be completed: it began too long ago, in another "
               "browser, or was already used. Start again from the sign-in page.")
UNTRUSTED = ("Your organisation's sign-in sent an answer that could not be checked, so you "
             "have not been signed in. Start again from the sign-in page; if it happens again, "
             "tell your IT department.")

_cache: dict[str, tuple[float, dict]] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Flow:
    """What the browser carries between starting at the provider and coming back."""

    state: str
    nonce: str
    verifier: str
    next: str
    started: float


def redirect_uri() -> str:
    return get_settings().base_url.rstrip("/") + CALLBACK_PATH


def _get_json(url: str) -> dict:
    try:
        response = httpx.get(url, timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        log.warning("OpenID provider unreachable at %s: %s", url, exc)
        raise ProviderUnavailable(DOWN) from None
    if response.status_code >= 500:
        raise ProviderUnavailable(DOWN)
    try:
        response.raise_for_status()
        data = response.json()
    except (httpx.HTTPError, ValueError):
        raise SignInFailed(UNTRUSTED, status=502) from None
    if not isinstance(data, dict):
        raise SignInFailed(UNTRUSTED, status=502)
    return data


def metadata(*, force: bool = False) -> dict:
    """The provider's discovery document (kept for an hour), with its keys under "jwks"."""
    issuer = get_settings().oidc_issuer.rstrip("/")
    with _lock:
        cached = _cache.get(issuer)
    if cached and not force and time.monotonic() - cached[0] < METADATA_SECONDS:
        return cached[1]
    data = _get_json(issuer + "/.well-known/openid-configuration")
    named = str(data.get("issuer", "")).rstrip("/")
    if named != issuer and TENANT_PLACEHOLDER not in named:
        log.warning("OpenID discovery at %s names the issuer %r", issuer, named)
        raise SignInFailed(UNTRUSTED, status=502)
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(data.get(key), str):
            raise SignInFailed(UNTRUSTED, status=502)
    data = {**data, "jwks": _get_json(data["jwks_uri"])}
    with _lock:
        _cache[issuer] = (time.monotonic(), data)
    return data


def begin(next_path: str) -> tuple[str, Flow]:
    """The provider's authorization URL, and the flow to keep in the browser's signed cookie."""
    md = metadata()
    flow = Flow(state=secrets.token_urlsafe(32), nonce=secrets.token_urlsafe(32),
                verifier=secrets.token_urlsafe(48), next=next_path,
                started=utcnow().timestamp())
    settings = get_settings()
    url = add_params_to_uri(md["authorization_endpoint"], [
        ("response_type", "code"), ("client_id", settings.oidc_client_id),
        ("redirect_uri", redirect_uri()), ("scope", SCOPES), ("state", flow.state),
        ("nonce", flow.nonce), ("code_challenge", create_s256_code_challenge(flow.verifier)),
        ("code_challenge_method", "S256")])
    return url, flow


def seal(flow: Flow) -> str:
    """The flow as a signed cookie value (the signature keyed by the installation's secret)."""
    body = base64.urlsafe_b64encode(json.dumps(flow.__dict__).encode()).decode().rstrip("=")
    return body + "." + _signature(body)


def unseal(value: str | None) -> Flow | None:
    """The flow a cookie holds, or None when it is missing, altered or too old."""
    if not value or len(value) > 2000 or "." not in value:
        return None
    body, _, signature = value.rpartition(".")
    if not hmac.compare_digest(signature, _signature(body)):
        return None
    try:
        flow = Flow(**json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))))
    except (ValueError, TypeError):
        return None
    age = utcnow().timestamp() - flow.started
    return flow if 0 <= age <= FLOW_SECONDS else None


def _signature(body: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"oidc-flow:{body}".encode(), hashlib.sha256).hexdigest()


def finish(params: dict[str, str], flow: Flow | None) -> dict:
    """Check the provider's answer against the flow, exchange the code (with the PKCE
    verifier) and return the checked ID token's claims."""
    state = params.get("state") or ""
    if flow is None or not state or not hmac.compare_digest(state, flow.state):
        raise SignInFailed(START_AGAIN)
    if params.get("error"):
        raise SignInFailed("Your organisation's sign-in did not let you in "
                           f"({params['error'][:60]}). Start again from the sign-in page.")
    code = params.get("code") or ""
    if not code:
        raise SignInFailed(START_AGAIN)
    md = metadata()
    token = _exchange(md, code=code, verifier=flow.verifier)
    return check_id_token(token["id_token"], nonce=flow.nonce, md=md,
                          access_token=token.get("access_token"))


def _exchange(md: dict, *, code: str, verifier: str) -> dict:
    """The token endpoint's answer to the code and the PKCE verifier (client_secret_basic)."""
    settings = get_settings()
    try:
        response = httpx.post(md["token_endpoint"], timeout=TIMEOUT, data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri(),
            "code_verifier": verifier, "client_id": settings.oidc_client_id},
            auth=(settings.oidc_client_id, settings.oidc_client_secret)
            if settings.oidc_client_secret else None,
            headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        log.warning("OpenID token endpoint unreachable: %s", exc)
        raise ProviderUnavailable(DOWN) from None
    if response.status_code >= 500:
        raise ProviderUnavailable(DOWN)
    try:
        token = response.json()
    except ValueError:
        token = None
    if response.status_code == 400 and isinstance(token, dict):
        # A code used before, expired, or not this client's: start again.
        log.info("OpenID token exchange refused: %s", token.get("error"))
        raise SignInFailed(START_AGAIN)
    if response.status_code != 200 or not isinstance(token, dict) \
            or not isinstance(token.get("id_token"), str):
        raise SignInFailed(UNTRUSTED, status=502)
    return token


def _decode(id_token: str, md: dict):
    algorithms = [a for a in md.get("id_token_signing_alg_values_supported") or ["RS256"]
                  if a != "none"]
    registry = JWSRegistry(algorithms=algorithms, strict_check_header=False)
    try:
        return jwt.decode(id_token, KeySet.import_key_set(md["jwks"]), registry=registry)
    except InvalidKeyIdError:
        # The provider may have rolled its keys since they were fetched.
        md = metadata(force=True)
        return jwt.decode(id_token, KeySet.import_key_set(md["jwks"]), registry=registry)


def check_id_token(id_token: str, *, nonce: str, md: dict, access_token: str | None = None,
                   client_id: str | None = None) -> dict:
    """The claims of an ID token once its signature, issuer, audience, nonce and times are
    right; SignInFailed otherwise."""
    client_id = client_id or get_settings().oidc_client_id
    try:
        token = _decode(id_token, md)
        tenant = str(token.claims.get("tid", ""))
        issuer = md["issuer"].replace(TENANT_PLACEHOLDER, tenant) if tenant else md["issuer"]
        claims = CodeIDToken(token.claims, token.header,
                             {"iss": {"essential": True, "value": issuer},
                              "aud": {"essential": True, "value": client_id}},
                             {"nonce": nonce, "client_id": client_id,
                              "access_token": access_token})
        claims.validate(now=int(utcnow().timestamp()), leeway=LEEWAY_SECONDS)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        log.info("OpenID ID token refused: %s", exc)
        raise SignInFailed(UNTRUSTED) from None
    if "nonce" not in claims or not isinstance(claims.get("sub"), str):
        raise SignInFailed(UNTRUSTED)
    return dict(claims)


def end_session_url() -> str | None:
    """Where to send a person signing out so the provider ends its session too, when it
    offers that; None when it does not, or cannot be reached."""
    try:
        md = metadata()
    except (ProviderUnavailable, SignInFailed):
        return None
    endpoint = md.get("end_session_endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        return None
    settings = get_settings()
    query = urlencode({"client_id": settings.oidc_client_id,
                       "post_logout_redirect_uri": settings.base_url.rstrip("/") + "/sign-in"})
    return endpoint + ("&" if "?" in endpoint else "?") + query
