"""HTML pages and htmx fragments. Every state change passes the CSRF check."""

from fastapi import Depends, FastAPI

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

# Pages are for people; /openapi.json documents the JSON API only. Each area's router is
# included in the app itself rather than through a router of routers: FastAPI matches a
# request again at every level it goes down.
ROUTERS = [module.router for module in (
    auth, sso, tokens, passwords, invitations, home, sites, consultancy, learning_sets,
    people_import, users, cycles, assessments, consensus, priorities, actions, evidence,
    dashboards, reports, measure_admin, measure_reference, measures, outbox, notifications,
    meeting, discussion, changes, search)]

from imroc.routes import data  # noqa: E402  (exports and imports)

ROUTERS.append(data.router)

# Links in e-mails that work without a session (one-click unsubscribe).
links = notifications.links


def include(app: FastAPI) -> None:
    """Every page and fragment, each behind the CSRF check."""
    for router in ROUTERS:
        app.include_router(router, dependencies=[Depends(csrf_protect)], include_in_schema=False)
