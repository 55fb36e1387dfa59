"""Every route of the app, HTML and API, against every role: the authorisation matrix.

A route added without a row here fails test_every_route_has_a_rule; a rule removed from
services/access.py makes the matching cells fail.
"""

import io
from datetime import date

import pytest
from sqlmodel import select

from imroc.models import Meeting, Membership, Notification, Post
from imroc.models.action import ActionCreate, PrioritiesIn, PriorityIn
from imroc.models.assessment import ScoreIn, ScoresIn
from imroc.models.consultancy import ConsultancyEntryIn
from imroc.models.cycle import CycleCreate, CycleUpdate
from imroc.models.discussion import ThreadCreate
from imroc.models.evidence import EvidenceIn
from imroc.models.invitation import SiteInvitationIn
from imroc.models.measure import MeasureIn, PointIn
from imroc.models.notification import NotificationKind
from imroc.services import (
    actions,
    api_tokens,
    assessments,
    consultancy,
    cycles,
    discussion,
    evidence,
    invitations,
    priorities,
)
from imroc.services.access import load_principal
from imroc.services.measures import definitions as measures
from imroc.services.measures import values as measure_data
from imroc.services.notifications import notify
from tests.change_factories import shared
from tests.factories import World, api_token, sign_in
from tests.routing import all_routes

ROLES = ["anonymous", "member", "lead", "facilitator", "other_facilitator", "programme", "admin"]
OK, LOGIN, PUBLIC = "ok", "login", "public"


def row(member, lead, facilitator, other_facilitator, programme, admin, anonymous=LOGIN):
    return dict(anonymous=anonymous, member=member, lead=lead, facilitator=facilitator,
                other_facilitator=other_facilitator, programme=programme, admin=admin)


EVERYONE = row(OK, OK, OK, OK, OK, OK)
PROGRAMME_ONLY = row(403, 403, 403, 403, OK, OK)
ADMIN_ONLY = row(403, 403, 403, 403, 403, OK)
SITE_VIEW = row(OK, OK, OK, 404, OK, OK)
SITE_MANAGE = row(403, 403, 403, 404, OK, OK)
SITE_MEMBERS = row(403, OK, 403, 404, OK, OK)
SITE_AUDIT = row(403, OK, OK, 404, OK, OK)  # facilitators see its raters as Rater 1, 2...
SET_VIEW = row(404, 404, OK, 404, OK, OK)
SET_MANAGE = row(404, 404, 403, 404, OK, OK)
SET_MEETING = row(404, 404, OK, 404, OK, OK)
OPEN = {r: PUBLIC for r in ROLES}
# The assessment pages of a cycle of site A.
ASSESS_RATE = row(OK, OK, 403, 404, 403, 403)        # own ratings: the steering group
ASSESS_LEAD = row(403, OK, 403, 404, 403, 403)       # agree, sign off, reopen
ASSESS_FACILITATOR = row(403, 403, OK, 404, 403, 403)
ASSESS_FEEDBACK = row(403, 403, OK, 404, OK, OK)
# The cycle, priority and action pages of a cycle of site A, and their API twins.
CYCLE_GROUP = row(OK, OK, 403, 404, 403, 403)        # the steering group writes the plan
CYCLE_LEAD = row(403, OK, 403, 404, 403, 403)        # open a cycle, move it on, set priorities
CYCLE_MEETING = row(403, OK, OK, 404, OK, OK)        # tie the cycle to a meeting of its set
# A local measure of site A: its lead or the programme team define it; the group enters values.
MEASURE_MANAGE = row(403, OK, 403, 404, OK, OK)
# An invitation to site A: its lead and the programme team manage it; no one else sees it.
INVITE_MANAGE = row(404, OK, 404, 404, OK, OK)
# A notification of the member's: theirs alone.
NOTICE_OWN = row(OK, 404, 404, 404, 404, 404)
# Discussion in learning set A: its sites' people, its facilitators, the programme team;
# hiding a post there: its facilitators and the programme team.
SET_DISCUSS = row(OK, OK, OK, 404, OK, OK)
SET_MODERATE = row(403, 403, OK, 404, OK, OK)
# A change that worked, shared by site A with learning set A: read in the set; shared and
# withdrawn by site A's lead; tried by a steering group in its own cycle (site A's, here).
CHANGE_VIEW = row(OK, OK, OK, 404, OK, OK)

MATRIX = {
    ("GET", "/"): EVERYONE,
    ("GET", "/sign-in"): OPEN,
    ("POST", "/sign-in"): OPEN,
    ("GET", "/sign-in/oidc"): OPEN,
    ("GET", "/sign-in/oidc/callback"): OPEN,
    ("GET", "/account/tokens"): EVERYONE,
    ("POST", "/account/tokens"): EVERYONE,
    ("POST", "/account/tokens/{token_id}/revoke"): NOTICE_OWN,
    ("POST", "/sign-out"): EVERYONE,
    ("GET", "/kept-form"): EVERYONE,
    ("GET", "/forgot-password"): OPEN,
    ("POST", "/forgot-password"): OPEN,
    ("GET", "/reset-password/{secret}"): OPEN,
    ("POST", "/reset-password/{secret}"): OPEN,
    ("POST", "/api/v1/auth/password-reset"): OPEN,
    ("GET", "/admin/mail"): ADMIN_ONLY,
    ("POST", "/sites/{site_id}/invitations"): SITE_MEMBERS,
    ("POST", "/invitations/{invitation_id}/resend"): INVITE_MANAGE,
    ("POST", "/invitations/{invitation_id}/withdraw"): INVITE_MANAGE,
    ("GET", "/invitations"): PROGRAMME_ONLY,
    ("POST", "/invitations"): PROGRAMME_ONLY,
    ("GET", "/invitations/accept/{secret}"): OPEN,
    ("POST", "/invitations/accept/{secret}"): OPEN,
    ("POST", "/api/v1/sites/{site_id}/invitations"): SITE_MEMBERS,
    ("GET", "/api/v1/sites/{site_id}/invitations"): SITE_MEMBERS,
    ("POST", "/api/v1/invitations"): PROGRAMME_ONLY,
    ("POST", "/session/keep-alive"): EVERYONE,
    ("GET", "/framework"): OPEN,
    ("GET", "/healthz"): OPEN,
    ("GET", "/readyz"): OPEN,
    ("GET", "/docs"): OPEN,
    ("GET", "/openapi.json"): OPEN,
    ("GET", "/sites"): EVERYONE,
    ("GET", "/sites/new"): PROGRAMME_ONLY,
    ("POST", "/sites"): PROGRAMME_ONLY,
    ("GET", "/sites/{site_id}"): SITE_VIEW,
    ("GET", "/sites/{site_id}/edit"): SITE_MANAGE,
    ("POST", "/sites/{site_id}/edit"): SITE_MANAGE,
    ("POST", "/sites/{site_id}/archive"): SITE_MANAGE,
    ("GET", "/sites/{site_id}/members"): SITE_MEMBERS,
    ("POST", "/sites/{site_id}/members"): SITE_MEMBERS,
    ("GET", "/sites/{site_id}/members/{membership_id}/remove"): SITE_MEMBERS,
    ("POST", "/sites/{site_id}/members/{membership_id}/remove"): SITE_MEMBERS,
    ("GET", "/sites/{site_id}/audit"): SITE_AUDIT,
    ("GET", "/learning-sets"): EVERYONE,
    ("GET", "/learning-sets/new"): PROGRAMME_ONLY,
    ("POST", "/learning-sets"): PROGRAMME_ONLY,
    ("GET", "/learning-sets/{learning_set_id}"): SET_VIEW,
    ("GET", "/learning-sets/{learning_set_id}/edit"): SET_MANAGE,
    ("POST", "/learning-sets/{learning_set_id}/letters"): SET_MANAGE,
    ("POST", "/learning-sets/{learning_set_id}/edit"): SET_MANAGE,
    ("POST", "/learning-sets/{learning_set_id}/meetings"): SET_MEETING,
    ("GET", "/meetings/{meeting_id}"): SET_VIEW,
    ("GET", "/discussion"): EVERYONE,
    ("POST", "/discussion"): EVERYONE,
    ("GET", "/learning-sets/{learning_set_id}/discussion"): SET_DISCUSS,
    ("POST", "/learning-sets/{learning_set_id}/discussion"): SET_DISCUSS,
    ("GET", "/threads/{thread_id}"): SET_DISCUSS,
    ("POST", "/threads/{thread_id}/posts"): SET_DISCUSS,
    ("POST", "/posts/{post_id}/hide"): SET_MODERATE,
    ("POST", "/posts/{post_id}/unhide"): SET_MODERATE,
    ("GET", "/api/v1/threads"): EVERYONE,
    ("POST", "/api/v1/threads"): EVERYONE,
    ("GET", "/api/v1/learning-sets/{learning_set_id}/threads"): SET_DISCUSS,
    ("POST", "/api/v1/learning-sets/{learning_set_id}/threads"): SET_DISCUSS,
    ("GET", "/api/v1/threads/{thread_id}/posts"): SET_DISCUSS,
    ("POST", "/api/v1/threads/{thread_id}/posts"): SET_DISCUSS,
    ("POST", "/api/v1/posts/{post_id}/hide"): SET_MODERATE,
    ("GET", "/changes"): EVERYONE,
    ("GET", "/changes/{change_id}"): CHANGE_VIEW,
    ("POST", "/changes/{change_id}/adopt"): CYCLE_GROUP,
    ("POST", "/changes/{change_id}/withdraw"): CYCLE_LEAD,
    ("GET", "/actions/{action_id}/share"): CYCLE_LEAD,
    ("POST", "/actions/{action_id}/share"): CYCLE_LEAD,
    ("GET", "/api/v1/changes"): EVERYONE,
    ("GET", "/api/v1/changes/{change_id}"): CHANGE_VIEW,
    ("POST", "/api/v1/changes/{change_id}/adopt"): CYCLE_GROUP,
    ("POST", "/api/v1/changes/{change_id}/withdraw"): CYCLE_LEAD,
    ("POST", "/api/v1/actions/{action_id}/share"): CYCLE_LEAD,
    ("POST", "/api/v1/posts/{post_id}/unhide"): SET_MODERATE,
    ("GET", "/admin/users"): ADMIN_ONLY,
    ("GET", "/admin/users/new"): ADMIN_ONLY,
    ("POST", "/admin/users"): ADMIN_ONLY,
    ("GET", "/admin/users/{user_id}/edit"): ADMIN_ONLY,
    ("POST", "/admin/users/{user_id}/edit"): ADMIN_ONLY,
    ("GET", "/admin/audit"): ADMIN_ONLY,
    ("GET", "/admin/users/{user_id}"): ADMIN_ONLY,
    ("GET", "/admin/users/import"): ADMIN_ONLY,
    # The matrix sends no file: an administrator passes access, then is told to choose one.
    ("POST", "/admin/users/import"): row(403, 403, 403, 403, 403, 422),
    # People over JSON: the programme team may read, administrators change.
    ("GET", "/api/v1/users"): PROGRAMME_ONLY,
    ("POST", "/api/v1/users"): ADMIN_ONLY,
    ("GET", "/api/v1/users/{user_id}"): PROGRAMME_ONLY,
    ("PATCH", "/api/v1/users/{user_id}"): ADMIN_ONLY,
    ("GET", "/api/v1/users/{user_id}/memberships"): PROGRAMME_ONLY,
    ("POST", "/api/v1/users/{user_id}/memberships"): ADMIN_ONLY,
    ("DELETE", "/api/v1/memberships/{membership_id}"): ADMIN_ONLY,
    ("GET", "/cycles/{cycle_id}/rate"): ASSESS_RATE,
    ("POST", "/cycles/{cycle_id}/rate"): ASSESS_RATE,
    ("GET", "/cycles/{cycle_id}/consensus"): SITE_VIEW,
    ("POST", "/cycles/{cycle_id}/consensus"): ASSESS_LEAD,
    ("POST", "/cycles/{cycle_id}/consensus/meeting"): ASSESS_LEAD,
    ("GET", "/cycles/{cycle_id}/consensus/meeting/{challenge}"): ASSESS_LEAD,
    ("POST", "/cycles/{cycle_id}/consensus/meeting/{challenge}"): ASSESS_LEAD,
    ("POST", "/cycles/{cycle_id}/consensus/sign-off"): ASSESS_LEAD,
    ("POST", "/cycles/{cycle_id}/consensus/reopen"): ASSESS_LEAD,
    ("GET", "/cycles/{cycle_id}/facilitator"): SITE_VIEW,
    ("POST", "/cycles/{cycle_id}/facilitator"): ASSESS_FACILITATOR,
    ("POST", "/cycles/{cycle_id}/feedback"): ASSESS_FEEDBACK,
    ("POST", "/sites/{site_id}/cycles"): CYCLE_LEAD,
    ("GET", "/sites/{site_id}/history"): SITE_VIEW,
    ("GET", "/sites/{site_id}/dashboard"): SITE_VIEW,
    ("GET", "/sites/{site_id}/report"): SITE_VIEW,
    ("GET", "/sites/{site_id}/report.pdf"): SITE_VIEW,
    ("GET", "/learning-sets/{learning_set_id}/dashboard"): SET_VIEW,
    ("GET", "/learning-sets/{learning_set_id}/present"): SET_VIEW,
    ("GET", "/learning-sets/{learning_set_id}/report"): SET_VIEW,
    ("GET", "/learning-sets/{learning_set_id}/report.pdf"): SET_VIEW,
    ("GET", "/programme"): PROGRAMME_ONLY,
    ("GET", "/cycles/{cycle_id}"): SITE_VIEW,
    ("POST", "/cycles/{cycle_id}/record"): CYCLE_GROUP,
    ("POST", "/cycles/{cycle_id}/meeting"): CYCLE_MEETING,
    ("POST", "/cycles/{cycle_id}/advance"): CYCLE_LEAD,
    ("GET", "/cycles/{cycle_id}/priorities"): SITE_VIEW,
    ("POST", "/cycles/{cycle_id}/priorities"): CYCLE_LEAD,
    ("GET", "/cycles/{cycle_id}/actions"): SITE_VIEW,
    ("POST", "/cycles/{cycle_id}/actions"): CYCLE_GROUP,
    ("POST", "/actions/{action_id}"): CYCLE_GROUP,
    ("GET", "/actions/{action_id}/delete"): CYCLE_GROUP,
    ("POST", "/actions/{action_id}/delete"): CYCLE_GROUP,
    # Evidence of a cycle of site A: whoever sees the cycle reads it; the steering group adds
    # it; the evidence in the path was added by the lead, so only the lead removes it.
    ("GET", "/cycles/{cycle_id}/evidence"): SITE_VIEW,
    ("POST", "/cycles/{cycle_id}/evidence"): CYCLE_GROUP,
    ("GET", "/evidence/{evidence_id}"): SITE_VIEW,
    ("POST", "/evidence/{evidence_id}/delete"): CYCLE_LEAD,
    ("GET", "/api/v1/cycles/{cycle_id}/evidence"): SITE_VIEW,
    ("POST", "/api/v1/cycles/{cycle_id}/evidence"): CYCLE_GROUP,
    ("GET", "/api/v1/evidence/{evidence_id}"): SITE_VIEW,
    ("DELETE", "/api/v1/evidence/{evidence_id}"): CYCLE_LEAD,
    ("POST", "/api/v1/auth/token"): OPEN,
    ("GET", "/api/v1/sites/{site_id}/cycles"): SITE_VIEW,
    ("POST", "/api/v1/sites/{site_id}/cycles"): CYCLE_LEAD,
    ("GET", "/api/v1/cycles/{cycle_id}"): SITE_VIEW,
    ("PATCH", "/api/v1/cycles/{cycle_id}"): CYCLE_GROUP,
    ("POST", "/api/v1/cycles/{cycle_id}/advance"): CYCLE_LEAD,
    ("GET", "/api/v1/cycles/{cycle_id}/priorities"): SITE_VIEW,
    ("PUT", "/api/v1/cycles/{cycle_id}/priorities"): CYCLE_LEAD,
    ("GET", "/api/v1/cycles/{cycle_id}/actions"): SITE_VIEW,
    ("POST", "/api/v1/cycles/{cycle_id}/actions"): CYCLE_GROUP,
    ("GET", "/api/v1/actions/{action_id}"): SITE_VIEW,
    ("PATCH", "/api/v1/actions/{action_id}"): CYCLE_GROUP,
    ("DELETE", "/api/v1/actions/{action_id}"): CYCLE_GROUP,
    ("GET", "/api/v1/reports/progress"): EVERYONE,  # only the sites each person may see
    ("GET", "/api/v1/reports/objectives"): EVERYONE,  # only the sites each person may see
    # The assessment API, the JSON twin of the assessment pages above.
    ("GET", "/api/v1/cycles/{cycle_id}/ratings"): SITE_VIEW,
    ("PUT", "/api/v1/cycles/{cycle_id}/ratings"): ASSESS_RATE,
    ("GET", "/api/v1/cycles/{cycle_id}/consensus"): SITE_VIEW,
    ("PUT", "/api/v1/cycles/{cycle_id}/consensus"): ASSESS_LEAD,
    ("POST", "/api/v1/cycles/{cycle_id}/consensus/sign-off"): ASSESS_LEAD,
    ("POST", "/api/v1/cycles/{cycle_id}/consensus/reopen"): ASSESS_LEAD,
    ("GET", "/api/v1/cycles/{cycle_id}/facilitator-ratings"): SITE_VIEW,
    ("PUT", "/api/v1/cycles/{cycle_id}/facilitator-ratings"): ASSESS_FACILITATOR,
    ("GET", "/api/v1/cycles/{cycle_id}/feedback"): SITE_VIEW,
    ("GET", "/api/v1/progress-scale"): EVERYONE,
    ("GET", "/api/v1/cycles/{cycle_id}/progress-scores"): SITE_VIEW,
    ("PUT", "/api/v1/cycles/{cycle_id}/progress-scores/site"): CYCLE_LEAD,
    ("PUT", "/api/v1/cycles/{cycle_id}/progress-scores/facilitator"): ASSESS_FACILITATOR,
    ("POST", "/cycles/{cycle_id}/progress-scores/site"): CYCLE_LEAD,
    ("POST", "/cycles/{cycle_id}/progress-scores/facilitator"): ASSESS_FACILITATOR,
    ("POST", "/api/v1/cycles/{cycle_id}/feedback"): ASSESS_FEEDBACK,
    ("GET", "/api/v1/me"): EVERYONE,
    ("GET", "/api/v1/me/tasks"): EVERYONE,
    ("GET", "/api/v1/me/notifications"): EVERYONE,
    ("POST", "/api/v1/me/notifications/{notification_id}/read"): NOTICE_OWN,
    ("GET", "/notifications"): EVERYONE,
    ("POST", "/notifications/{notification_id}/open"): NOTICE_OWN,
    ("GET", "/account/notifications"): EVERYONE,
    ("POST", "/account/notifications"): EVERYONE,
    ("GET", "/unsubscribe/{token}"): OPEN,
    ("POST", "/unsubscribe/{token}"): OPEN,
    ("GET", "/api/v1/framework"): EVERYONE,
    ("GET", "/api/v1/sites"): EVERYONE,
    ("POST", "/api/v1/sites"): PROGRAMME_ONLY,
    ("GET", "/api/v1/sites/{site_id}"): SITE_VIEW,
    ("PATCH", "/api/v1/sites/{site_id}"): SITE_MANAGE,
    ("GET", "/api/v1/sites/{site_id}/consultancy"): SITE_VIEW,
    ("POST", "/api/v1/sites/{site_id}/consultancy"): SITE_MANAGE,
    ("DELETE", "/api/v1/sites/{site_id}/consultancy/{entry_id}"): SITE_MANAGE,
    ("GET", "/sites/{site_id}/consultancy"): SITE_VIEW,
    ("POST", "/sites/{site_id}/consultancy"): SITE_MANAGE,
    ("POST", "/sites/{site_id}/consultancy/{entry_id}/delete"): SITE_MANAGE,
    ("GET", "/api/v1/learning-sets"): EVERYONE,
    ("POST", "/api/v1/learning-sets"): PROGRAMME_ONLY,
    ("GET", "/api/v1/learning-sets/{learning_set_id}"): SET_VIEW,
    ("PATCH", "/api/v1/learning-sets/{learning_set_id}"): SET_MANAGE,
    ("POST", "/api/v1/learning-sets/{learning_set_id}/meetings"): SET_MEETING,
    # Exports follow the screens; imports are for the programme team and administrators
    # (who get 422 here: the matrix sends no file, so the request passes access, then fails).
    ("GET", "/data"): EVERYONE,
    ("GET", "/data/export"): row(422, 422, 422, 422, 422, 422),  # no site chosen
    ("GET", "/sites/{site_id}/export"): SITE_VIEW,
    ("GET", "/sites/{site_id}/exchange.json"): SITE_MEMBERS,
    ("GET", "/learning-sets/{learning_set_id}/export"): SET_VIEW,
    ("GET", "/programme/export"): PROGRAMME_ONLY,
    ("GET", "/data/import"): PROGRAMME_ONLY,
    ("POST", "/data/import"): row(403, 403, 403, 403, 422, 422),
    ("GET", "/api/v1/sites/{site_id}/export"): SITE_VIEW,
    ("GET", "/api/v1/sites/{site_id}/exchange"): SITE_MEMBERS,
    ("GET", "/api/v1/learning-sets/{learning_set_id}/export"): SET_VIEW,
    ("GET", "/api/v1/programme/export"): PROGRAMME_ONLY,
    ("POST", "/api/v1/imports"): row(403, 403, 403, 403, 422, 422),
    # Measures (a local measure of site A with one value) and their SPC reading.
    ("GET", "/api/v1/measures"): EVERYONE,  # core ones, and local ones of visible sites
    ("POST", "/api/v1/measures"): MEASURE_MANAGE,
    ("GET", "/api/v1/measures/{measure_id}"): SITE_VIEW,
    ("PATCH", "/api/v1/measures/{measure_id}"): MEASURE_MANAGE,
    ("GET", "/api/v1/sites/{site_id}/measures/{measure_id}/data"): SITE_VIEW,
    ("PUT", "/api/v1/sites/{site_id}/measures/{measure_id}/data"): CYCLE_GROUP,
    ("DELETE", "/api/v1/sites/{site_id}/measures/{measure_id}/data/{period}"): CYCLE_GROUP,
    ("GET", "/api/v1/sites/{site_id}/measures/{measure_id}/spc"): SITE_VIEW,
    ("GET", "/sites/{site_id}/measures"): SITE_VIEW,
    ("GET", "/sites/{site_id}/measures/{measure_id}"): SITE_VIEW,
    ("GET", "/sites/{site_id}/measures/{measure_id}/data"): CYCLE_GROUP,
    ("POST", "/sites/{site_id}/measures/{measure_id}/data"): CYCLE_GROUP,
    ("POST", "/sites/{site_id}/measures/{measure_id}/data/{period}"): CYCLE_GROUP,
    ("GET", "/sites/{site_id}/measures/{measure_id}/import"): CYCLE_GROUP,
    ("POST", "/sites/{site_id}/measures/{measure_id}/import"): CYCLE_GROUP,
    ("GET", "/sites/{site_id}/measures/new"): MEASURE_MANAGE,
    ("POST", "/sites/{site_id}/measures/new"): MEASURE_MANAGE,
    ("GET", "/measures/{measure_id}/edit"): MEASURE_MANAGE,
    ("POST", "/measures/{measure_id}/edit"): MEASURE_MANAGE,
    ("GET", "/programme/measures"): PROGRAMME_ONLY,
    ("GET", "/programme/measures/new"): PROGRAMME_ONLY,
    ("POST", "/programme/measures/new"): PROGRAMME_ONLY,
    ("GET", "/learning-sets/{learning_set_id}/measures"): SET_VIEW,
    # National reference series: read by whoever sees the measure, kept by the programme team.
    ("GET", "/api/v1/measures/{measure_id}/reference"): SITE_VIEW,
    ("PUT", "/api/v1/measures/{measure_id}/reference"): SITE_MANAGE,
    ("GET", "/measures/{measure_id}/reference"): SITE_MANAGE,
    ("POST", "/measures/{measure_id}/reference"): SITE_MANAGE,
    ("POST", "/measures/{measure_id}/reference/import"): SITE_MANAGE,
    ("GET", "/programme/survey-measures"): PROGRAMME_ONLY,
    # Search: everyone signed in, each finding only what they may open (tests/test_search.py).
    ("GET", "/search"): EVERYONE,
    ("GET", "/api/v1/search"): EVERYONE,
}

# Valid input for each state change, so the access decision (not validation) is what answers.
INVITEE = {"email": "invitee@example.org", "name": "Ina Invitee"}
THREAD = {"title": "Peer support workers", "text": "How did you begin?"}
BODIES = {
    ("POST", "/discussion"): THREAD,
    ("POST", "/learning-sets/{learning_set_id}/discussion"): THREAD,
    ("POST", "/threads/{thread_id}/posts"): {"text": "We began with one ward."},
    ("POST", "/posts/{post_id}/hide"): {"reason": "It names a patient"},
    ("POST", "/api/v1/threads"): THREAD,
    ("POST", "/api/v1/learning-sets/{learning_set_id}/threads"): THREAD,
    ("POST", "/api/v1/threads/{thread_id}/posts"): {"text": "We began with one ward."},
    ("POST", "/api/v1/posts/{post_id}/hide"): {"reason": "It names a patient"},
    ("POST", "/changes/{change_id}/adopt"): {"cycle_id": "{cycle_id}"},
    ("POST", "/changes/{change_id}/withdraw"): {"version": "1"},
    ("POST", "/actions/{action_id}/share"): {"scope": "programme"},
    ("POST", "/api/v1/changes/{change_id}/adopt"): {"cycle_id": "{cycle_id}"},
    ("POST", "/api/v1/changes/{change_id}/withdraw"): {"version": 1},
    ("POST", "/api/v1/actions/{action_id}/share"): {"scope": "programme"},
    ("POST", "/sites/{site_id}/invitations"): {
        "invite_email": "invitee@example.org", "invite_name": "Ina Invitee",
        "invite_role": "site_member", "invite_perspective": "carer"},
    ("POST", "/invitations"): {**INVITEE, "role": "facilitator"},
    ("POST", "/account/notifications"): {"choice": "digest", "kinds": "feedback"},
    ("POST", "/account/tokens"): {"name": "Monthly figures", "days": "30"},
    ("POST", "/cycles/{cycle_id}/consensus/meeting/{challenge}"): {"level": "1",
                                                                   "rationale": "Agreed"},
    ("POST", "/api/v1/sites/{site_id}/invitations"): {**INVITEE, "role": "site_member",
                                                      "perspective": "carer"},
    ("POST", "/api/v1/invitations"): {**INVITEE, "role": "facilitator"},
    ("POST", "/sites"): {"name": "A new site", "kind": "pilot"},
    ("POST", "/sites/{site_id}/edit"): {"name": "Site A", "kind": "pilot", "region": "North"},
    ("POST", "/sites/{site_id}/archive"): {"archive": "true"},
    ("POST", "/sites/{site_id}/members"): {"email": "{outsider_email}", "role": "site_member",
                                           "perspective": "carer"},
    ("POST", "/learning-sets"): {"name": "A new set", "region": "South"},
    ("POST", "/learning-sets/{learning_set_id}/edit"): {"name": "Set A", "region": "East"},
    ("POST", "/learning-sets/{learning_set_id}/meetings"): {"held_on": "2024-05-01",
                                                            "title": "Meeting"},
    ("POST", "/admin/users"): {"email": "new.person@example.org", "name": "New Person",
                               "password": "a-long-enough-password"},
    ("POST", "/admin/users/{user_id}/edit"): {"name": "Renamed", "is_active": "true"},
    ("POST", "/cycles/{cycle_id}/rate"): {"level_1": "2", "comment_1": "Evidence"},
    ("POST", "/cycles/{cycle_id}/consensus"): {"level_1": "2", "rationale_1": "Agreed"},
    ("POST", "/cycles/{cycle_id}/consensus/reopen"): {"reason": "New evidence"},
    ("POST", "/cycles/{cycle_id}/facilitator"): {"level_1": "1", "comment_1": "Seen"},
    ("POST", "/cycles/{cycle_id}/feedback"): {"body": "Good progress"},
    ("PUT", "/api/v1/cycles/{cycle_id}/ratings"): {"ratings": [{"challenge": 1, "level": 2}]},
    ("PUT", "/api/v1/cycles/{cycle_id}/consensus"): {"scores": [{"challenge": 1, "level": 2}]},
    ("POST", "/api/v1/cycles/{cycle_id}/consensus/reopen"): {"reason": "New evidence"},
    ("PUT", "/api/v1/cycles/{cycle_id}/facilitator-ratings"): {
        "ratings": [{"challenge": 1, "level": 1}]},
    ("POST", "/api/v1/cycles/{cycle_id}/feedback"): {"body": "Good progress"},
    ("PUT", "/api/v1/cycles/{cycle_id}/progress-scores/site"): {"score": 2.5},
    ("PUT", "/api/v1/cycles/{cycle_id}/progress-scores/facilitator"): {"score": 3},
    ("POST", "/cycles/{cycle_id}/progress-scores/site"): {"score": "2.5", "comment": "Tried"},
    ("POST", "/cycles/{cycle_id}/progress-scores/facilitator"): {"score": "3.0"},
    ("POST", "/sites/{site_id}/cycles"): {"started_on": "2024-01-08",
                                          "review_due_on": "2024-04-08"},
    ("POST", "/cycles/{cycle_id}/record"): {"aim": "An aim", "prediction": "A prediction"},
    ("POST", "/cycles/{cycle_id}/meeting"): {"meeting_id": "{meeting_id}"},
    ("POST", "/cycles/{cycle_id}/advance"): {"stage": "plan"},
    ("POST", "/cycles/{cycle_id}/priorities"): {"challenge_1": "3", "rank_1": "1",
                                                "target_level_1": "2", "reason_1": "Lowest"},
    ("POST", "/cycles/{cycle_id}/actions"): {"challenge": "3", "title": "Another step"},
    ("POST", "/actions/{action_id}"): {"title": "Renamed", "status": "in_progress",
                                       "version": "1"},
    ("POST", "/actions/{action_id}/delete"): {"version": "1", "confirm": "yes"},
    ("POST", "/cycles/{cycle_id}/evidence"): {"attached_to": "pdsa"},
    ("POST", "/api/v1/cycles/{cycle_id}/evidence"): {"attached_to": "pdsa"},
    ("POST", "/sites/{site_id}/members/{membership_id}/remove"): {"confirm": "yes"},
    ("POST", "/api/v1/sites/{site_id}/cycles"): {"started_on": "2024-01-08"},
    ("PATCH", "/api/v1/cycles/{cycle_id}"): {"aim": "An aim"},
    ("PUT", "/api/v1/cycles/{cycle_id}/priorities"): {
        "priorities": [{"challenge": 3, "rank": 1, "target_level": 2}]},
    ("POST", "/api/v1/cycles/{cycle_id}/actions"): {"challenge": 3, "title": "Another step"},
    ("PATCH", "/api/v1/actions/{action_id}"): {"status": "in_progress", "version": 1},
    ("POST", "/api/v1/sites"): {"name": "A new site", "kind": "pilot"},
    ("POST", "/api/v1/users"): {"email": "api.new@example.org", "name": "Api New",
                                "password": "a-long-enough-password"},
    ("PATCH", "/api/v1/users/{user_id}"): {"name": "Renamed"},
    ("POST", "/api/v1/users/{user_id}/memberships"): {"site_id": "{site_b_id}",
                                                      "role": "site_member",
                                                      "perspective": "carer"},
    ("PATCH", "/api/v1/sites/{site_id}"): {"region": "Somewhere"},
    ("POST", "/api/v1/sites/{site_id}/consultancy"): {
        "delivered_on": "2024-05-01", "days": 1.5, "purpose": "Training",
        "delivered_by_name": "Pat Peer"},
    ("POST", "/sites/{site_id}/consultancy"): {
        "delivered_on-day": "1", "delivered_on-month": "5", "delivered_on-year": "2024",
        "days": "0.5", "purpose": "Training", "delivered_by_name": "Pat Peer"},
    ("POST", "/sites/{site_id}/consultancy/{entry_id}/delete"): {"version": "1"},
    ("POST", "/api/v1/learning-sets"): {"name": "A new set"},
    ("PATCH", "/api/v1/learning-sets/{learning_set_id}"): {"region": "East"},
    ("POST", "/api/v1/learning-sets/{learning_set_id}/meetings"): {"held_on": "2024-05-01",
                                                                   "title": "Meeting"},
    ("POST", "/api/v1/measures"): {"site_id": "{site_id}", "name": "Waiting days",
                                   "kind": "average", "direction": "down",
                                   "starts_on": "2024-01-01"},
    ("PATCH", "/api/v1/measures/{measure_id}"): {"name": "Renamed", "version": 1},
    ("PUT", "/api/v1/sites/{site_id}/measures/{measure_id}/data"): {
        "points": [{"period": "2024-02-01", "value": 3}]},
    ("PUT", "/api/v1/measures/{measure_id}/reference"): {
        "points": [{"period": "2024-01-01", "value": 3, "lower": 2, "upper": 4}]},
}
MEASURE_FORM = {"name": "Waiting days", "kind": "average", "direction": "down",
                "starts_on": "2024-01-01", "chart": "xmr", "frequency": "monthly", "scale": "1"}
BODIES |= {
    ("POST", "/sites/{site_id}/measures/{measure_id}/data"): {"value_2024-02-01": "3"},
    ("POST", "/sites/{site_id}/measures/{measure_id}/data/{period}"): {
        "value_2024-01-01": "5", "version_2024-01-01": "1"},
    ("POST", "/measures/{measure_id}/reference"): {"rows": "1", "period_0": "2024-01",
                                                   "value_0": "3"},
    ("POST", "/sites/{site_id}/measures/new"): MEASURE_FORM,
    ("POST", "/programme/measures/new"): MEASURE_FORM,
    ("POST", "/measures/{measure_id}/edit"): {"name": "Renamed", "direction": "up",
                                             "chart": "run", "scale": "1", "version": "1"},
}
# Files some forms upload (the API's too, as multipart).
MINUTES = ("minutes.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
FILES = {("POST", "/sites/{site_id}/measures/{measure_id}/import"): {
    "file": ("values.csv", b"period,value\n2024-02,3\n", "text/csv")},
    ("POST", "/cycles/{cycle_id}/evidence"): {"file": MINUTES},
    ("POST", "/api/v1/cycles/{cycle_id}/evidence"): {"file": MINUTES},
    ("POST", "/measures/{measure_id}/reference/import"): {
        "file": ("national.csv", b"period,value\n2024-02,3\n", "text/csv")}}
# Query strings some routes need besides their path.
QUERIES = {("DELETE", "/api/v1/sites/{site_id}/consultancy/{entry_id}"): "?version=1",
           ("DELETE", "/api/v1/sites/{site_id}/measures/{measure_id}/data/{period}"): "?version=1",
           ("DELETE", "/api/v1/actions/{action_id}"): "?version=1",
           ("GET", "/search"): "?q=site", ("GET", "/api/v1/search"): "?q=site"}


def test_every_route_has_a_rule(app):
    routes = set(all_routes(app))
    missing = routes - set(MATRIX)
    stale = set(MATRIX) - routes
    assert not missing, f"routes without an access rule in the matrix: {sorted(missing)}"
    assert not stale, f"matrix rows for routes that no longer exist: {sorted(stale)}"


# Routes whose cycle is at the plan stage with everything needed to move on to "do".
PLAN_SUBPATHS = ("", "/record", "/advance", "/priorities", "/actions")
PLAN_READY = {p for _, p in MATRIX
              if p.startswith(("/cycles/{cycle_id}", "/api/v1/cycles/{cycle_id}"))
              and p.split("{cycle_id}")[1] in PLAN_SUBPATHS}


def plan_ready(session, world) -> dict[str, int]:
    """A cycle of site A at the plan stage: signed-off consensus, a priority, an action, an aim."""
    site, lead = world.site_a, load_principal(session, world.lead)
    who = {"session": session, "site": site, "principal": lead}
    cycle = cycles.open_cycle(data=CycleCreate(), **who)
    assessments.set_consensus(cycle=cycle, data=ScoresIn(scores=[
        ScoreIn(challenge=c, level=1) for c in range(1, 11)]), **who)
    assessments.sign_off(cycle=cycle, **who)
    cycles.advance(cycle=cycle, **who)
    priorities.set_priorities(cycle=cycle, data=PrioritiesIn(priorities=[
        PriorityIn(challenge=3, rank=1, target_level=2)]), **who)
    action = actions.create_action(cycle=cycle, data=ActionCreate(challenge=3, title="Step"),
                                   **who)
    cycles.update_record(cycle=cycle, data=CycleUpdate(aim="An aim", prediction="Half"), **who)
    return {"cycle_id": cycle.id, "action_id": action.id}


def an_invitation(session, world) -> int:
    """A pending invitation to site A's steering group, sent by its lead."""
    inv, _mail = invitations.invite_to_site(
        session, site=world.site_a, principal=load_principal(session, world.lead),
        data=SiteInvitationIn(email="pending@example.org", name="Pat Pending",
                              role="site_member", perspective="staff"))
    return inv.id


def a_notification(session, world) -> int:
    """A notice for the member of site A."""
    notify(session, user_ids=[world.member.id], kind=NotificationKind.feedback, title="Hello",
           url="/", key="matrix")
    session.commit()
    return session.exec(select(Notification.id)).one()


def a_meeting(session, world) -> int:
    """A meeting of learning set A (site A's set)."""
    meeting = Meeting(learning_set_id=world.set_a.id, held_on=date(2024, 5, 1), title="May")
    session.add(meeting)
    session.commit()
    return meeting.id


def a_thread(session, world) -> dict:
    """A thread in learning set A started by the member of site A, and its first post."""
    thread = discussion.create_thread(session, principal=load_principal(session, world.member),
                                      ls=world.set_a, data=ThreadCreate(title="Wards", text="Hi"))
    post_id = session.exec(select(Post.id).where(Post.thread_id == thread.id)).one()
    return {"thread_id": thread.id, "post_id": post_id}


def a_measure(session, world) -> dict:
    """A local measure of site A with a value for January 2024."""
    lead = load_principal(session, world.lead)
    measure = measures.create_measure(session, principal=lead, data=MeasureIn(
        site_id=world.site_a.id, name="Peer contacts", kind="count", direction="up",
        starts_on=date(2024, 1, 1)))
    measure_data.save_points(session, site=world.site_a, measure=measure, principal=lead,
                             points=[PointIn(period=date(2024, 1, 1), value=4)])
    return {"measure_id": measure.id, "period": "2024-01-01"}


def an_entry(session, world) -> int:
    """A day of consultancy given to site A by a peer trainer."""
    entry = consultancy.create_entry(
        session, site=world.site_a, principal=load_principal(session, world.programme),
        data=ConsultancyEntryIn(delivered_on=date(2024, 4, 1), days=1, purpose="Visit",
                                delivered_by_name="Pat Peer"))
    return entry.id


def an_evidence(session, world) -> int:
    """A file the lead of site A attached to the PDSA record of its open cycle."""
    lead = load_principal(session, world.lead)
    cycle = cycles.open_cycle(session, site=world.site_a, data=CycleCreate(), principal=lead)
    row = evidence.add_evidence(session, cycle=cycle, site=world.site_a, principal=lead,
                                data=EvidenceIn(attached_to="pdsa"),
                                upload=evidence.Upload("minutes.pdf", io.BytesIO(MINUTES[1])))
    return row.id


CASES = [(m, p, r) for (m, p), rules in MATRIX.items() for r in ROLES if rules[r] != PUBLIC]


@pytest.mark.parametrize(("method", "path", "role"), CASES,
                         ids=[f"{m} {p} as {r}" for m, p, r in CASES])
def test_route_against_role(client, session, method, path, role):
    world = World(session)
    membership = session.exec(select(Membership).where(
        Membership.user_id == world.member.id)).one()
    ids = {"site_id": world.site_a.id, "learning_set_id": world.set_a.id, "challenge": 1,
           "user_id": world.member.id, "membership_id": membership.id,
           "site_b_id": world.site_b.id}
    if path in PLAN_READY or "{action_id}" in path or "{change_id}" in path:
        ids |= plan_ready(session, world)
    if "{change_id}" in path:
        ids["change_id"] = shared(session, lead=world.lead, site=world.site_a).id
    elif "{cycle_id}" in path and "cycle_id" not in ids:
        ids["cycle_id"] = cycles.open_cycle(session, site=world.site_a, data=CycleCreate(),
                                            principal=load_principal(session, world.lead)).id
    if "{measure_id}" in path:
        ids |= a_measure(session, world)
    if "{invitation_id}" in path:
        ids["invitation_id"] = an_invitation(session, world)
    if "{entry_id}" in path:
        ids["entry_id"] = an_entry(session, world)
    if "{notification_id}" in path:
        ids["notification_id"] = a_notification(session, world)
    if "{meeting_id}" in path or (method, path) == ("POST", "/cycles/{cycle_id}/meeting"):
        ids["meeting_id"] = a_meeting(session, world)
    if "{thread_id}" in path or "{post_id}" in path:
        ids |= a_thread(session, world)
    if "{evidence_id}" in path:
        ids["evidence_id"] = an_evidence(session, world)
    if "{token_id}" in path:
        ids["token_id"] = api_tokens.create(session, user=world.member, name="Figures",
                                            days="30")[1].id
    url = path.format(**ids) + QUERIES.get((method, path), "")
    user = world.by_role(role)
    is_api = path.startswith("/api/")
    headers: dict[str, str] = {}
    body = {k: (ids[v[1:-1]] if isinstance(v, str) and v[1:-1] in ids
                else v.format(outsider_email=world.outsider.email) if isinstance(v, str) else v)
            for k, v in BODIES.get((method, path), {}).items()}
    if user is not None:
        if is_api:
            headers = api_token(client, user)
        else:
            csrf = sign_in(client, user)
            body = {**body, "csrf_token": csrf}
    if is_api and (method, path) in FILES:
        response = client.request(method, url, headers=headers, data=body,
                                  files=FILES[(method, path)])
    elif is_api:
        response = client.request(method, url, headers=headers,
                                  json=body if method != "GET" else None)
    else:
        if user is None and method != "GET":
            csrf_page = client.get("/sign-in")
            from tests.factories import csrf_from
            body = {**body, "csrf_token": csrf_from(csrf_page.text)}
        response = client.request(method, url, data=body if method != "GET" else None,
                                  files=FILES.get((method, path)), follow_redirects=False)
    expected = MATRIX[(method, path)][role]
    status = response.status_code
    if expected == OK:
        assert status < 500 and status not in (401, 403, 404), (status, response.text[:500])
        assert status != 422, f"the test's input should be valid: {response.text[:800]}"
    elif expected == LOGIN:
        if is_api:
            assert status == 401
        else:
            assert status == 303 and response.headers["location"].startswith("/sign-in")
    else:
        assert status == expected, (status, response.text[:500])
