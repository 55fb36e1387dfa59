"""HTML pages and htmx fragments. Every state change passes the CSRF check."""

from fastapi import APIRouter, Depends

from imroc.deps import csrf_protect
from imroc.routes import (
    actions,
    assessments,
    auth,
    consensus,
    cycles,
    dashboards,
    home,
    learning_sets,
    sites,
    users,
)

router = APIRouter(dependencies=[Depends(csrf_protect)])
for module in (auth, home, sites, learning_sets, users, cycles, assessments, consensus,
               actions, dashboards):
    router.include_router(module.router)
