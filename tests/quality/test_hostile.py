"""Hostile callers against quality: other roles reading by id, forged hidden fields, markup in
names, CSRF, malformed input. Every refusal is a 4xx (never a 500) and nothing leaks."""

import html
import json
import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from rest_framework.test import APIClient

from quality.models import (
    REVIEWER_GROUP,
    CoachingGoal,
    CoachingSession,
    Dispute,
    Problem,
    ProblemBulkAnswer,
    ProblemTicket,
    Review,
    ReviewComment,
    ReviewScore,
    SamplingRule,
    Scorecard,
    ScorecardVersion,
)
from quality.services import reviews as review_services
from quality.services.reviews import CriterionData, ScoreData
from tests.factories import AgentFactory

from .conftest import CRITERIA, completed_review, resolve

API = "/api/v1/quality"


def web(user=None, csrf=False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    if user is not None:
        client.force_login(user)
    return client


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def review(resolved, marta, scorecard):
    """Ana's ticket reviewed by Marta: 5, 3, 7 → 71.67."""
    return completed_review(ticket=resolved, reviewer=marta, scorecard=scorecard, scores=[5, 3, 7])


# --- cross-role reads ---------------------------------------------------------------------------


def test_another_agent_cannot_open_a_review_by_id_in_pages_or_api(review, bruno, carla):
    for other in (bruno, carla):
        assert web(other).get(f"/quality/reviews/{review.pk}/").status_code == 404
        assert api(other).get(f"{API}/reviews/{review.pk}/").status_code == 404
        assert api(other).get(f"{API}/reviews/").json()["results"] == []


def test_the_reviewed_agent_cannot_read_a_draft_review(resolved, marta, scorecard, ana):
    draft = review_services.start_review(ticket=resolved, by=marta, scorecard=scorecard)
    assert web(ana).get(f"/quality/reviews/{draft.pk}/").status_code == 404
    assert api(ana).get(f"{API}/reviews/{draft.pk}/").status_code == 404


def test_ticket_fragments_of_an_unseen_ticket_are_404(review, carla):
    ticket = review.ticket
    for path in (
        f"/quality/tickets/{ticket.pk}/reviews/",
        f"/quality/tickets/{ticket.pk}/problems/",
    ):
        page = web(carla).get(path)
        assert page.status_code == 404 and "Page not found" in page.content.decode(), path
    anonymous = web().get(f"/quality/tickets/{ticket.pk}/reviews/")
    assert anonymous.status_code == 302
    assert anonymous.url == f"/accounts/login/?next=/quality/tickets/{ticket.pk}/reviews/"


def test_manager_fragments_refuse_agents(ana, bruno_reviewer):
    for user in (ana, bruno_reviewer):
        assert web(user).get("/quality/dashboard-section/").status_code == 403
        assert web(user).get("/quality/dashboard-problems/").status_code == 403


def test_an_agent_cannot_settle_or_dispute_someone_elses_review(review, ana, bruno, marta):
    Dispute.objects.create(review=review, raised_by=ana, reason="Unfair")
    page = web(ana).post(
        f"/quality/reviews/{review.pk}/settle/", {"outcome": "rejected", "note": "no"}
    )
    assert page.status_code == 403
    refused = api(ana).post(
        f"{API}/reviews/{review.pk}/settle/", {"outcome": "rejected", "note": "no"}, format="json"
    )
    assert refused.status_code == 403 and refused.json()["detail"]
    assert (
        api(bruno)
        .post(f"{API}/reviews/{review.pk}/dispute/", {"reason": "x"}, format="json")
        .status_code
        == 404
    )
    assert Dispute.objects.get(review=review).is_open


def test_disputing_twice_is_refused_with_400(review, ana):
    first = api(ana).post(f"{API}/reviews/{review.pk}/dispute/", {"reason": "A"}, format="json")
    assert first.status_code == 201
    second = api(ana).post(f"{API}/reviews/{review.pk}/dispute/", {"reason": "B"}, format="json")
    assert second.status_code == 400
    assert second.json() == {"detail": "This review has already been disputed."}
    assert Dispute.objects.get(review=review).reason == "A"


def test_a_reviewer_cannot_score_a_review_assigned_to_someone_else(
    resolved, marta, scorecard, bruno_reviewer
):
    draft = review_services.start_review(ticket=resolved, by=marta, scorecard=scorecard)
    criteria = list(draft.scorecard_version.criteria.all())
    answer = api(bruno_reviewer).post(
        f"{API}/reviews/{draft.pk}/scores/",
        {"scores": [{"criterion": c.pk, "score": 1} for c in criteria], "complete": True},
        format="json",
    )
    assert answer.status_code == 404 and answer.json() == {"detail": "Not found."}
    page = web(bruno_reviewer).post(
        f"/quality/reviews/{draft.pk}/",
        {**{f"score_{c.pk}": "1" for c in criteria}, "summary": "Mine", "action": "complete"},
    )
    assert page.status_code == 404 and "Page not found" in page.content.decode()
    draft.refresh_from_db()
    assert (draft.reviewer, draft.status, draft.summary, draft.score) == (
        marta,
        "assigned",
        "",
        None,
    )
    assert not draft.scores.exists()


def test_nobody_reviews_their_own_ticket(bruno_reviewer, team_n1, scorecard):
    own = resolve(agent=bruno_reviewer, team=team_n1)
    answer = api(bruno_reviewer).post(
        f"{API}/reviews/", {"ticket": own.pk, "scorecard": scorecard.pk}, format="json"
    )
    assert answer.status_code == 403
    assert answer.json() == {"detail": "You cannot review your own ticket."}
    page = web(bruno_reviewer).post(
        f"/quality/tickets/{own.pk}/review/", {"scorecard": scorecard.pk}
    )
    assert page.status_code == 400
    assert "You cannot review your own ticket." in page.content.decode()
    assert not Review.objects.exists()


def test_a_reviewer_cannot_start_a_review_of_a_ticket_they_cannot_see(
    carla, team_n2, bruno_reviewer, scorecard
):
    hidden = resolve(agent=carla, team=team_n2)
    answer = api(bruno_reviewer).post(
        f"{API}/reviews/", {"ticket": hidden.pk, "scorecard": scorecard.pk}, format="json"
    )
    assert answer.status_code == 403 and answer.json() == {"detail": "You cannot see this ticket."}
    page = f"/quality/tickets/{hidden.pk}/review/"
    assert web(bruno_reviewer).get(page).status_code == 404
    refused = web(bruno_reviewer).post(page, {"scorecard": scorecard.pk})
    assert refused.status_code == 404 and "Page not found" in refused.content.decode()
    assert not Review.objects.exists()


# --- forged ids -----------------------------------------------------------------------------------


def test_a_comment_anchored_to_another_tickets_message_is_refused(
    resolved, marta, scorecard, ana, team_n1
):
    other = resolve(agent=ana, team=team_n1)
    foreign = other.replies.first()
    draft = review_services.start_review(ticket=resolved, by=marta, scorecard=scorecard)
    answer = api(marta).post(
        f"{API}/reviews/{draft.pk}/scores/",
        {"comments": [{"body": "Look", "reply": foreign.pk}], "summary": "Seen"},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json() == {"comments": ["That message is not part of this ticket."]}
    draft.refresh_from_db()
    assert draft.summary == ""  # the whole call was refused
    # The page offers a comment box per message of this ticket only: another's is not a
    # field of the form, so the draft is saved without it.
    page = web(marta).post(
        f"/quality/reviews/{draft.pk}/",
        {f"reply_{foreign.pk}": "Look", "summary": "Seen", "action": "draft"},
    )
    assert page.status_code == 302 and page.url == f"/quality/reviews/{draft.pk}/"
    draft.refresh_from_db()
    assert draft.summary == "Seen"
    assert not ReviewComment.objects.exists()


def test_a_criterion_of_another_version_is_refused(resolved, marta, scorecard):
    draft = review_services.start_review(ticket=resolved, by=marta, scorecard=scorecard)
    newer = review_services.revise_scorecard(
        scorecard=scorecard, by=marta, name=scorecard.name, criteria=CRITERIA[:1]
    )
    foreign = newer.criteria.get()
    answer = api(marta).post(
        f"{API}/reviews/{draft.pk}/scores/",
        {"scores": [{"criterion": foreign.pk, "score": 1}]},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "scores": [f"Criterion {foreign.pk} is not part of this review's scorecard."]
    }
    huge = api(marta).post(
        f"{API}/reviews/{draft.pk}/scores/",
        {"scores": [{"criterion": 10**30, "score": 1}]},
        format="json",
    )
    assert huge.status_code == 400
    assert huge.json() == {
        "scores": [f"Criterion {10**30} is not part of this review's scorecard."]
    }
    assert not draft.scores.exists()


# --- markup ---------------------------------------------------------------------------------------

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ESCAPED = html.escape(XSS)  # as a page shows it: text, not markup


def test_markup_in_names_and_comments_is_escaped_everywhere(resolved, marta, ana, team_n1):
    card = review_services.create_scorecard(
        by=marta, name=XSS, description=XSS, criteria=[CriterionData(XSS, XSS, 1, 5)]
    )
    draft = review_services.start_review(ticket=resolved, by=marta, scorecard=card)
    criterion = draft.scorecard_version.criteria.get()
    reply = resolved.replies.first()
    review_services.score_review(
        review=draft,
        by=marta,
        scores=[ScoreData(criterion.pk, 4, XSS)],
        comments=[review_services.CommentData(XSS, reply.pk), review_services.CommentData(XSS)],
        summary=XSS,
        complete=True,
    )
    review_services.dispute_review(review=draft, by=ana, reason=XSS)
    pages = [
        web(marta).get(f"/quality/reviews/{draft.pk}/"),
        web(ana).get(f"/quality/reviews/{draft.pk}/"),
        web(marta).get("/quality/scorecards/"),
        web(marta).get(f"/quality/scorecards/{card.pk}/"),
        web(marta).get(f"/quality/scorecards/{card.pk}/edit/"),
        web(marta).get("/quality/reviews/"),
        web(marta).get("/quality/reviews/disputes/"),
        web(marta).get(f"/quality/reviews/{draft.pk}/settle/"),
        web(ana).get("/quality/reviews/mine/"),
        web(marta).get(f"/quality/tickets/{resolved.pk}/reviews/"),
        web(marta).get("/quality/sampling/"),
    ]
    for page in pages:
        assert page.status_code == 200, page.request["PATH_INFO"]
        body = page.content.decode()
        assert "<script>alert" not in body, page.request["PATH_INFO"]
        assert "<img src=x" not in body, page.request["PATH_INFO"]
        assert ESCAPED in body, page.request["PATH_INFO"]  # shown, as text


def test_an_agents_name_cannot_break_out_of_the_charts_json(marta, team_n1, scorecard):
    evil = AgentFactory(first_name="</script><script>alert(1)</script>", teams=[team_n1])
    ticket = resolve(agent=evil, team=team_n1, csat=5)
    completed_review(ticket=ticket, reviewer=marta, scorecard=scorecard, scores=[5, 5, 10])
    page = web(marta).get("/quality/dashboard-section/?period=30")
    assert page.status_code == 200
    body = page.content.decode()
    assert "<script>alert(1)" not in body
    chart = json.loads(html.unescape(re.search(r'data-chart="([^"]*)"', body).group(1)))
    assert [p["label"] for p in chart["points"]] == [evil.display_name]


# --- CSRF -----------------------------------------------------------------------------------------


def quality_rows():
    """What a refused post must leave as it was, across reviews, problems and coaching."""
    reviewers = Group.objects.filter(name=REVIEWER_GROUP).values_list("user", flat=True)
    return (
        list(Scorecard.objects.order_by("pk").values_list("pk", "name", "is_active")),
        ScorecardVersion.objects.count(),
        sorted(pk for pk in reviewers if pk),
        SamplingRule.objects.count(),
        list(
            Review.objects.order_by("pk").values_list("pk", "ticket", "status", "score", "summary")
        ),
        ReviewScore.objects.count(),
        ReviewComment.objects.count(),
        list(Dispute.objects.order_by("pk").values_list("pk", "reason", "outcome")),
        list(Problem.objects.order_by("pk").values_list("pk", "title")),
        ProblemTicket.objects.count(),
        CoachingGoal.objects.count(),
    )


def test_every_post_needs_the_csrf_token(review, marta, ana, carla, scorecard, team_n1):
    """Each body here goes through with the token (each changes one of quality_rows)."""
    Dispute.objects.create(review=review, raised_by=ana, reason="Unfair")
    undisputed = completed_review(
        ticket=resolve(agent=ana, team=team_n1), reviewer=marta, scorecard=scorecard,
        scores=[5, 5, 10],
    )  # fmt: skip
    draft = review_services.start_review(
        ticket=resolve(agent=ana, team=team_n1), by=marta, scorecard=scorecard
    )
    scores = {f"score_{c.pk}": "4" for c in draft.scorecard_version.criteria.all()}
    unreviewed = resolve(agent=ana, team=team_n1)
    criteria = {
        "criteria-TOTAL_FORMS": "1",
        "criteria-INITIAL_FORMS": "0",
        "criteria-0-name": "Empathy",
        "criteria-0-weight": "1",
        "criteria-0-max_score": "5",
    }
    goal = {"kpi": "csat", "comparison": "at_least", "target": "80"}
    posts = [
        (marta, "/quality/scorecards/new/", {"name": "Calls", **criteria}),
        (marta, f"/quality/scorecards/{scorecard.pk}/edit/", {"name": "Renamed", **criteria}),
        (marta, f"/quality/scorecards/{scorecard.pk}/active/", {"active": "0"}),
        (marta, "/quality/reviewers/", {"user": carla.pk, "reviewer": "1"}),
        (marta, "/quality/sampling/", {"scorecard": scorecard.pk, "reviews_per_agent": "4",
                                        "mode": "random", "is_active": "on"}),
        (marta, f"/quality/tickets/{unreviewed.pk}/review/", {"scorecard": scorecard.pk}),
        (marta, f"/quality/reviews/{draft.pk}/", {**scores, "summary": "Kind", "action": "draft"}),
        (marta, f"/quality/reviews/{review.pk}/settle/", {"outcome": "rejected", "note": "no"}),
        (ana, f"/quality/reviews/{undisputed.pk}/dispute/", {"reason": "The tone was fine"}),
        (marta, "/quality/problems/new/", {"title": "Blank invoices"}),
        (marta, "/quality/problems/link-tickets/",
         {"ticket": [f"{unreviewed.pk}:1"], "confirm": "1", "new_title": "Printer"}),
        (marta, f"/quality/coaching/{ana.pk}/goals/new/",
         {**goal, "starts_on": "2026-01-01", "due_on": "2026-02-01"}),
    ]  # fmt: skip
    before = quality_rows()
    for user, path, body in posts:
        refused = web(user, csrf=True).post(path, body)
        assert refused.status_code == 403, path
        assert "The form has expired" in refused.content.decode(), path
    assert quality_rows() == before


# --- malformed input ------------------------------------------------------------------------------


def test_nul_bytes_are_a_400_in_pages_and_api(review, marta, ana):
    nul = "Null characters are not allowed."
    answer = api(marta).post(
        f"{API}/scorecards/",
        {"name": "A\x00B", "criteria": [{"name": "C\x00", "weight": 1, "max_score": 5}]},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json() == {"name": [nul], "criteria": {"0": {"name": [nul]}}}
    page = web(marta).post(
        "/quality/scorecards/new/",
        {
            "name": "Ok",
            "criteria-TOTAL_FORMS": "1",
            "criteria-INITIAL_FORMS": "0",
            "criteria-0-name": "Bad\x00name",
            "criteria-0-weight": "1",
            "criteria-0-max_score": "5",
        },
    )
    assert page.status_code == 400 and nul in page.content.decode()
    assert Scorecard.objects.get() == review.scorecard_version.scorecard  # no new one
    disputed = api(ana).post(
        f"{API}/reviews/{review.pk}/dispute/", {"reason": "no\x00"}, format="json"
    )
    assert disputed.status_code == 400 and disputed.json() == {"reason": [nul]}
    # The page's dispute form sits on the review: the refusal comes back there, as a message.
    client = web(ana)
    page = client.post(f"/quality/reviews/{review.pk}/dispute/", {"reason": "no\x00"})
    assert page.status_code == 302 and page.url == f"/quality/reviews/{review.pk}/"
    assert nul in client.get(page.url).content.decode()
    assert not Dispute.objects.exists()


@pytest.mark.parametrize("pk", ["99999999999999999999", "0"])
def test_huge_or_zero_ids_in_urls_are_404(marta, pk):
    for path in [
        f"/quality/reviews/{pk}/",
        f"/quality/tickets/{pk}/reviews/",
        f"/quality/tickets/{pk}/problems/",
        f"/quality/scorecards/{pk}/",
        f"/quality/problems/{pk}/",
        f"/quality/coaching/{pk}/",
    ]:
        assert web(marta).get(path).status_code == 404, path
    for path in [f"{API}/reviews/{pk}/", f"{API}/scorecards/{pk}/", f"{API}/problems/{pk}/"]:
        assert api(marta).get(path).status_code == 404, path


@pytest.mark.parametrize(
    "query", ["agent=abc", "agent=-1", "agent=99999999999999999999", "status=x", "disputed=x"]
)
def test_bad_review_list_filters_are_400(marta, query):
    assert api(marta).get(f"{API}/reviews/?{query}").status_code == 400


@pytest.mark.parametrize(
    "query", ["start=0001-01-01", "end=9999-12-31", "agent=abc", "agent=99999999999999999999"]
)
def test_bad_review_page_filters_are_400(marta, query):
    assert web(marta).get(f"/quality/reviews/?{query}").status_code == 400


@pytest.mark.parametrize("query", ["from=0001-01-01", "to=9999-12-31", "from=x", "team=abc"])
def test_bad_iqs_periods_are_400(marta, query):
    answer = api(marta).get(f"{API}/iqs/?{query}")
    assert answer.status_code == 400, answer.content
    answer = api(marta).get(f"{API}/iqs/agents/?{query}")
    assert answer.status_code == 400, answer.content


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        (
            "period=custom&from=0001-01-01&to=0001-02-01",
            "Choose a date from 1970-01-01 to 2100-01-01.",
        ),
        (
            "period=custom&from=9999-12-01&to=9999-12-31",
            "Choose a date from 1970-01-01 to 2100-01-01.",
        ),
        ("period=zz", "Select a valid choice. zz is not one of the available choices."),
    ],
)
def test_bad_dashboard_section_periods_are_400_saying_why(marta, review, query, shown):
    section = web(marta).get(f"/quality/dashboard-section/?{query}")
    assert section.status_code == 400
    body = section.content.decode()
    assert f'<p class="text-danger small">{shown}' in body
    assert "data-chart=" not in body  # no figures for a period that is not one


def test_an_empty_criteria_formset_and_duplicate_names_are_400(marta):
    empty = web(marta).post(
        "/quality/scorecards/new/",
        {"name": "Ok", "criteria-TOTAL_FORMS": "0", "criteria-INITIAL_FORMS": "0"},
    )
    assert empty.status_code == 400
    dup = web(marta).post(
        "/quality/scorecards/new/",
        {
            "name": "Ok",
            "criteria-TOTAL_FORMS": "2",
            "criteria-INITIAL_FORMS": "0",
            "criteria-0-name": "Tone",
            "criteria-0-weight": "1",
            "criteria-0-max_score": "5",
            "criteria-1-name": " tone ",
            "criteria-1-weight": "1",
            "criteria-1-max_score": "5",
        },
    )
    assert dup.status_code == 400
    missing_management = web(marta).post("/quality/scorecards/new/", {"name": "Ok"})
    assert missing_management.status_code == 400
    huge_total = web(marta).post(
        "/quality/scorecards/new/",
        {"name": "Ok", "criteria-TOTAL_FORMS": "99999999", "criteria-INITIAL_FORMS": "0"},
    )
    assert huge_total.status_code == 400


def test_scores_out_of_range_in_the_page_are_400(resolved, marta, scorecard):
    draft = review_services.start_review(ticket=resolved, by=marta, scorecard=scorecard)
    criterion = draft.scorecard_version.criteria.first()
    for value in ("-1", "6", "abc", "99999999999999999999"):
        page = web(marta).post(
            f"/quality/reviews/{draft.pk}/", {f"score_{criterion.pk}": value, "action": "draft"}
        )
        assert page.status_code == 400
    assert not draft.scores.exists()


def test_settling_with_scores_out_of_range_is_400(review, ana, marta):
    Dispute.objects.create(review=review, raised_by=ana, reason="Unfair")
    criterion = review.scorecard_version.criteria.first()
    answer = api(marta).post(
        f"{API}/reviews/{review.pk}/settle/",
        {"outcome": "upheld", "note": "ok", "scores": [{"criterion": criterion.pk, "score": 9}]},
        format="json",
    )
    assert answer.status_code == 400
    assert Dispute.objects.get(review=review).is_open


@pytest.mark.parametrize(
    ("week", "shown"),
    [
        ("0001-01-01", "Choose a later day."),
        ("9999-12-31", "Choose a week that has ended."),
        ("x", "Enter a valid date."),
    ],
)
def test_a_sampling_week_far_away_or_unreadable_is_refused_saying_why(
    marta, scorecard, week, shown
):
    rule = SamplingRule.objects.create(scorecard=scorecard, updated_by=marta)
    page = web(marta).post(f"/quality/sampling/{rule.pk}/run/", {"week": week}, follow=True)
    assert page.redirect_chain == [("/quality/sampling/", 302)]
    assert shown in page.content.decode()
    assert not rule.runs.exists() and not Review.objects.exists()


# --- coaching -------------------------------------------------------------------------------------


def test_an_agent_reads_no_other_agents_coaching(ana, bruno, marta):
    session = CoachingSession.objects.create(
        agent=bruno, coach=marta, held_on="2026-01-05", notes="Private"
    )
    goal = CoachingGoal.objects.create(
        agent=bruno, created_by=marta, kpi="csat", comparison="at_least", target=80,
        starts_on="2026-01-01", due_on="2026-02-01", note="Between us",
    )  # fmt: skip
    assert web(ana).get(f"/quality/coaching/{bruno.pk}/").status_code == 404
    for page in (  # coaching is written by managers: an agent is refused before any lookup
        web(ana).get(f"/quality/coaching/sessions/{session.pk}/edit/"),
        web(ana).get(f"/quality/coaching/goals/{goal.pk}/edit/"),
        web(ana).post(f"/quality/coaching/goals/{goal.pk}/delete/"),
    ):
        assert page.status_code == 403 and "Not allowed" in page.content.decode()
        assert "Private" not in page.content.decode()
    for path in (f"{API}/coaching/sessions/{session.pk}/", f"{API}/coaching/goals/{goal.pk}/"):
        answer = api(ana).get(path)
        assert answer.status_code == 404 and answer.json() == {"detail": "Not found."}, path
    assert api(ana).get(f"{API}/coaching/sessions/?agent={bruno.pk}").json()["results"] == []
    assert api(ana).get(f"{API}/coaching/goals/?agent={bruno.pk}").json()["results"] == []
    assert "Private" not in web(ana).get("/quality/coaching/me/").content.decode()
    assert CoachingGoal.objects.filter(pk=goal.pk, target=80, note="Between us").exists()
    assert CoachingSession.objects.filter(pk=session.pk, notes="Private").exists()


def test_a_session_cannot_name_another_agents_tickets_or_reviews(
    ana, bruno, carla, team_n2, marta, scorecard, team_n1
):
    carlas = resolve(agent=carla, team=team_n2)
    brunos_review = completed_review(
        ticket=resolve(agent=bruno, team=team_n1), reviewer=marta, scorecard=scorecard,
        scores=[5, 5, 10],
    )  # fmt: skip
    # one review of Ana's, so that the page offers her reviews (and shows a refused one)
    completed_review(
        ticket=resolve(agent=ana, team=team_n1), reviewer=marta, scorecard=scorecard,
        scores=[5, 5, 10],
    )  # fmt: skip
    url = f"/quality/coaching/{ana.pk}/sessions/new/"
    session = {"held_on": "2026-01-05", "notes": XSS}
    page = web(marta).post(url, {**session, "reviews": [brunos_review.pk]})
    assert page.status_code == 400
    assert (
        f"Select a valid choice. {brunos_review.pk} is not one of the available choices."
        in page.content.decode()
    )
    page = web(marta).post(url, {**session, "tickets": carlas.reference})
    assert page.status_code == 400
    assert f"No ticket of Ana Pérez has the reference {carlas.reference}." in (
        page.content.decode()
    )
    answer = api(marta).post(
        f"{API}/coaching/sessions/",
        {"agent": ana.pk, "held_on": "2026-01-05", "notes": "n", "reviews": [brunos_review.pk]},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json() == {"reviews": ["Choose among Ana Pérez's completed reviews."]}
    answer = api(marta).post(
        f"{API}/coaching/sessions/",
        {"agent": ana.pk, "held_on": "2026-01-05", "notes": "n", "tickets": [carlas.reference]},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "tickets": [f"No ticket of Ana Pérez has the reference {carlas.reference}."]
    }
    assert not CoachingSession.objects.exists()


def test_coaching_notes_and_goal_notes_are_escaped(ana, marta):
    CoachingSession.objects.create(agent=ana, coach=marta, held_on="2026-01-05", notes=XSS)
    CoachingGoal.objects.create(
        agent=ana, created_by=marta, kpi="csat", comparison="at_least", target=80,
        starts_on="2026-01-01", due_on="2026-02-01", note=XSS,
    )  # fmt: skip
    for page, shows_notes in (
        (web(ana).get("/quality/coaching/me/"), True),
        (web(ana).get("/quality/coaching/me/goals/", headers={"HX-Request": "true"}), True),
        (web(marta).get(f"/quality/coaching/{ana.pk}/"), True),
        (web(marta).get("/quality/coaching/"), False),  # the goals' figures, not their notes
    ):
        assert page.status_code == 200, page.request["PATH_INFO"]
        body = page.content.decode()
        assert "<script>alert" not in body and "<img src=x" not in body
        assert (ESCAPED in body) is shows_notes, page.request["PATH_INFO"]  # shown, as text


GOAL = {"kpi": "csat", "comparison": "at_least", "target": "80"}


@pytest.mark.parametrize(
    ("starts_on", "due_on", "shown", "status"),
    [
        ("0001-01-01", "0001-01-02", "01/01/0001 – 01/02/0001", ("missed", "Missed")),
        ("9999-12-30", "9999-12-31", "12/30/9999 – 12/31/9999", ("no_data", "No data yet")),
    ],
)
def test_a_goal_far_in_the_past_or_the_future_is_refused_and_an_older_one_still_shown(
    ana, marta, starts_on, due_on, shown, status
):
    """Goal dates are bounded like every date of the app (1970–2100): a far one is refused
    with the reason, as typed, and nothing is written; a goal stored before the bound is
    still read without overflow."""
    dates = {"starts_on": starts_on, "due_on": due_on}
    refusal = "Choose a date from 1970-01-01 to 2100-01-01."
    page = web(marta).post(f"/quality/coaching/{ana.pk}/goals/new/", {**GOAL, **dates})
    assert page.status_code == 400
    text = page.content.decode()
    assert text.count(refusal) == 2 and f'value="{starts_on}"' in text
    answer = api(marta).post(
        f"{API}/coaching/goals/", {"agent": ana.pk, **GOAL, "target": 80, **dates}, format="json"
    )
    assert answer.status_code == 400
    assert answer.json() == {"starts_on": [refusal], "due_on": [refusal]}
    assert not CoachingGoal.objects.exists()
    for _ in range(2):  # stored before goal dates were bounded
        CoachingGoal.objects.create(
            agent=ana, created_by=marta, kpi="csat", comparison="at_least", target=80, **dates
        )
    for page in (
        web(ana).get("/quality/coaching/me/goals/", headers={"HX-Request": "true"}),
        web(marta).get(f"/quality/coaching/{ana.pk}/"),
    ):
        assert page.status_code == 200
        text = page.content.decode()
        assert text.count(shown) == 2 and status[1] in text
    listed = api(ana).get(f"{API}/coaching/goals/").json()["results"]
    assert [(g["starts_on"], g["progress"]["status"]) for g in listed] == [
        (starts_on, status[0])
    ] * 2


JSON_NAN = "JSON parse error - Out of range float values are not JSON compliant: 'NaN'"


@pytest.mark.parametrize(
    ("field", "typed", "sent", "shown", "refused"),
    [
        (
            "target", "1e400", "1e400",
            "Ensure that there are no more than 10 digits in total.",
            {"target": ["A valid number is required."]},
        ),
        (
            "target", "NaN", "NaN",
            "Enter a number.",
            {"detail": JSON_NAN},
        ),
        (
            "note", "a\x00", '"a\\u0000"',
            "Null characters are not allowed.",
            {"note": ["Null characters are not allowed."]},
        ),
    ],
)  # fmt: skip
def test_odd_goal_targets_and_notes_are_refused_saying_why(
    ana, marta, field, typed, sent, shown, refused
):
    """`typed` in the page's form; `sent` as the JSON text a client writes."""
    dates = {"starts_on": "2026-01-01", "due_on": "2026-02-01"}
    page = web(marta).post(
        f"/quality/coaching/{ana.pk}/goals/new/", {**GOAL, **dates, field: typed}
    )
    assert page.status_code == 400 and shown in page.content.decode()
    fields = {
        "agent": str(ana.pk), "kpi": '"csat"', "comparison": '"at_least"', "target": "80",
        "starts_on": '"2026-01-01"', "due_on": '"2026-02-01"', field: sent,
    }  # fmt: skip
    body = "{" + ", ".join(f'"{name}": {text}' for name, text in fields.items()) + "}"
    answer = api(marta).post(f"{API}/coaching/goals/", body, content_type="application/json")
    assert answer.status_code == 400 and answer.json() == refused
    assert not CoachingGoal.objects.exists()
    listed = api(ana).get(f"{API}/coaching/goals/")
    assert listed.status_code == 200 and listed.json()["results"] == []


# --- problems -------------------------------------------------------------------------------------


def test_an_agent_cannot_link_a_ticket_they_cannot_see(ana, carla, team_n1, team_n2, marta):
    from .problem_fixtures import open_ticket, problem_with

    mine = open_ticket(agent=ana, team=team_n1)
    hidden = open_ticket(agent=carla, team=team_n2)
    problem = problem_with(ana, [mine])
    page = web(ana).post(f"/quality/tickets/{hidden.pk}/problems/link/", {"problem": problem.pk})
    assert page.status_code == 404 and "Page not found" in page.content.decode()
    bulk = web(ana).post(
        "/quality/problems/link-tickets/",
        {"ticket": [f"{hidden.pk}:1"], "confirm": "1", "problem": problem.pk},
    )
    assert bulk.status_code == 400
    assert "Select the tickets to link in the queue first." in bulk.content.decode()
    answer = api(ana).post(
        f"{API}/problems/{problem.pk}/tickets/", {"tickets": [hidden.pk]}, format="json"
    )
    assert answer.status_code == 200
    assert answer.json() == {"linked": [], "already": [], "not_visible": [hidden.pk]}
    # Opening a problem from tickets leaves out those the agent cannot see.
    opened = web(ana).post("/quality/problems/new/", {"title": "T", "tickets": f"{hidden.pk}"})
    assert opened.status_code == 302
    new = Problem.objects.exclude(pk=problem.pk).get()
    assert opened.url == f"/quality/problems/{new.pk}/" and not new.tickets.exists()
    assert not ProblemTicket.objects.filter(ticket=hidden).exists()

    unlinked = web(ana).post(f"/quality/tickets/{mine.pk}/problems/{problem.pk}/unlink/")
    assert unlinked.status_code == 302 and unlinked.url == f"/quality/problems/{problem.pk}/"
    assert not ProblemTicket.objects.filter(ticket=mine).exists()
    other = problem_with(marta, [hidden], title="Hidden one")
    refused = web(ana).post(f"/quality/tickets/{hidden.pk}/problems/{other.pk}/unlink/")
    assert refused.status_code == 404 and "Page not found" in refused.content.decode()
    assert ProblemTicket.objects.filter(ticket=hidden, problem=other).exists()


def test_problem_titles_are_escaped_and_agents_cannot_edit_or_bulk_answer(ana, team_n1, marta):
    from .problem_fixtures import fix, open_ticket, problem_with

    ticket = open_ticket(agent=ana, team=team_n1)
    problem = problem_with(ana, [ticket], title=XSS)
    for page in (
        web(ana).get("/quality/problems/"),
        web(ana).get(f"/quality/problems/{problem.pk}/"),
        web(ana).get(f"/quality/tickets/{ticket.pk}/problems/"),
        web(marta).get("/quality/dashboard-problems/?period=30"),
    ):
        assert page.status_code == 200, page.request["PATH_INFO"]
        body = page.content.decode()
        assert "<script>alert" not in body and "<img src=x" not in body
        assert ESCAPED in body, page.request["PATH_INFO"]  # shown, as text
    edit = web(ana).post(f"/quality/problems/{problem.pk}/edit/", {"title": "x"})
    assert edit.status_code == 403 and "Not allowed" in edit.content.decode()
    fix(problem, marta)
    page = web(ana).post(f"/quality/problems/{problem.pk}/bulk-answer/", {"message_es": "Hola"})
    assert page.status_code == 403 and "Not allowed" in page.content.decode()
    answer = api(ana).post(
        f"{API}/problems/{problem.pk}/bulk-answers/", {"message_es": "Hola"}, format="json"
    )
    assert answer.status_code == 403
    assert answer.json() == {"detail": "Only managers and admins can do this to a problem."}
    problem.refresh_from_db()
    assert problem.title == XSS and not ProblemBulkAnswer.objects.exists()
    assert list(ticket.replies.values_list("body", flat=True)) == ["Looking into it."]


def test_nul_bytes_in_a_problem_are_a_400(ana, team_n1):
    from .problem_fixtures import open_ticket

    ticket = open_ticket(agent=ana, team=team_n1)
    page = web(ana).post("/quality/problems/new/", {"title": "A\x00", "tickets": str(ticket.pk)})
    assert page.status_code == 400
    assert "Null characters are not allowed." in page.content.decode()
    answer = api(ana).post(
        f"{API}/problems/", {"title": "A\x00", "tickets": [ticket.pk]}, format="json"
    )
    assert answer.status_code == 400
    assert answer.json() == {"title": ["Null characters are not allowed."]}
    assert not Problem.objects.exists()


# --- a ticket that moved away -----------------------------------------------------------------


def test_the_reviewed_agent_does_not_read_messages_added_after_the_ticket_left_them(
    review, ana, carla, team_n2, marta
):
    from cases import services as case_services

    ticket = review.ticket
    case_services.reopen_ticket(ticket=ticket, by=marta, reason="Again")
    ticket.refresh_from_db()
    case_services.escalate_ticket(ticket=ticket, by=marta, reason="N2", team=team_n2)
    ticket.refresh_from_db()
    case_services.assign_ticket(ticket=ticket, by=marta, assignee=carla)
    case_services.add_reply(ticket=ticket, by=carla, body="Secret note of N2", public=False)
    page = web(ana).get(f"/quality/reviews/{review.pk}/")
    assert page.status_code == 200
    assert "Secret note of N2" not in page.content.decode()


@pytest.mark.parametrize(
    "body",
    [
        {"ticket": 10**30, "scorecard": 1},
        {"ticket": -1, "scorecard": 1},
        {"ticket": "abc", "scorecard": 1},
        {"ticket": None, "scorecard": 1},
        {"ticket": [1], "scorecard": 1},
        {},
    ],
)
def test_odd_ids_when_starting_a_review_are_400(marta, scorecard, body):
    answer = api(marta).post(f"{API}/reviews/", body, format="json")
    assert answer.status_code == 400, answer.content
    assert not Review.objects.exists()


def test_huge_inputs_are_400_with_the_draft_untouched(resolved, marta, scorecard):
    draft = review_services.start_review(ticket=resolved, by=marta, scorecard=scorecard)
    criterion = draft.scorecard_version.criteria.first()
    for body in (
        {"summary": "x" * 100_001},
        {"scores": [{"criterion": criterion.pk, "score": 1, "comment": "x" * 100_001}]},
        {"scores": [{"criterion": criterion.pk, "score": 1}] * 1000},
        {"comments": [{"body": "x"}] * 1000},
        {"comments": [{"body": "x", "reply": 10**30}]},
        {"scores": [{"criterion": criterion.pk, "score": 10**30}]},
    ):
        answer = api(marta).post(f"{API}/reviews/{draft.pk}/scores/", body, format="json")
        assert answer.status_code == 400, (list(body), answer.content[:200])
    page = web(marta).post(
        f"/quality/reviews/{draft.pk}/", {"summary": "x" * 100_001, "action": "draft"}
    )
    assert page.status_code == 400
    draft.refresh_from_db()
    assert draft.summary == "" and not draft.scores.exists() and not draft.comments.exists()


def test_a_review_cannot_start_on_an_inactive_scorecard(resolved, marta, scorecard):
    review_services.set_scorecard_active(scorecard=scorecard, by=marta, active=False)
    answer = api(marta).post(
        f"{API}/reviews/", {"ticket": resolved.pk, "scorecard": scorecard.pk}, format="json"
    )
    assert answer.status_code == 400 and "scorecard" in answer.json()
    page = web(marta).post(f"/quality/tickets/{resolved.pk}/review/", {"scorecard": scorecard.pk})
    assert page.status_code == 400
    assert not Review.objects.exists()


def test_a_scorecard_name_taken_meanwhile_is_a_400_not_a_500(marta, scorecard, monkeypatch):
    """Two managers creating the same name at once: the second one's check saw nothing (as
    here, where the check is blinded), the database's unique name refuses it."""
    from quality.errors import QualityError

    monkeypatch.setattr(Scorecard.objects, "filter", lambda **kw: Scorecard.objects.none())
    with pytest.raises(QualityError) as refused:
        review_services.create_scorecard(by=marta, name=scorecard.name, criteria=CRITERIA)
    assert refused.value.field == "name"


def test_a_refused_dispute_says_what_is_wrong(review, ana):
    page = web(ana).post(
        f"/quality/reviews/{review.pk}/dispute/", {"reason": "x" * 10_001}, follow=True
    )
    assert "at most 10000 characters (it has 10001)" in page.content.decode()
    page = web(ana).post(
        f"/quality/reviews/{review.pk}/dispute/", {"reason": "a\x00b"}, follow=True
    )
    assert "Null characters are not allowed" in page.content.decode()
    assert not Dispute.objects.exists()


NO_SUCH_CHOICE = "Select a valid choice. That choice is not one of the available choices."


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        (f"{API}/coaching/goals/?agent=abc", 400, {"agent": [NO_SUCH_CHOICE]}),
        (f"{API}/coaching/goals/?agent=99999999999999999999", 400, {"agent": [NO_SUCH_CHOICE]}),
        (
            f"{API}/coaching/goals/?kpi=zzz",
            400,
            {"kpi": ["Select a valid choice. zzz is not one of the available choices."]},
        ),
        (f"{API}/coaching/sessions/?agent=-1", 400, {"agent": [NO_SUCH_CHOICE]}),
        (f"{API}/problems/?status=zzz", 400, {"status": ['"zzz" is not a valid choice.']}),
        (f"{API}/problems/?page=0", 404, {"detail": "Invalid page."}),
        (f"{API}/reviews/?page=abc", 404, {"detail": "Invalid page."}),
        # a page size above the largest is cut to it, not refused
        (
            f"{API}/scorecards/?page_size=100000",
            200,
            {"count": 0, "next": None, "previous": None, "results": []},
        ),
    ],
)
def test_odd_api_query_strings_are_answered_saying_why(marta, ana, path, status, body):
    for user in (marta, ana):
        answer = api(user).get(path)
        assert answer.status_code == status, (user.username, answer.content[:200])
        assert answer.json() == body


NOT_ALLOWED = "Not allowed"


@pytest.mark.parametrize(
    ("path", "manager", "agent"),
    [
        # unknown filters and pages are ignored: the list as it is
        ("/quality/problems/?status=zzz", (200, "Blank invoices"), (200, "Blank invoices")),
        ("/quality/problems/?page=abc", (200, "Blank invoices"), (200, "Blank invoices")),
        # any value ticks "Only my teams", as a browser's checkbox sends it: Marta has none
        (
            "/quality/coaching/?mine=abc",
            (200, "No agents to coach."),
            (302, "/quality/coaching/me/"),
        ),
        (
            "/quality/reviews/?status=zzz&disputed=zzz",
            (400, "Select a valid choice. zzz is not one of the available choices."),
            (403, NOT_ALLOWED),
        ),
        (
            "/quality/reviews/?agent=0",
            (400, "Select a valid choice. That choice is not one of the available choices."),
            (403, NOT_ALLOWED),
        ),
        (
            "/quality/dashboard-problems/?period=custom&from=0001-01-01&to=9999-12-31",
            (400, "Choose a valid period."),
            (403, NOT_ALLOWED),
        ),
        # without htmx, the goals fragment sends each to their own coaching page
        (
            "/quality/coaching/me/goals/?x=\x00",
            (302, "/quality/coaching/"),
            (302, "/quality/coaching/me/"),
        ),
    ],
)
def test_odd_page_query_strings_are_answered_saying_why(marta, ana, team_n1, path, manager, agent):
    from .problem_fixtures import open_ticket, problem_with

    problem_with(ana, [open_ticket(agent=ana, team=team_n1)])
    for user, (status, shown) in ((marta, manager), (ana, agent)):
        page = web(user).get(path)
        assert page.status_code == status, (user.username, path)
        if status == 302:
            assert page.url == shown
        else:
            assert shown in page.content.decode(), (user.username, path)


def test_a_reviewer_cannot_review_the_same_ticket_twice(resolved, marta, scorecard, ana):
    """Twice the same reviewer on one conversation would count it twice in the agent's IQS."""
    completed_review(ticket=resolved, reviewer=marta, scorecard=scorecard, scores=[0, 0, 0])
    answer = api(marta).post(
        f"{API}/reviews/", {"ticket": resolved.pk, "scorecard": scorecard.pk}, format="json"
    )
    assert answer.status_code == 400 and "ticket" in answer.json()
    page = web(marta).post(f"/quality/tickets/{resolved.pk}/review/", {"scorecard": scorecard.pk})
    assert page.status_code == 400
    assert "You already have a review of this ticket." in page.content.decode()
    assert Review.objects.filter(ticket=resolved).count() == 1


def test_renaming_a_scorecard_to_a_name_taken_meanwhile_is_a_400(marta, scorecard, monkeypatch):
    from quality.errors import QualityError

    other = review_services.create_scorecard(by=marta, name="Other", criteria=CRITERIA)
    monkeypatch.setattr(Scorecard.objects, "filter", lambda **kw: Scorecard.objects.none())
    with pytest.raises(QualityError) as refused:
        review_services.revise_scorecard(
            scorecard=other, by=marta, name=scorecard.name, criteria=CRITERIA
        )
    assert refused.value.field == "name"
    assert other.versions.count() == 1
