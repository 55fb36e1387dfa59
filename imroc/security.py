"""Password hashing, opaque tokens and CSRF tokens."""

import hashlib
import hmac
import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from imroc.config import get_settings

# argon2id with the OWASP-recommended minimum (19 MiB, 2 passes, 1 lane).
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_slots: threading.BoundedSemaphore | None = None
_slots_lock = threading.Lock()
# Verifying against this keeps the time for an unknown email the same as for a known one.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def _hash_slots() -> threading.BoundedSemaphore:
    # Each hash holds 19 MiB: bounding concurrent hashes bounds memory under a sign-in burst.
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(get_settings().hash_concurrency)
        return _slots


def hash_password(password: str) -> str:
    """An argon2id hash of a password."""
    with _hash_slots():
        return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches; constant work whether or not the user exists."""
    with _hash_slots():
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False


def new_token() -> str:
    """A random, URL-safe secret of 256 bits."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The stored form of a session or API token (keyed hash, so a database leak is useless)."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


def tokens_match(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two tokens."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))
