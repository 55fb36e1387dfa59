"""People, their site memberships, their sign-in sessions and sign-in throttling."""

from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from imroc.clock import utcnow
from imroc.models.base import UTCDateTime
from imroc.validation import MAX_INT, Id, InputModel, Version


class GlobalRole(StrEnum):
    programme_team = "programme_team"
    admin = "admin"


class SiteRole(StrEnum):
    site_member = "site_member"
    site_lead = "site_lead"


class Perspective(StrEnum):
    staff = "staff"
    lived_experience = "lived_experience"
    carer = "carer"
    partner = "partner"


PERSPECTIVE_LABELS = {
    Perspective.staff: "Staff",
    Perspective.lived_experience: "Lived experience",
    Perspective.carer: "Carer",
    Perspective.partner: "Partner organisation",
}
# Who is missing, in words: "No carer has rated this challenge".
PERSPECTIVE_NOBODY = {
    Perspective.staff: "No member of staff",
    Perspective.lived_experience: "No one with lived experience",
    Perspective.carer: "No carer",
    Perspective.partner: "No partner organisation",
}


def nobody(perspective: str) -> str:
    """The start of a sentence saying who is missing: "No carer", "No one with lived experience"."""
    return PERSPECTIVE_NOBODY.get(perspective, f"No one from the {perspective} perspective")


ROLE_LABELS = {
    "site_member": "Steering group member",
    "site_lead": "Steering group lead",
    "facilitator": "Learning-set facilitator",
    "programme_team": "Programme team",
    "admin": "Administrator",
}


class User(SQLModel, table=True):
    """A person who can sign in (an empty password hash: by single sign-on only)."""

    __tablename__ = "user_account"
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=Column(String(254), nullable=False, unique=True))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    password_hash: str = Field(sa_column=Column(String(255), nullable=False))
    global_role: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    is_active: bool = True
    # E-mail about notifications: "each" as they come, a weekly "digest", or "none"; and
    # the kinds the person turned off (comma-separated).
    mail_choice: str = Field(default="each", sa_column=Column(
        String(10), nullable=False, server_default="each"))
    mail_muted: str = Field(default="", sa_column=Column(
        String(300), nullable=False, server_default=""))
    # The identity provider's issuer and subject (`sub`) this person signs in as, linked at
    # their first sign-in by SSO and matched on from then on.
    oidc_issuer: str | None = Field(default=None, sa_column=Column(String(300), nullable=True))
    oidc_subject: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    # Moves on at each change of name, role or whether they can sign in: a stale edit is refused.
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Membership(SQLModel, table=True):
    """A person's role and perspective at one site's steering group."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "site_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user_account.id"), nullable=False, index=True)
    )
    site_id: int = Field(sa_column=Column(Integer, ForeignKey("site.id"), nullable=False, index=True))
    role: str = Field(sa_column=Column(String(20), nullable=False))
    perspective: str = Field(sa_column=Column(String(20), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AuthSession(SQLModel, table=True):
    """A server-side sign-in: a browser session or an API token, stored by its hash."""

    __tablename__ = "auth_session"

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user_account.id"), nullable=False, index=True)
    )
    kind: str = Field(sa_column=Column(String(10), nullable=False))
    csrf_token: str = Field(sa_column=Column(String(64), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A personal API token's name, given by its owner on their account page.
    name: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    # Opened by single sign-on (signing out then also ends the provider's session).
    via_sso: bool = Field(default=False, sa_column=Column(
        Boolean, nullable=False, server_default=false()))


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins counted per key (an email address), shared by every worker."""

    __tablename__ = "login_throttle"

    key: str = Field(sa_column=Column(String(300), primary_key=True))
    failures: int = 0
    first_failed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- input and output shapes ------------------------------------------------------------

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class UserCreate(InputModel):
    email: str = PField(max_length=254, pattern=EMAIL_PATTERN)
    name: str = PField(min_length=1, max_length=200)
    password: str = PField(min_length=12, max_length=200)
    global_role: GlobalRole | None = None


class UserUpdate(InputModel):
    name: str | None = PField(default=None, min_length=1, max_length=200)
    global_role: GlobalRole | None = None
    is_active: bool | None = None
    version: Version | None = None


class MembershipCreate(InputModel):
    email: str = PField(max_length=254, pattern=EMAIL_PATTERN)
    role: SiteRole
    perspective: Perspective


class UserPublic(BaseModel):
    id: int
    email: str
    name: str
    global_role: str | None
    is_active: bool
    version: int


PEOPLE_ROLES = ("site_member", "site_lead", "facilitator", "programme_team", "admin", "none")


class PeopleFilter(InputModel):
    """Searching and filtering the list of people, one page at a time."""

    q: str | None = PField(default=None, max_length=200,
                           description="Part of a name or e-mail address")
    role: Literal["site_member", "site_lead", "facilitator", "programme_team", "admin",
                  "none"] | None = None
    site_id: Id | None = None
    learning_set_id: Id | None = None
    active: bool | None = None
    limit: int = PField(default=25, ge=1, le=100)
    offset: int = PField(default=0, ge=0, le=MAX_INT)


class UserMembershipIn(InputModel):
    """A place on a site's steering group, given to a person from their own record."""

    site_id: Id
    role: SiteRole
    perspective: Perspective


class MembershipPublic(BaseModel):
    id: int
    site_id: int
    site_name: str
    role: str
    perspective: str


class PersonPublic(UserPublic):
    """A person with every place they hold and how they sign in."""

    sign_in_method: str
    memberships: list[MembershipPublic]
    facilitated_learning_set_ids: list[int]


class PeoplePage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[PersonPublic]


class KeptForm(SQLModel, table=True):
    """What a person sent after their session had lapsed, kept for them until they sign in
    again; stored under the hash of the secret in their browser, for the same person only."""

    __tablename__ = "kept_form"

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user_account.id", ondelete="CASCADE"),
                         nullable=False, index=True)
    )
    path: str = Field(sa_column=Column(String(500), nullable=False))
    fields: str = Field(sa_column=Column(Text, nullable=False))
    kept_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)


class PasswordReset(SQLModel, table=True):
    """A single-use link to set a new password, stored by the hash of its secret."""

    __tablename__ = "password_reset"

    id: str = Field(sa_column=Column(String(64), primary_key=True))
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user_account.id", ondelete="CASCADE"),
                         nullable=False, index=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class NewPassword(InputModel):
    """A password a person chooses for themselves (reset, or accepting an invitation)."""

    password: str = PField(min_length=12, max_length=200)
    confirm: str = PField(max_length=200)
    ASK: ClassVar[dict[str, str]] = {"password": "Enter a new password",
                                     "confirm": "Enter the new password again"}
