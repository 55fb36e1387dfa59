"""Your notifications over JSON: reading them changes nothing; marking one read does."""


from imroc.db import SessionDep
from imroc.deps import CurrentPrincipal, PathId
from imroc.models.notification import Notification, NotificationPublic
from imroc.services import notifications
from imroc.web.routing import Router

router = Router(tags=["notifications"])


def _public(n: Notification) -> NotificationPublic:
    return NotificationPublic(id=n.id, kind=n.kind, title=n.title, url=n.url,
                              site_id=n.site_id, created_at=n.created_at,
                              read=n.read_at is not None)


@router.get("/me/notifications", response_model=list[NotificationPublic])
def my_notifications(session: SessionDep, principal: CurrentPrincipal) -> list[NotificationPublic]:
    """Your notifications, newest first (the latest 100)."""
    return [_public(n) for n in notifications.list_for(session, user_id=principal.user.id)]


@router.post("/me/notifications/{notification_id}/read", response_model=NotificationPublic)
def mark_read(notification_id: PathId, session: SessionDep,
              principal: CurrentPrincipal) -> NotificationPublic:
    """Mark one of your notifications read."""
    return _public(notifications.mark_read(session, user_id=principal.user.id,
                                           notification_id=notification_id))
