"""Who sees which reviews, scorecards and reviewers (docs/quality.md, "Reviews").

Managers and admins see every review. A reviewer sees the reviews they write or were
assigned, of tickets they can see. An agent sees their own completed reviews. Nobody else
sees any."""

from datetime import date

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from cases.models import ROLE_GROUPS, Reply, Role, Team, Ticket, User
from cases.selectors import can_see_ticket, staff_users, tickets_visible_to
from metrics.kpis import Period

from ..models_reviews import (
    REVIEWER_GROUP,
    Dispute,
    Review,
    ReviewComment,
    ReviewScore,
    ReviewStatus,
    SamplingRule,
    Scorecard,
)
from ..permissions import AnyUser, is_manager, is_staff_member


def _base() -> QuerySet[Review]:
    return Review.objects.select_related(
        "ticket", "ticket__team", "agent", "reviewer", "scorecard_version__scorecard", "dispute"
    )


def reviews_visible_to(user: AnyUser) -> QuerySet[Review]:
    """Every review the user may open (see the module's docstring)."""
    if is_manager(user):
        return _base()
    if not is_staff_member(user):
        return Review.objects.none()
    assert isinstance(user, User)
    visible_tickets = tickets_visible_to(user).values("pk")
    as_reviewer = Q(reviewer_id=user.pk, ticket_id__in=visible_tickets)
    as_agent = Q(agent_id=user.pk, status=ReviewStatus.COMPLETED)
    return _base().filter(as_reviewer | as_agent)


def review_details(queryset: QuerySet[Review]) -> QuerySet[Review]:
    """With their scores (criteria in order) and comments, for a page or an API body."""
    return queryset.prefetch_related(
        Prefetch(
            "scores",
            queryset=ReviewScore.objects.select_related("criterion").order_by(
                "criterion__position", "criterion_id"
            ),
        ),
        Prefetch("comments", queryset=ReviewComment.objects.select_related("author", "reply")),
    )


def todo_condition(user: User) -> Q:
    """The reviewer's assigned reviews of tickets they can still see: the to-do list and the
    menu's count alike (a ticket moved to another team leaves both; a manager reassigns it)."""
    condition = Q(reviewer_id=user.pk, status=ReviewStatus.ASSIGNED)
    if not is_manager(user):
        condition &= Q(ticket_id__in=tickets_visible_to(user).values("pk"))
    return condition


def todo_for(user: User) -> QuerySet[Review]:
    """The reviewer's assigned reviews, oldest first."""
    return reviews_visible_to(user).filter(todo_condition(user)).order_by("assigned_at", "pk")


def reviewers_for(review: Review) -> list[User]:
    """Who a review to do may go to: reviewers who can see its ticket, not its agent nor its
    reviewer now, without a review of the ticket already."""
    taken = Review.objects.filter(ticket_id=review.ticket_id).values("reviewer_id")
    people = reviewers().exclude(pk__in=taken).exclude(pk=review.agent_id)
    # Each person's role and teams read with the list (can_see_ticket asks both), not two
    # queries per person.
    people = people.order_by("first_name", "last_name", "pk").prefetch_related(
        "groups", Prefetch("teams", queryset=Team.objects.only("pk"))
    )
    found = []
    for person in people:
        # User.team_ids is a cached_property: set from the prefetched teams, as it would read.
        person.__dict__["team_ids"] = sorted(team.pk for team in person.teams.all())
        if can_see_ticket(person, review.ticket):
            found.append(person)
    return found


def done_by(user: User) -> QuerySet[Review]:
    return (
        reviews_visible_to(user)
        .filter(reviewer_id=user.pk, status=ReviewStatus.COMPLETED)
        .order_by("-completed_at", "-pk")
    )


def reviews_of_agent(user: User) -> QuerySet[Review]:
    """The agent's own completed reviews, latest first."""
    return (
        _base()
        .filter(agent_id=user.pk, status=ReviewStatus.COMPLETED)
        .order_by("-completed_at", "-pk")
    )


def filter_reviews(
    reviews: QuerySet[Review],
    *,
    agent: int | None = None,
    reviewer: int | None = None,
    status: str = "",
    start: date | None = None,
    end: date | None = None,
    disputed: str = "",
) -> QuerySet[Review]:
    """The managers' list filters; a period is `[start, end)` of completion (assignment for
    reviews still to do)."""
    if agent:
        reviews = reviews.filter(agent_id=agent)
    if reviewer:
        reviews = reviews.filter(reviewer_id=reviewer)
    if status in ReviewStatus.values:
        reviews = reviews.filter(status=status)
    if start or end:
        period = Period.of(start or date(1970, 1, 1), end or date(2100, 1, 1))
        reviews = reviews.filter(
            Q(completed_at__gte=period.start, completed_at__lt=period.end)
            | Q(
                completed_at__isnull=True, assigned_at__gte=period.start, assigned_at__lt=period.end
            )
        )
    if disputed == "open":
        reviews = reviews.filter(dispute__isnull=False, dispute__outcome="")
    elif disputed == "any":
        reviews = reviews.filter(dispute__isnull=False)
    return reviews


def open_disputes() -> QuerySet[Dispute]:
    return Dispute.objects.filter(outcome="").select_related(
        "review__ticket", "review__agent", "review__reviewer", "raised_by"
    )


def reviews_of_ticket(user: AnyUser, ticket: Ticket) -> QuerySet[Review]:
    return reviews_visible_to(user).filter(ticket=ticket).order_by("-assigned_at")


def conversation(review: Review, reader: User) -> list[Reply]:
    """The ticket's messages in order, each with the review's comments on it
    (`review_comments`). A reader who can no longer see the ticket (the reviewed agent after
    it moved to another team) reads only the messages written until the review was
    completed: what was reviewed, not what the ticket's new team wrote since."""
    replies_qs = Reply.objects.filter(ticket_id=review.ticket_id).select_related("author")
    if review.completed_at is not None and not can_see_ticket(reader, review.ticket):
        replies_qs = replies_qs.filter(created_at__lte=review.completed_at)
    replies = list(replies_qs)
    by_reply: dict[int | None, list[ReviewComment]] = {}
    for comment in review.comments.select_related("author").all():
        by_reply.setdefault(comment.reply_id, []).append(comment)
    for reply in replies:
        reply.review_comments = by_reply.get(reply.pk, [])  # type: ignore[attr-defined]
    return replies


def general_comments(review: Review) -> QuerySet[ReviewComment]:
    return review.comments.filter(reply__isnull=True).select_related("author")


# --- scorecards, rules, people ----------------------------------------------------------------


def active_scorecards() -> QuerySet[Scorecard]:
    return Scorecard.objects.filter(is_active=True, versions__isnull=False).distinct()


def scorecards() -> QuerySet[Scorecard]:
    return Scorecard.objects.prefetch_related("versions")


def sampling_rules() -> QuerySet[SamplingRule]:
    return SamplingRule.objects.select_related("scorecard").prefetch_related("teams")


def agents() -> QuerySet[User]:
    """Active staff in the Agent role (not managers or admins)."""
    higher = User.groups.through.objects.filter(
        group__name__in=[ROLE_GROUPS[Role.MANAGER], ROLE_GROUPS[Role.ADMIN]]
    ).values("user_id")
    return (
        staff_users()
        .filter(is_superuser=False, groups__name=ROLE_GROUPS[Role.AGENT])
        .exclude(pk__in=higher)
        .distinct()
    )


def agents_in_scope(team_ids: list[int]) -> QuerySet[User]:
    """Active agents of these teams; no teams: every active agent."""
    people = agents()
    if team_ids:
        people = people.filter(teams__in=team_ids).distinct()
    return people


def reviewers() -> QuerySet[User]:
    """Active people who may review: managers, admins and agents in the Reviewer group."""
    roles = [ROLE_GROUPS[Role.MANAGER], ROLE_GROUPS[Role.ADMIN]]
    in_group = User.groups.through.objects.filter(group__name__in=[*roles, REVIEWER_GROUP]).values(
        "user_id"
    )
    return staff_users().filter(Q(is_superuser=True) | Q(pk__in=in_group))


def agents_with_reviewer_flag() -> QuerySet[User]:
    """Agents, each with `is_reviewer` annotated (the Reviewer role page)."""
    member = User.groups.through.objects.filter(user_id=OuterRef("pk"), group__name=REVIEWER_GROUP)
    return agents().annotate(is_reviewer=Exists(member)).order_by("first_name", "last_name")
