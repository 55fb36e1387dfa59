"""All tables, imported in an order that puts the naming convention first."""

# isort: off
from imroc.models.base import metadata  # must come first: the naming convention
# isort: on
from imroc.models.action import Action, Priority
from imroc.models.assessment import ConsensusScore, FacilitatorRating, Rating
from imroc.models.audit import AuditEvent
from imroc.models.change import SharedChange
from imroc.models.consultancy import ConsultancyEntry
from imroc.models.cycle import Cycle, Feedback
from imroc.models.discussion import Post, Thread
from imroc.models.evidence import Evidence
from imroc.models.framework import Challenge, ChallengeDescriptor, Framework, ScaleLevel
from imroc.models.health import Heartbeat
from imroc.models.invitation import Invitation
from imroc.models.mail import Mail
from imroc.models.measure import DataPoint, Measure, MeasureChallenge, ReferencePoint
from imroc.models.notification import Notification
from imroc.models.progress_score import ProgressScore
from imroc.models.site import (
    LearningSet,
    LearningSetFacilitator,
    Meeting,
    Site,
    SiteKind,
    SiteLearningSet,
)
from imroc.models.user import (
    AuthSession,
    KeptForm,
    LoginThrottle,
    Membership,
    PasswordReset,
    User,
)

__all__ = [
    "Action",
    "ConsensusScore",
    "ConsultancyEntry",
    "Cycle",
    "Evidence",
    "FacilitatorRating",
    "Feedback",
    "Post",
    "Priority",
    "ProgressScore",
    "Rating",
    "AuditEvent",
    "AuthSession",
    "KeptForm",
    "PasswordReset",
    "Challenge",
    "DataPoint",
    "Measure",
    "MeasureChallenge",
    "ReferencePoint",
    "ChallengeDescriptor",
    "Framework",
    "LearningSet",
    "LearningSetFacilitator",
    "Heartbeat",
    "Invitation",
    "Mail",
    "Notification",
    "LoginThrottle",
    "Meeting",
    "Membership",
    "ScaleLevel",
    "SharedChange",
    "Site",
    "SiteKind",
    "SiteLearningSet",
    "Thread",
    "User",
    "metadata",
]
