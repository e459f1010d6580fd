"""The problems API: who may do what, and a JSON 4xx saying why for everything else."""

import pytest
from django.urls import reverse

from cases.models import Status
from quality.models import Problem, ProblemBulkAnswer
from tests.quality.problem_fixtures import fix, open_ticket, problem_with


@pytest.fixture
def problem(ana, team_n1):
    return problem_with(ana, [open_ticket(agent=ana, team=team_n1, language="en")])


def _json(client, method, url, data=None):
    return getattr(client, method)(url, data, content_type="application/json")


def test_agents_list_create_and_read_problems(client, ana, problem, team_n1):
    client.force_login(ana)
    listed = client.get(reverse("quality-api:quality-problem-list")).json()
    assert [p["id"] for p in listed["results"]] == [problem.pk]
    assert listed["results"][0]["linked_tickets"] == 1
    ticket = open_ticket(agent=ana, team=team_n1)
    created = _json(
        client,
        "post",
        reverse("quality-api:quality-problem-list"),
        {"title": "Slow search", "tickets": [ticket.pk]},
    )
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "investigating" and body["tickets"] == [ticket.pk]
    detail = client.get(reverse("quality-api:quality-problem-detail", args=[body["id"]])).json()
    assert detail["origin"] == {"kind": "tickets"}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"title": ""},
        {"title": "x" * 201},
        {"title": "ok", "description": "x" * 10_001},
        {"title": "ok", "owner": "me"},
        {"title": "ok", "owner": 987654},
        {"title": "ok", "tickets": ["a"]},
        {"title": "ok", "tickets": [2**70]},
    ],
)
def test_bad_bodies_are_a_400_naming_the_field(client, ana, body):
    client.force_login(ana)
    response = _json(client, "post", reverse("quality-api:quality-problem-list"), body)
    assert response.status_code == 400
    assert response.json()
    assert not Problem.objects.exists()


def test_a_wrong_status_filter_is_a_400(client, ana):
    client.force_login(ana)
    response = client.get(reverse("quality-api:quality-problem-list"), {"status": "closed"})
    assert response.status_code == 400 and "status" in response.json()


def test_only_managers_change_a_problem_and_fixed_needs_a_note(client, ana, marta, problem):
    url = reverse("quality-api:quality-problem-detail", args=[problem.pk])
    client.force_login(ana)
    response = _json(client, "patch", url, {"title": "Mine"})
    assert response.status_code == 403 and "detail" in response.json()
    client.force_login(marta)
    response = _json(client, "patch", url, {"status": "fixed"})
    assert response.status_code == 400 and "fix_note" in response.json()
    response = _json(client, "patch", url, {"status": "solved"})
    assert response.status_code == 400 and "status" in response.json()
    response = _json(client, "patch", url, {"fixed_at": "2020-01-01T00:00:00Z"})
    assert response.status_code == 400 and "fixed_at" in response.json()
    response = _json(
        client,
        "patch",
        url,
        {"status": "fixed", "fix_note": "Patched", "fixed_at": "2999-01-01T00:00:00Z"},
    )
    assert response.status_code == 400 and "fixed_at" in response.json()
    response = _json(client, "patch", url, {"status": "fixed", "fix_note": "Patched"})
    assert response.status_code == 200 and response.json()["fixed_at"]


def test_the_bulk_answer_is_accepted_with_its_id_and_its_results_readable(
    client, ana, marta, problem, django_capture_on_commit_callbacks
):
    url = reverse("quality-api:quality-problem-bulk-answers", args=[problem.pk])
    client.force_login(marta)
    response = _json(client, "post", url, {"message_en": "Fixed now."})
    assert response.status_code == 409 and "detail" in response.json()  # not fixed yet
    fix(problem, marta)
    assert _json(client, "post", url, {"message_es": "", "message_en": ""}).status_code == 400
    assert _json(client, "post", url, {"message_es": "x" * 10_001}).status_code == 400
    assert _json(client, "post", url, {"resolve": "maybe", "message_es": "a"}).status_code == 400
    client.force_login(ana)
    assert _json(client, "post", url, {"message_en": "Fixed now."}).status_code == 403
    client.force_login(marta)
    with django_capture_on_commit_callbacks(execute=True):
        response = _json(client, "post", url, {"message_en": "Fixed now."})
    assert response.status_code == 202
    bulk_id = response.json()["id"]
    results = client.get(
        reverse("quality-api:quality-problem-bulk-answer", args=[problem.pk, bulk_id])
    ).json()
    assert results["finished_at"] is not None
    assert [r["outcome"] for r in results["results"]] == ["answered"]
    ticket = problem.tickets.get()
    assert ticket.status == Status.RESOLVED
    assert ProblemBulkAnswer.objects.count() == 1
    missing = reverse("quality-api:quality-problem-bulk-answer", args=[problem.pk, 99999])
    assert client.get(missing).status_code == 404


def test_follow_ups_are_linked_by_managers_only(client, ana, marta, problem):
    url = reverse("quality-api:quality-problem-follow-ups", args=[problem.pk])
    client.force_login(ana)
    assert _json(client, "post", url, {"follow_ups": [1]}).status_code == 403
    client.force_login(marta)
    body = _json(client, "post", url, {"follow_ups": [424242]}).json()
    assert body["not_found"] == [424242]
    assert _json(client, "post", url, {"follow_ups": "1,2"}).status_code == 400


def test_anonymous_callers_get_401_and_unknown_problems_404(client, ana):
    assert client.get(reverse("quality-api:quality-problem-list")).status_code == 401
    client.force_login(ana)
    response = client.get(reverse("quality-api:quality-problem-detail", args=[123456]))
    assert response.status_code == 404 and "detail" in response.json()
