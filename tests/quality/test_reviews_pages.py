"""The reviews pages: who may open what, and the journeys a manager, a reviewer and a
reviewed agent make."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from quality.models import Dispute, Review, SamplingRule, Scorecard
from quality.permissions import is_reviewer
from quality.services.sampling import save_sampling_rule, week_of

from .conftest import completed_review, resolve


def criteria_post(rows, extra=0, **fields):
    data = {
        "criteria-TOTAL_FORMS": str(len(rows) + extra),
        "criteria-INITIAL_FORMS": "0",
        "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for i, (name, weight, max_score, critical) in enumerate(rows):
        data |= {
            f"criteria-{i}-name": name,
            f"criteria-{i}-weight": str(weight),
            f"criteria-{i}-max_score": str(max_score),
        }
        if critical:
            data[f"criteria-{i}-is_critical"] = "on"
    for i in range(len(rows), len(rows) + extra):  # an empty row, as the browser sends it
        data |= {f"criteria-{i}-weight": "1", f"criteria-{i}-max_score": "5"}
    return data


MANAGER_PAGES: list[tuple[str, list[object]]] = [
    ("quality:scorecards", []),
    ("quality:scorecard_create", []),
    ("quality:reviewers", []),
    ("quality:sampling", []),
    ("quality:reviews", []),
    ("quality:disputes", []),
    ("quality:dashboard_section", []),
]


@pytest.mark.parametrize("name, args", MANAGER_PAGES)
def test_managers_pages_are_refused_to_agents_and_open_to_managers(
    client, ana, marta, adrian, name, args
):
    url = reverse(name, args=args)
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(ana)
    assert client.get(url).status_code == 403
    client.force_login(marta)
    assert client.get(url).status_code == 200
    client.force_login(adrian)
    assert client.get(url).status_code == 200


def test_a_manager_creates_a_scorecard_with_its_criteria(client, marta):
    client.force_login(marta)
    response = client.post(
        reverse("quality:scorecard_create"),
        criteria_post([("Greeting", 1, 5, False), ("Accuracy", 3, 10, True)], extra=1, name="Chat"),
    )
    scorecard = Scorecard.objects.get()
    assert response.status_code == 302
    version = scorecard.versions.get()
    assert [(c.name, c.weight, c.max_score, c.is_critical) for c in version.criteria.all()] == [
        ("Greeting", 1, 5, False),
        ("Accuracy", 3, 10, True),
    ]
    page = client.get(reverse("quality:scorecard_detail", args=[scorecard.pk]))
    assert "Accuracy" in page.content.decode()


@pytest.mark.parametrize(
    "rows, message",
    [
        ([], "at least one criterion"),
        ([("Tone", 1, 5, False), ("tone", 2, 5, False)], "its own name"),
        ([("Tone", 0, 5, False)], "greater than or equal to 1"),
        ([("Tone", 1, 11, False)], "less than or equal to 10"),
        ([("Tone", "x", 5, False)], "whole number"),
    ],
)
def test_a_bad_scorecard_form_keeps_what_was_typed_and_says_why(client, marta, rows, message):
    client.force_login(marta)
    response = client.post(
        reverse("quality:scorecard_create"), criteria_post(rows, extra=1, name="Chat")
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'value="Chat"' in response.content.decode()
    assert not Scorecard.objects.exists()


def test_editing_a_scorecard_saves_version_two_and_old_reviews_keep_version_one(
    client, marta, scorecard, resolved
):
    old = completed_review(ticket=resolved, reviewer=marta, scorecard=scorecard, scores=[5, 3, 7])
    client.force_login(marta)
    page = client.get(reverse("quality:scorecard_edit", args=[scorecard.pk]))
    assert 'value="Accuracy"' in page.content.decode()
    response = client.post(
        reverse("quality:scorecard_edit", args=[scorecard.pk]),
        criteria_post([("Empathy", 2, 4, False)], name=scorecard.name, note="New focus"),
    )
    assert response.status_code == 302
    assert scorecard.versions.count() == 2
    old.refresh_from_db()
    assert old.scorecard_version.number == 1 and str(old.score) == "71.67"
    client.post(reverse("quality:scorecard_active", args=[scorecard.pk]), {"active": "0"})
    scorecard.refresh_from_db()
    assert not scorecard.is_active


def test_a_manager_grants_and_revokes_the_reviewer_role(client, marta, carla):
    client.force_login(marta)
    page = client.get(reverse("quality:reviewers"))
    assert "Carla Ruiz" in page.content.decode()
    client.post(reverse("quality:reviewers"), {"user": carla.pk, "reviewer": "1"})
    assert is_reviewer(type(carla).objects.get(pk=carla.pk))
    client.post(reverse("quality:reviewers"), {"user": carla.pk, "reviewer": "0"})
    assert not is_reviewer(type(carla).objects.get(pk=carla.pk))
    assert client.post(reverse("quality:reviewers"), {"user": "9" * 30}).status_code == 302


def test_a_reviewer_reviews_a_ticket_from_start_to_completion(
    client, bruno_reviewer, ana, team_n1, scorecard
):
    ticket = resolve(agent=ana, team=team_n1)
    client.force_login(bruno_reviewer)
    fragment = client.get(reverse("quality:ticket_reviews", args=[ticket.pk]))
    assert reverse("quality:review_start", args=[ticket.pk]) in fragment.content.decode()
    response = client.post(
        reverse("quality:review_start", args=[ticket.pk]), {"scorecard": scorecard.pk}
    )
    review = Review.objects.get()
    assert response.url == reverse("quality:review", args=[review.pk])
    greeting, tone, accuracy = review.scorecard_version.criteria.all()
    reply = ticket.replies.first()
    page = client.get(response.url)
    assert f'name="reply_{reply.pk}"' in page.content.decode()
    client.post(
        response.url,
        {f"score_{greeting.pk}": "5", f"reply_{reply.pk}": "Nice opening", "action": "draft"},
    )
    review.refresh_from_db()
    assert review.status == "assigned" and review.scores.count() == 1
    refused = client.post(response.url, {f"score_{tone.pk}": "3", "action": "complete"})
    assert refused.status_code == 400
    assert "Score every criterion" in refused.content.decode()
    client.post(
        response.url,
        {
            f"score_{tone.pk}": "3",
            f"score_{accuracy.pk}": "7",
            "summary": "Good",
            "action": "complete",
        },
    )
    review.refresh_from_db()
    assert review.status == "completed" and str(review.score) == "71.67"
    assert review.comments.get().reply == reply
    todo = client.get(reverse("quality:todo"))
    assert review.ticket.reference in todo.content.decode()


def test_a_reviewer_cannot_review_their_own_ticket_or_one_without_assignee(
    client, bruno_reviewer, team_n1, scorecard, ticket
):
    own = resolve(agent=bruno_reviewer, team=team_n1)
    client.force_login(bruno_reviewer)
    fragment = client.get(reverse("quality:ticket_reviews", args=[own.pk]))
    assert "Review this ticket" not in fragment.content.decode()
    response = client.post(
        reverse("quality:review_start", args=[own.pk]), {"scorecard": scorecard.pk}
    )
    assert response.status_code == 400 and "own ticket" in response.content.decode()
    response = client.post(
        reverse("quality:review_start", args=[ticket.pk]), {"scorecard": scorecard.pk}
    )
    assert response.status_code == 400 and "no assignee" in response.content.decode()
    assert not Review.objects.exists()


def test_the_start_page_says_why_before_any_form_for_an_own_or_unassigned_ticket(
    client, bruno_reviewer, team_n1, ticket
):
    own = resolve(agent=bruno_reviewer, team=team_n1)
    client.force_login(bruno_reviewer)
    for target, why in ((own, "You cannot review your own ticket."), (ticket, "no assignee")):
        response = client.get(reverse("quality:review_start", args=[target.pk]))
        html = response.content.decode()
        assert response.status_code == 400, target
        assert why in html and "review-refused" in html
        assert 'class="review-start"' not in html and "Start the review" not in html


def test_an_agent_without_the_role_cannot_open_review_pages(
    client, carla, ana, team_n1, team_n2, scorecard
):
    ticket = resolve(agent=carla, team=team_n2)
    client.force_login(ana)
    assert client.get(reverse("quality:review_start", args=[ticket.pk])).status_code == 403
    assert client.get(reverse("quality:todo")).status_code == 403


@pytest.fixture
def review(resolved, marta, scorecard):
    return completed_review(ticket=resolved, reviewer=marta, scorecard=scorecard, scores=[5, 3, 7])


def test_agents_see_only_their_own_reviews(client, review, ana, bruno, carla, marta):
    url = reverse("quality:review", args=[review.pk])
    client.force_login(ana)
    assert client.get(url).status_code == 200
    assert review.ticket.reference in client.get(reverse("quality:mine")).content.decode()
    for other in (bruno, carla):
        client.force_login(other)
        assert client.get(url).status_code == 404
        assert review.ticket.reference not in client.get(reverse("quality:mine")).content.decode()


def test_the_dispute_journey(client, review, ana, bruno, marta):
    url = reverse("quality:review", args=[review.pk])
    client.force_login(ana)
    assert "Dispute this review" in client.get(url).content.decode()
    client.post(
        reverse("quality:review_dispute", args=[review.pk]), {"reason": "The tone was fine"}
    )
    assert Dispute.objects.get().reason == "The tone was fine"
    assert "Dispute this review" not in client.get(url).content.decode()
    client.force_login(marta)
    assert review.ticket.reference in client.get(reverse("quality:disputes")).content.decode()
    tone = review.scorecard_version.criteria.get(name="Tone")
    settle = reverse("quality:review_settle", args=[review.pk])
    bad = client.post(settle, {"outcome": "upheld", "note": "", f"score_{tone.pk}": "9"})
    assert bad.status_code == 400
    client.post(settle, {"outcome": "upheld", "note": "Agreed", f"score_{tone.pk}": "5"})
    review.refresh_from_db()
    assert str(review.score) == "85.00"
    client.force_login(ana)
    page = client.get(url).content.decode()
    assert "Agreed" in page and "71.67" in page


def test_the_sample_a_week_button(client, marta, scorecard, ana, team_n1):
    rule = save_sampling_rule(
        by=marta, scorecard_id=scorecard.pk, reviews_per_agent=2, mode="weighted", team_ids=[]
    )
    week = week_of(timezone.localdate()) - timedelta(days=7)
    when = timezone.make_aware(timezone.datetime.combine(week, timezone.datetime.min.time()))
    resolve(agent=ana, team=team_n1, at=when + timedelta(days=1))
    client.force_login(marta)
    url = reverse("quality:sampling_run", args=[rule.pk])
    response = client.post(url, {"week": (week + timedelta(days=3)).isoformat()}, follow=True)
    sunday = week + timedelta(days=6)
    said = f"Week of {date_format(week)} to {date_format(sunday)} sampled: 1 review assigned."
    assert said in response.content.decode()
    again = client.post(url, {"week": week.isoformat()}, follow=True)
    assert "already sampled" in again.content.decode()
    assert f"{date_format(week)} to {date_format(sunday)}" in again.content.decode()
    with translation.override("es"):
        spanish = client.post(
            url, {"week": week.isoformat()}, HTTP_ACCEPT_LANGUAGE="es", follow=True
        )
        assert date_format(sunday) in spanish.content.decode()  # the dates in Spanish
    assert client.post(url, {"week": "nope"}, follow=True).status_code == 200
    assert Review.objects.count() == 1


def test_a_manager_writes_a_sampling_rule_on_the_page(client, marta, scorecard, team_n1):
    client.force_login(marta)
    client.post(
        reverse("quality:sampling"),
        {
            "scorecard": scorecard.pk,
            "reviews_per_agent": "4",
            "mode": "random",
            "teams": [team_n1.pk],
            "is_active": "on",
        },
    )
    rule = SamplingRule.objects.get()
    assert rule.reviews_per_agent == 4 and list(rule.teams.all()) == [team_n1]
    bad = client.post(
        reverse("quality:sampling"),
        {"scorecard": scorecard.pk, "reviews_per_agent": "99", "mode": "random"},
    )
    assert bad.status_code == 400


def test_the_dashboard_section_shows_iqs_and_csat_per_agent(client, review, marta, ana):
    client.force_login(marta)
    response = client.get(reverse("quality:dashboard_section") + "?period=30")
    body = response.content.decode()
    assert response.status_code == 200
    assert "71.7" in body and "Ana Pérez" in body and "data-chart=" in body  # the scatter's figures
    assert client.get(reverse("quality:dashboard_section") + "?period=bogus").status_code == 400
    assert (
        client.get(
            reverse("quality:dashboard_section") + "?period=custom&from=2026-02-01&to=2026-01-01"
        ).status_code
        == 400
    )


def test_the_managers_list_filters(client, review, marta, ana, bruno):
    client.force_login(marta)
    url = reverse("quality:reviews")
    assert review.ticket.reference in client.get(url, {"agent": ana.pk}).content.decode()
    assert review.ticket.reference not in client.get(url, {"agent": bruno.pk}).content.decode()
    assert client.get(url, {"agent": "x"}).status_code == 400
    assert client.get(url, {"start": "0001-01-01"}).status_code == 400


def test_malformed_ids_are_404_not_500(client, marta):
    client.force_login(marta)
    for url in (
        "/quality/reviews/99999999999999999999/",
        "/quality/scorecards/99999999999/",
        "/quality/tickets/123456789/reviews/",
    ):
        assert client.get(url).status_code == 404


def test_malformed_review_posts_are_400_and_keep_the_draft(client, marta, resolved, scorecard):
    from quality.services.reviews import start_review

    review = start_review(ticket=resolved, by=marta, scorecard=scorecard)
    greeting = review.scorecard_version.criteria.get(name="Greeting")
    client.force_login(marta)
    url = reverse("quality:review", args=[review.pk])
    for data in (
        {f"score_{greeting.pk}": "abc", "action": "draft"},
        {f"score_{greeting.pk}": "6", "action": "draft"},
        {f"score_{greeting.pk}": "-1", "action": "complete"},
        {"summary": "x" * 10_001, "action": "draft"},
    ):
        response = client.post(url, data)
        assert response.status_code == 400, data
    review.refresh_from_db()
    assert review.status == "assigned" and not review.scores.exists()


def test_only_the_reviewer_may_score_and_agents_may_not_settle(
    client, marta, adrian, ana, resolved, scorecard
):
    from quality.services.reviews import start_review

    review = start_review(ticket=resolved, by=marta, scorecard=scorecard)
    scores = {f"score_{c.pk}": "5" for c in review.scorecard_version.criteria.all()}
    url = reverse("quality:review", args=[review.pk])
    client.force_login(adrian)
    page = client.get(url)
    assert page.status_code == 200 and "Complete the review" not in page.content.decode()
    refused = client.post(url, {**scores, "summary": "Adrian's view", "action": "complete"})
    assert refused.status_code == 403 and "Not allowed" in refused.content.decode()
    client.force_login(ana)
    assert client.get(url).status_code == 404  # a draft
    settle = reverse("quality:review_settle", args=[review.pk])
    for response in (client.get(settle), client.post(settle, {"outcome": "upheld", "note": "x"})):
        assert response.status_code == 403 and "Not allowed" in response.content.decode()
    review.refresh_from_db()
    assert (review.status, review.summary, review.score) == ("assigned", "", None)
    assert not review.scores.exists() and not Dispute.objects.exists()


def test_a_reviewer_sees_only_their_reviews_in_the_ticket_panel(
    client, bruno_reviewer, marta, ana, team_n1, scorecard
):
    ticket = resolve(agent=ana, team=team_n1)
    completed_review(ticket=ticket, reviewer=marta, scorecard=scorecard, scores=[5, 5, 10])
    client.force_login(bruno_reviewer)
    panel = client.get(reverse("quality:ticket_reviews", args=[ticket.pk])).content.decode()
    assert "No reviews you can see." in panel
    client.force_login(marta)
    panel = client.get(reverse("quality:ticket_reviews", args=[ticket.pk])).content.decode()
    assert "Marta Gómez" in panel and "100.00" in panel


def test_the_reviewed_agent_reads_each_criterion_and_the_comments_beside_the_messages(
    client, marta, ana, resolved, scorecard
):
    from quality.services.reviews import CommentData, ScoreData, score_review, start_review

    review = start_review(ticket=resolved, by=marta, scorecard=scorecard)
    reply = resolved.replies.first()
    scores = [
        ScoreData(c.pk, s, "Say their name" if c.name == "Greeting" else "")
        for c, s in zip(review.scorecard_version.criteria.all(), [3, 5, 10], strict=True)
    ]
    score_review(
        review=review,
        by=marta,
        scores=scores,
        comments=[CommentData("Lovely wording here", reply.pk)],
        summary="Solid",
        complete=True,
    )
    client.force_login(ana)
    page = client.get(reverse("quality:review", args=[review.pk])).content.decode()
    message = page.index(f'data-reply="{reply.pk}"')
    assert message < page.index("Lovely wording here")
    assert "3 / 5" in page and "Say their name" in page and "Solid" in page


def test_a_manager_changes_a_sampling_rule(client, marta, scorecard, team_n2):
    rule = save_sampling_rule(
        by=marta, scorecard_id=scorecard.pk, reviews_per_agent=2, mode="random", team_ids=[]
    )
    client.force_login(marta)
    url = reverse("quality:sampling_edit", args=[rule.pk])
    assert 'value="2"' in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "scorecard": scorecard.pk,
            "reviews_per_agent": "5",
            "mode": "weighted",
            "teams": [team_n2.pk],
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.reviews_per_agent, rule.mode, rule.is_active) == (5, "weighted", False)
    assert list(rule.teams.all()) == [team_n2]
