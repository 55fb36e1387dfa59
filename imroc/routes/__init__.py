"""HTML pages and htmx fragments. Every state change passes the CSRF check."""

from fastapi import APIRouter, Depends

from imroc.deps import csrf_protect
from imroc.routes import (
    actions,
    assessments,
    auth,
    changes,
    consensus,
    consultancy,
    cycles,
    dashboards,
    discussion,
    evidence,
    home,
    invitations,
    learning_sets,
    measure_admin,
    measure_reference,
    measures,
    meeting,
    notifications,
    outbox,
    passwords,
    people_import,
    priorities,
    reports,
    search,
    sites,
    sso,
    tokens,
    users,
)

# Pages are for people; /openapi.json documents the JSON API only.
router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
for module in (auth, sso, tokens, passwords, invitations, home, sites, consultancy,
               learning_sets, people_import, users, cycles,
               assessments, consensus, priorities, actions, evidence, dashboards, reports,
               measure_admin,
               measure_reference, measures,
               outbox, notifications, meeting, discussion, changes, search):
    router.include_router(module.router)

from imroc.routes import data  # noqa: E402  (exports and imports)

router.include_router(data.router)

# Links in e-mails that work without a session (one-click unsubscribe).
links = notifications.links
