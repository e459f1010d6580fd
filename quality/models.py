"""Quality's data: scorecards and reviews (models_reviews), coaching (models_coaching) and
problems, the macro closed loop (models_problems). One module per domain, gathered here so
Django finds them."""

from .models_coaching import CoachingGoal, CoachingSession, GoalComparison, GoalKpi
from .models_problems import (
    Problem,
    ProblemBulkAnswer,
    ProblemEvent,
    ProblemFollowUp,
    ProblemStatus,
    ProblemTicket,
)
from .models_reviews import (
    REVIEWER_GROUP,
    Criterion,
    Dispute,
    DisputeOutcome,
    Review,
    ReviewComment,
    ReviewReason,
    ReviewScore,
    ReviewStatus,
    SamplingMode,
    SamplingRule,
    SamplingRun,
    Scorecard,
    ScorecardVersion,
)

__all__ = [
    "REVIEWER_GROUP",
    "CoachingGoal",
    "CoachingSession",
    "Criterion",
    "Dispute",
    "DisputeOutcome",
    "GoalComparison",
    "GoalKpi",
    "Problem",
    "ProblemBulkAnswer",
    "ProblemEvent",
    "ProblemFollowUp",
    "ProblemStatus",
    "ProblemTicket",
    "Review",
    "ReviewComment",
    "ReviewReason",
    "ReviewScore",
    "ReviewStatus",
    "SamplingMode",
    "SamplingRule",
    "SamplingRun",
    "Scorecard",
    "ScorecardVersion",
]
