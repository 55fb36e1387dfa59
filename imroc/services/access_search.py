"""Who may see what, as SQL conditions for lists and search (split from access.py and
access_discussion.py, whose rules for one thing's page these follow exactly, so that a list
never offers what its page would refuse).

Sites (and their cycles, PDSA records and actions): the programme team all; a facilitator
those of the learning sets they facilitate; everyone else the sites they are a member of.
Threads: programme threads for everyone signed in; a learning set's for its sites' people,
its facilitators and the programme team. Shared changes: as in the library
(access_changes.visible), with the learning sets of the person's sites read in the same
statement.
"""

from sqlalchemy import and_, false, or_, select, true
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from imroc.models import SharedChange, Site, Thread
from imroc.services.access import Principal
from imroc.services.access_changes import has_role


def _ids(values) -> list[int]:
    # An empty IN () is not valid SQL everywhere: -1 matches no row.
    return sorted(values) or [-1]


def sites_visible(p: Principal) -> ColumnElement[bool]:
    """The rows of `site` this person may open (access.can_view_site)."""
    if p.is_programme:
        return true()
    return or_(col(Site.id).in_(_ids(p.memberships)),
               col(Site.learning_set_id).in_(_ids(p.facilitated_set_ids)))


def threads_visible(p: Principal) -> ColumnElement[bool]:
    """The rows of `thread` this person may open (access_discussion.can_view_thread): the
    learning sets of their own sites are read in the same statement."""
    programme_wide = col(Thread.learning_set_id).is_(None)
    if p.is_programme:
        return true()
    own_sets = select(Site.learning_set_id).where(
        col(Site.id).in_(_ids(p.memberships)), col(Site.learning_set_id).is_not(None))
    return or_(programme_wide,
               col(Thread.learning_set_id).in_(_ids(p.facilitated_set_ids)),
               col(Thread.learning_set_id).in_(own_sets) if p.memberships else false())


def _own_sets(p: Principal):
    return select(Site.learning_set_id).where(
        col(Site.id).in_(_ids(p.memberships)), col(Site.learning_set_id).is_not(None))


def changes_visible(p: Principal) -> ColumnElement[bool]:
    """The rows of `shared_change` in this person's library (access_changes.visible):
    withdrawn changes left out; their own site's, the programme's, and their sets'."""
    shown = col(SharedChange.withdrawn_at).is_(None)
    if p.is_programme:
        return shown
    if not has_role(p):
        return false()
    in_set = and_(SharedChange.scope == "learning_set", or_(
        col(SharedChange.learning_set_id).in_(_ids(p.facilitated_set_ids)),
        col(SharedChange.learning_set_id).in_(_own_sets(p)) if p.memberships else false()))
    return and_(shown, or_(col(SharedChange.site_id).in_(_ids(p.memberships)),
                           SharedChange.scope == "programme", in_set))
