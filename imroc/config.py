"""Settings read from IMROC_* environment variables (and .env), with production guards."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-secret-do-not-use-in-production"


class Settings(BaseSettings):
    """Everything the service can be configured with."""

    model_config = SettingsConfigDict(env_prefix="IMROC_", env_file=".env", extra="ignore")

    env: Literal["dev", "demo", "test", "production"] = "dev"
    database_url: str = f"sqlite:///{ROOT / 'data' / 'imroc.db'}"
    secret_key: str = DEV_SECRET
    max_priorities: int = Field(default=3, ge=1, le=10)
    # SPC: how many points in a row on one side of the mean make a shift (7, or 6 by choice).
    spc_shift_length: int = Field(default=7, ge=6, le=9)
    cookie_secure: bool = True
    session_idle_minutes: int = Field(default=60, ge=1)
    # How long before the idle limit a signed-in page warns, offering to stay signed in.
    session_warning_seconds: int = Field(default=120, ge=20)
    session_absolute_hours: int = Field(default=12, ge=1)
    api_token_hours: int = Field(default=8, ge=1)
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_seconds: int = Field(default=300, ge=1)
    # A whole trust may sign in through one address: sized for that, and only failures count.
    login_address_max_failures: int = Field(default=100, ge=1)
    login_address_window_seconds: int = Field(default=900, ge=1)
    # Proxies whose X-Forwarded-For is believed (comma-separated addresses); none by default.
    trusted_proxies: str = ""
    max_text_length: int = Field(default=5000, ge=100)
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # Evidence (documents, images, spreadsheets attached to ratings, agreed levels, actions
    # and the PDSA record): kept here by the SHA-256 of their content, each content once.
    files_dir: Path = ROOT / "data" / "files"
    evidence_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    hash_concurrency: int = Field(default=2, ge=1)
    # Mail: smtp://user:password@host:587 (STARTTLS whenever the server offers it) or
    # smtps://...:465 (TLS from the start). Empty: messages go to the log and the admins'
    # outbox page instead (development and the demo).
    smtp_url: str = ""
    mail_from: str = "ImROC self-audit <no-reply@imroc.invalid>"
    # The address people reach the service at, for links in e-mails.
    base_url: str = "http://127.0.0.1:8000"
    # A cycle with no change of stage for this many weeks is "stalled" on the to-do lists.
    stalled_weeks: int = Field(default=8, ge=1, le=52)
    # Single sign-on through the organisation's OpenID provider (off while the issuer is empty).
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_label: str = "Sign in with your NHS organisation"
    # Comma-separated: e-mail domains whose people may get in by SSO without an account or an
    # invitation (they arrive with no roles), and the Entra tenants (`tid`) accepted.
    oidc_allowed_domains: str = ""
    oidc_allowed_tenants: str = ""
    # Off: passwords are refused for people of an allowed domain or who have used SSO.
    password_sign_in: bool = True
    log_level: str = "INFO"
    # Adds X-SQL-Statements to every response (benchmarks and diagnosis only).
    count_sql: bool = False

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> "Settings":
        if self.env == "production":
            if self.secret_key == DEV_SECRET or len(self.secret_key) < 32:
                raise ValueError("IMROC_SECRET_KEY must be set to at least 32 random characters")
            if not self.cookie_secure:
                raise ValueError("IMROC_COOKIE_SECURE cannot be off in production")

        return self

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @property
    def allowed_domains(self) -> frozenset[str]:
        return _listed(self.oidc_allowed_domains)

    @property
    def allowed_tenants(self) -> frozenset[str]:
        return _listed(self.oidc_allowed_tenants)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _listed(value: str) -> frozenset[str]:
    return frozenset(part.strip().lower() for part in value.split(",") if part.strip())


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests clear the cache)."""
    return Settings()


def is_api(path: str) -> bool:
    """Whether a request is for the JSON API (bearer tokens, JSON errors) rather than a page."""
    return path.startswith("/api/")
