"""Hostile callers against quality: other roles reading by id, forged hidden fields, markup in
names, CSRF, malformed input. Every refusal is a 4xx (never a 500) and nothing leaks."""

import html
import json
import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from quality.models import Dispute, Review, ReviewComment
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
    assert web(carla).get(f"/quality/tickets/{ticket.pk}/reviews/").status_code == 404
    assert web(carla).get(f"/quality/tickets/{ticket.pk}/problems/").status_code == 404
    assert web().get(f"/quality/tickets/{ticket.pk}/reviews/").status_code in (302, 403)


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
    assert second.status_code == 400 and second.json()
    assert Dispute.objects.get(review=review).reason == "A"


def test_a_reviewer_cannot_score_a_review_assigned_to_someone_else(
    resolved, marta, scorecard, bruno_reviewer
):
    draft = review_services.start_review(ticket=resolved, by=marta, scorecard=scorecard)
    criterion = draft.scorecard_version.criteria.first()
    answer = api(bruno_reviewer).post(
        f"{API}/reviews/{draft.pk}/scores/",
        {"scores": [{"criterion": criterion.pk, "score": 1}], "complete": False},
        format="json",
    )
    assert answer.status_code in (403, 404)
    page = web(bruno_reviewer).post(
        f"/quality/reviews/{draft.pk}/", {f"score_{criterion.pk}": "1", "action": "complete"}
    )
    assert page.status_code in (403, 404)
    assert not draft.scores.exists()


def test_nobody_reviews_their_own_ticket(bruno_reviewer, team_n1, scorecard):
    own = resolve(agent=bruno_reviewer, team=team_n1)
    answer = api(bruno_reviewer).post(
        f"{API}/reviews/", {"ticket": own.pk, "scorecard": scorecard.pk}, format="json"
    )
    assert answer.status_code == 403 and answer.json()["detail"]
    page = web(bruno_reviewer).post(
        f"/quality/tickets/{own.pk}/review/", {"scorecard": scorecard.pk}
    )
    assert page.status_code == 400
    assert not Review.objects.exists()


def test_a_reviewer_cannot_start_a_review_of_a_ticket_they_cannot_see(
    carla, team_n2, bruno_reviewer, scorecard
):
    hidden = resolve(agent=carla, team=team_n2)
    answer = api(bruno_reviewer).post(
        f"{API}/reviews/", {"ticket": hidden.pk, "scorecard": scorecard.pk}, format="json"
    )
    assert answer.status_code in (400, 403, 404)
    assert web(bruno_reviewer).get(f"/quality/tickets/{hidden.pk}/review/").status_code == 404
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
        {"comments": [{"body": "Look", "reply": foreign.pk}]},
        format="json",
    )
    assert answer.status_code == 400 and "comments" in answer.json()
    web(marta).post(
        f"/quality/reviews/{draft.pk}/", {f"reply_{foreign.pk}": "Look", "action": "draft"}
    )
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
    assert answer.status_code == 400 and "scores" in answer.json()
    huge = api(marta).post(
        f"{API}/reviews/{draft.pk}/scores/",
        {"scores": [{"criterion": 10**30, "score": 1}]},
        format="json",
    )
    assert huge.status_code == 400


# --- markup ---------------------------------------------------------------------------------------

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


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


def test_every_post_needs_the_csrf_token(review, marta, ana, scorecard):
    Dispute.objects.create(review=review, raised_by=ana, reason="Unfair")
    t = review.ticket.pk
    for user, path in [
        (marta, "/quality/scorecards/new/"),
        (marta, f"/quality/scorecards/{scorecard.pk}/edit/"),
        (marta, f"/quality/scorecards/{scorecard.pk}/active/"),
        (marta, "/quality/reviewers/"),
        (marta, "/quality/sampling/"),
        (marta, f"/quality/tickets/{t}/review/"),
        (marta, f"/quality/reviews/{review.pk}/"),
        (marta, f"/quality/reviews/{review.pk}/settle/"),
        (ana, f"/quality/reviews/{review.pk}/dispute/"),
        (marta, "/quality/problems/new/"),
        (marta, "/quality/problems/link-tickets/"),
        (marta, f"/quality/coaching/{ana.pk}/goals/new/"),
    ]:
        assert web(user, csrf=True).post(path, {}).status_code == 403, path
    assert Dispute.objects.get(review=review).is_open


# --- malformed input ------------------------------------------------------------------------------


def test_nul_bytes_are_a_400_in_pages_and_api(review, marta, ana):
    answer = api(marta).post(
        f"{API}/scorecards/",
        {"name": "A\x00B", "criteria": [{"name": "C\x00", "weight": 1, "max_score": 5}]},
        format="json",
    )
    assert answer.status_code == 400
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
    assert page.status_code == 400
    disputed = api(ana).post(
        f"{API}/reviews/{review.pk}/dispute/", {"reason": "no\x00"}, format="json"
    )
    assert disputed.status_code == 400
    page = web(ana).post(f"/quality/reviews/{review.pk}/dispute/", {"reason": "no\x00"})
    assert page.status_code in (302, 400)
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
    "query",
    [
        "period=custom&from=0001-01-01&to=0001-02-01",
        "period=custom&from=9999-12-01&to=9999-12-31",
        "period=zz",
    ],
)
def test_bad_dashboard_section_periods_are_4xx(marta, query):
    assert web(marta).get(f"/quality/dashboard-section/?{query}").status_code in (200, 400)


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


def test_the_sampling_week_far_away_is_400(marta, scorecard):
    from quality.models import SamplingRule

    rule = SamplingRule.objects.create(scorecard=scorecard, updated_by=marta)
    for week in ("0001-01-01", "9999-12-31", "x"):
        page = web(marta).post(f"/quality/sampling/{rule.pk}/run/", {"week": week})
        assert page.status_code == 302
    assert not rule.runs.exists()


# --- coaching -------------------------------------------------------------------------------------


def test_an_agent_reads_no_other_agents_coaching(ana, bruno, marta):
    from quality.models import CoachingGoal, CoachingSession

    session = CoachingSession.objects.create(
        agent=bruno, coach=marta, held_on="2026-01-05", notes="Private"
    )
    goal = CoachingGoal.objects.create(
        agent=bruno, created_by=marta, kpi="csat", comparison="gte", target=80,
        starts_on="2026-01-01", due_on="2026-02-01",
    )  # fmt: skip
    assert web(ana).get(f"/quality/coaching/{bruno.pk}/").status_code == 404
    assert web(ana).get(f"/quality/coaching/sessions/{session.pk}/edit/").status_code in (403, 404)
    assert web(ana).get(f"/quality/coaching/goals/{goal.pk}/edit/").status_code in (403, 404)
    assert web(ana).post(f"/quality/coaching/goals/{goal.pk}/delete/").status_code in (403, 404)
    assert api(ana).get(f"{API}/coaching/sessions/{session.pk}/").status_code in (403, 404)
    assert api(ana).get(f"{API}/coaching/goals/{goal.pk}/").status_code in (403, 404)
    assert api(ana).get(f"{API}/coaching/sessions/?agent={bruno.pk}").json()["results"] == []
    assert api(ana).get(f"{API}/coaching/goals/?agent={bruno.pk}").json()["results"] == []
    assert "Private" not in web(ana).get("/quality/coaching/me/").content.decode()
    assert CoachingGoal.objects.filter(pk=goal.pk).exists()


def test_a_session_cannot_name_another_agents_tickets_or_reviews(
    ana, bruno, carla, team_n2, marta, scorecard, team_n1
):
    from quality.models import CoachingSession

    carlas = resolve(agent=carla, team=team_n2)
    brunos_review = completed_review(
        ticket=resolve(agent=bruno, team=team_n1), reviewer=marta, scorecard=scorecard,
        scores=[5, 5, 10],
    )  # fmt: skip
    page = web(marta).post(
        f"/quality/coaching/{ana.pk}/sessions/new/",
        {
            "held_on": "2026-01-05",
            "notes": XSS,
            "tickets": carlas.reference,
            "reviews": [brunos_review.pk],
        },
    )
    assert page.status_code == 400
    answer = api(marta).post(
        f"{API}/coaching/sessions/",
        {"agent": ana.pk, "held_on": "2026-01-05", "notes": "n", "reviews": [brunos_review.pk]},
        format="json",
    )
    assert answer.status_code == 400
    assert not CoachingSession.objects.exists()


def test_coaching_notes_and_goal_notes_are_escaped(ana, marta):
    from quality.models import CoachingGoal, CoachingSession

    CoachingSession.objects.create(agent=ana, coach=marta, held_on="2026-01-05", notes=XSS)
    CoachingGoal.objects.create(
        agent=ana, created_by=marta, kpi="csat", comparison="gte", target=80,
        starts_on="2026-01-01", due_on="2026-02-01", note=XSS,
    )  # fmt: skip
    for page in (
        web(ana).get("/quality/coaching/me/"),
        web(ana).get("/quality/coaching/me/goals/", headers={"HX-Request": "true"}),
        web(marta).get(f"/quality/coaching/{ana.pk}/"),
        web(marta).get("/quality/coaching/"),
    ):
        assert page.status_code == 200
        assert "<script>alert" not in page.content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {
            "kpi": "csat",
            "comparison": "gte",
            "target": "80",
            "starts_on": "0001-01-01",
            "due_on": "0001-01-02",
        },
        {
            "kpi": "csat",
            "comparison": "gte",
            "target": "80",
            "starts_on": "9999-12-30",
            "due_on": "9999-12-31",
        },
        {
            "kpi": "csat",
            "comparison": "gte",
            "target": "1e400",
            "starts_on": "2026-01-01",
            "due_on": "2026-02-01",
        },
        {
            "kpi": "csat",
            "comparison": "gte",
            "target": "NaN",
            "starts_on": "2026-01-01",
            "due_on": "2026-02-01",
        },
        {
            "kpi": "csat",
            "comparison": "gte",
            "target": "80",
            "starts_on": "2026-01-01",
            "due_on": "2026-02-01",
            "note": "a\x00",
        },
    ],
)
def test_goal_dates_far_away_and_odd_targets_never_500(ana, marta, data):
    page = web(marta).post(f"/quality/coaching/{ana.pk}/goals/new/", data)
    assert page.status_code in (302, 400), page.status_code
    answer = api(marta).post(f"{API}/coaching/goals/", {"agent": ana.pk, **data}, format="json")
    assert answer.status_code in (201, 400), answer.content
    for who in (ana, marta):
        goals = web(who).get("/quality/coaching/me/goals/", headers={"HX-Request": "true"})
        assert goals.status_code in (200, 403)
        assert web(who).get(f"/quality/coaching/{ana.pk}/").status_code in (200, 404)
        assert api(who).get(f"{API}/coaching/goals/").status_code == 200


# --- problems -------------------------------------------------------------------------------------


def test_an_agent_cannot_link_a_ticket_they_cannot_see(ana, carla, team_n1, team_n2, marta):
    from quality.models import Problem, ProblemTicket

    from .problem_fixtures import open_ticket, problem_with

    mine = open_ticket(agent=ana, team=team_n1)
    hidden = open_ticket(agent=carla, team=team_n2)
    problem = problem_with(ana, [mine])
    assert (
        web(ana)
        .post(f"/quality/tickets/{hidden.pk}/problems/link/", {"problem": problem.pk})
        .status_code
        == 404
    )
    web(ana).post(
        "/quality/problems/link-tickets/", {"tickets": f"{hidden.pk}", "problem": problem.pk}
    )
    web(ana).post("/quality/problems/new/", {"title": "T", "tickets": f"{hidden.pk}"})
    answer = api(ana).post(
        f"{API}/problems/{problem.pk}/tickets/", {"tickets": [hidden.pk]}, format="json"
    )
    assert answer.status_code in (200, 201, 400)
    assert not ProblemTicket.objects.filter(ticket=hidden).exists()
    assert Problem.objects.count() <= 2
    assert web(ana).post(
        f"/quality/tickets/{mine.pk}/problems/{problem.pk}/unlink/"
    ).status_code in (200, 302)
    other = problem_with(marta, [hidden], title="Hidden one")
    assert (
        web(ana).post(f"/quality/tickets/{hidden.pk}/problems/{other.pk}/unlink/").status_code
        == 404
    )
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
        assert page.status_code == 200
        assert "<script>alert" not in page.content.decode()
    assert web(ana).post(f"/quality/problems/{problem.pk}/edit/", {"title": "x"}).status_code == 403
    fix(problem, marta)
    assert web(ana).post(
        f"/quality/problems/{problem.pk}/bulk-answer/", {"message_es": "Hola"}
    ).status_code in (403, 404)
    answer = api(ana).post(
        f"{API}/problems/{problem.pk}/bulk-answers/", {"message_es": "Hola"}, format="json"
    )
    assert answer.status_code == 403


def test_nul_bytes_in_a_problem_are_a_400(ana, team_n1):
    from quality.models import Problem

    from .problem_fixtures import open_ticket

    ticket = open_ticket(agent=ana, team=team_n1)
    page = web(ana).post("/quality/problems/new/", {"title": "A\x00", "tickets": str(ticket.pk)})
    assert page.status_code == 400
    answer = api(ana).post(
        f"{API}/problems/", {"title": "A\x00", "tickets": [ticket.pk]}, format="json"
    )
    assert answer.status_code == 400
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
    from quality.models import Scorecard

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


@pytest.mark.parametrize(
    "path",
    [
        f"{API}/coaching/goals/?agent=abc",
        f"{API}/coaching/goals/?agent=99999999999999999999",
        f"{API}/coaching/goals/?kpi=zzz",
        f"{API}/coaching/sessions/?agent=-1",
        f"{API}/problems/?status=zzz",
        f"{API}/problems/?page=0",
        f"{API}/reviews/?page=abc",
        f"{API}/scorecards/?page_size=100000",
    ],
)
def test_odd_api_query_strings_are_4xx(marta, ana, path):
    for user in (marta, ana):
        answer = api(user).get(path)
        assert 400 <= answer.status_code < 500 or answer.status_code == 200, answer.status_code
        assert answer.status_code != 500


@pytest.mark.parametrize(
    "path",
    [
        "/quality/problems/?status=zzz",
        "/quality/problems/?page=abc",
        "/quality/coaching/?mine=abc",
        "/quality/reviews/?status=zzz&disputed=zzz",
        "/quality/reviews/?agent=0",
        "/quality/dashboard-problems/?period=custom&from=0001-01-01&to=9999-12-31",
        "/quality/coaching/me/goals/?x=\x00",
    ],
)
def test_odd_page_query_strings_never_500(marta, ana, path):
    for user in (marta, ana):
        assert web(user).get(path).status_code < 500, path


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
    from quality.models import Scorecard

    other = review_services.create_scorecard(by=marta, name="Other", criteria=CRITERIA)
    monkeypatch.setattr(Scorecard.objects, "filter", lambda **kw: Scorecard.objects.none())
    with pytest.raises(QualityError) as refused:
        review_services.revise_scorecard(
            scorecard=other, by=marta, name=scorecard.name, criteria=CRITERIA
        )
    assert refused.value.field == "name"
    assert other.versions.count() == 1
