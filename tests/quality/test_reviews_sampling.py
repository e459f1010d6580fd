"""The weekly sampling: N tickets per agent, reproducible, weighted towards flagged tickets,
once per rule and week, never reviewed by their own agent."""

from collections import Counter
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from quality.errors import QualityError
from quality.models import Review, ReviewReason, SamplingMode, SamplingRun
from quality.services import sampling
from quality.services.sampling import choose, sample_week, save_sampling_rule, week_of

from .conftest import resolve

WEEK = week_of(timezone.localdate()) - timedelta(days=14)


def at(day: int, hour: int = 12):
    """A moment of WEEK's `day` (0 = Monday) in TIME_ZONE."""
    return timezone.make_aware(
        datetime.combine(WEEK + timedelta(days=day), datetime.min.time())
    ) + timedelta(hours=hour)


@pytest.fixture
def rule(marta, scorecard):
    return save_sampling_rule(
        by=marta, scorecard_id=scorecard.pk, reviews_per_agent=2, mode="random", team_ids=[]
    )


@pytest.fixture
def week_tickets(ana, bruno, carla, team_n1, team_n2):
    """Ana 4 tickets resolved in WEEK, Bruno 1, Carla 3; plus one of Ana's the week after
    and one the Sunday before (both outside)."""
    tickets = {"ana": [], "bruno": [], "carla": []}
    for day in range(4):
        tickets["ana"].append(resolve(agent=ana, team=team_n1, at=at(day)))
    tickets["bruno"].append(resolve(agent=bruno, team=team_n1, at=at(6, 23)))
    for day in range(3):
        tickets["carla"].append(resolve(agent=carla, team=team_n2, at=at(day + 1)))
    resolve(agent=ana, team=team_n1, at=at(7, 0))  # next Monday 00:00: outside
    resolve(agent=ana, team=team_n1, at=at(0, 0) - timedelta(minutes=1))  # Sunday before
    return tickets


def test_each_agent_gets_up_to_n_reviews_of_their_weeks_tickets(rule, week_tickets, marta):
    result = sample_week(rule=rule, week_start=WEEK)
    assert result.assigned == 5
    per_agent = Counter(Review.objects.values_list("agent__username", flat=True))
    assert per_agent == {"ana": 2, "bruno": 1, "carla": 2}
    week_ids = {t.pk for ts in week_tickets.values() for t in ts}
    assert set(Review.objects.values_list("ticket_id", flat=True)) <= week_ids
    assert set(Review.objects.values_list("week_start", flat=True)) == {WEEK}
    assert SamplingRun.objects.get(rule=rule, week_start=WEEK).assigned == 5


def test_a_rerun_of_the_same_week_assigns_nothing(rule, week_tickets):
    sample_week(rule=rule, week_start=WEEK)
    again = sample_week(rule=rule, week_start=WEEK)
    assert again.already_run and again.assigned == 0
    assert Review.objects.count() == 5


def test_the_sample_is_reproducible(rule, week_tickets):
    sample_week(rule=rule, week_start=WEEK)
    first = sorted(Review.objects.values_list("ticket_id", "reviewer_id"))
    Review.objects.all().delete()
    SamplingRun.objects.all().delete()
    sample_week(rule=rule, week_start=WEEK)
    assert sorted(Review.objects.values_list("ticket_id", "reviewer_id")) == first


def test_nobody_reviews_their_own_tickets_and_reviewers_take_turns(
    rule, week_tickets, bruno_reviewer, marta
):
    sample_week(rule=rule, week_start=WEEK)
    for review in Review.objects.all():
        assert review.reviewer_id != review.agent_id
    # Bruno (Soporte N1) sees Ana's tickets, not Carla's; Marta reviews Bruno's.
    assert Review.objects.get(agent__username="bruno").reviewer == marta
    assert not Review.objects.filter(agent__username="carla", reviewer=bruno_reviewer).exists()
    assert Review.objects.filter(reviewer=bruno_reviewer).exists()


def test_tickets_without_a_possible_reviewer_are_reported(marta, scorecard, ana, team_n1, adrian):
    rule = save_sampling_rule(
        by=marta, scorecard_id=scorecard.pk, reviews_per_agent=1, mode="random", team_ids=[]
    )
    ticket = resolve(agent=ana, team=team_n1, at=at(2))
    marta.is_active = False
    marta.save(update_fields=["is_active"])
    adrian.is_active = False
    adrian.save(update_fields=["is_active"])
    result = sample_week(rule=rule, week_start=WEEK)
    assert result.assigned == 0 and result.no_reviewer == [ticket.pk]


def test_a_rule_with_teams_samples_only_their_agents(marta, scorecard, team_n2, week_tickets):
    rule = save_sampling_rule(
        by=marta,
        scorecard_id=scorecard.pk,
        reviews_per_agent=5,
        mode="random",
        team_ids=[team_n2.pk],
    )
    sample_week(rule=rule, week_start=WEEK)
    assert set(Review.objects.values_list("agent__username", flat=True)) == {"carla"}
    assert Review.objects.count() == 3


def test_already_reviewed_tickets_are_not_sampled_again(rule, week_tickets, marta, scorecard):
    from quality.services.reviews import start_review

    for ticket in week_tickets["ana"][:3]:
        start_review(ticket=ticket, by=marta, scorecard=scorecard)
    sample_week(rule=rule, week_start=WEEK)
    sampled = Review.objects.filter(agent__username="ana", week_start=WEEK)
    assert list(sampled.values_list("ticket_id", flat=True)) == [week_tickets["ana"][3].pk]


def test_weighted_sampling_prefers_flagged_tickets_and_says_why(marta, scorecard, ana, team_n1):
    low = resolve(agent=ana, team=team_n1, at=at(1), csat=2)
    reopened = resolve(agent=ana, team=team_n1, at=at(2), reopen=True)
    plain = [resolve(agent=ana, team=team_n1, at=at(3)) for _ in range(3)]
    rule = save_sampling_rule(
        by=marta, scorecard_id=scorecard.pk, reviews_per_agent=1, mode="weighted", team_ids=[]
    )
    tickets = list(sampling.candidates(ana, sampling.Period.of(WEEK, WEEK + timedelta(days=7))))
    assert {t.pk: sampling.reason_of(t) for t in tickets} == {
        low.pk: ReviewReason.LOW_CSAT,
        reopened.pk: ReviewReason.REOPENED,
        **{t.pk: ReviewReason.RANDOM for t in plain},
    }
    # Over many seeds, one pick out of 4 + 3 + 1 + 1 + 1 = 10 weight: the low-CSAT ticket
    # about 40 % of the time, a plain one about 10 %.
    import random

    picks = Counter(
        choose(tickets, 1, SamplingMode.WEIGHTED, random.Random(seed))[0][0].pk
        for seed in range(3000)
    )
    assert 0.35 < picks[low.pk] / 3000 < 0.45
    assert 0.25 < picks[reopened.pk] / 3000 < 0.35
    for ticket in plain:
        assert 0.07 < picks[ticket.pk] / 3000 < 0.13
    random_picks = Counter(
        choose(tickets, 1, SamplingMode.RANDOM, random.Random(seed))[0][0].pk
        for seed in range(3000)
    )
    assert 0.15 < random_picks[low.pk] / 3000 < 0.25
    sample_week(rule=rule, week_start=WEEK)
    review = Review.objects.get()
    assert review.reason == sampling.reason_of(next(t for t in tickets if t.pk == review.ticket_id))


def test_a_week_starts_on_monday(rule):
    with pytest.raises(QualityError, match="Monday"):
        sample_week(rule=rule, week_start=WEEK + timedelta(days=1))


def test_the_beat_samples_last_week_for_every_active_rule(rule, ana, team_n1):
    from quality.tasks import sample_last_week

    last_week = week_of(timezone.localdate()) - timedelta(days=7)
    monday = timezone.make_aware(timezone.datetime.combine(last_week, timezone.datetime.min.time()))
    resolve(agent=ana, team=team_n1, at=monday + timedelta(days=2))
    assert sample_last_week() == 1
    assert sample_last_week() == 0
    assert Review.objects.get().week_start == last_week
