"""Opening, changing and listing problems in the browser; the dashboard's section."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from quality.errors import QualityPermissionDenied
from quality.models import Problem, ProblemEvent, ProblemFollowUp, ProblemStatus, ProblemTicket
from quality.services import problems as problem_services
from surveys.models import FollowUp
from tests.factories import CategoryFactory
from tests.quality.problem_fixtures import fix, open_ticket, problem_with, resolved_ticket


def test_an_agent_opens_a_problem_investigating(client, ana):
    client.force_login(ana)
    response = client.post(
        reverse("quality:problem_create"),
        {"title": "Invoices are blank", "description": "PDF empty", "owner": ana.pk},
    )
    problem = Problem.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("quality:problem_detail", args=[problem.pk])
    assert problem.status == ProblemStatus.INVESTIGATING and problem.created_by == ana
    assert ProblemEvent.objects.get(problem=problem).kind == "opened"
    page = client.get(response.url)
    assert page.status_code == 200 and "Invoices are blank" in page.content.decode()


def test_agents_may_not_edit_a_problem(client, ana):
    problem = problem_with(ana, [])
    client.force_login(ana)
    url = reverse("quality:problem_edit", args=[problem.pk])
    page = client.get(url)
    assert page.status_code == 403 and "Not allowed" in page.content.decode()
    form = {"title": "Mine now", "description": "", "root_cause": "", "owner": ""}
    refused = client.post(url, {**form, "status": "fixed", "fix_note": "Rolled back"})
    assert refused.status_code == 403 and "Not allowed" in refused.content.decode()
    with pytest.raises(QualityPermissionDenied):
        problem_services.update_problem(problem=problem, by=ana, title="Mine now")
    problem.refresh_from_db()
    assert (problem.title, problem.status) == ("Blank invoices", ProblemStatus.INVESTIGATING)
    assert list(problem.events.values_list("kind", flat=True)) == ["opened"]


def test_status_moves_are_recorded_and_fixed_needs_a_note_and_a_past_date(client, ana, marta):
    problem = problem_with(ana, [])
    client.force_login(marta)
    url = reverse("quality:problem_edit", args=[problem.pk])
    form = {"title": problem.title, "description": "", "root_cause": "", "owner": ""}
    refused = client.post(url, {**form, "status": "fixed", "fix_note": ""})
    assert refused.status_code == 400 and "needs a fix note" in refused.content.decode()
    future = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    refused = client.post(
        url, {**form, "status": "fixed", "fix_note": "Rolled back", "fixed_at": future}
    )
    assert refused.status_code == 400 and "cannot be in the future" in refused.content.decode()
    assert client.post(url, {**form, "status": "wrong"}).status_code == 400

    assert client.post(url, {**form, "status": "known_error"}).status_code == 302
    assert (
        client.post(url, {**form, "status": "fixed", "fix_note": "Rolled back"}).status_code == 302
    )
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.FIXED and problem.fixed_at is not None
    fixed_at = problem.fixed_at
    assert (
        client.post(url, {**form, "status": "investigating", "fix_note": "Rolled back"}).status_code
        == 302
    )
    problem.refresh_from_db()
    assert problem.fixed_at is None  # reopening clears the fix date …
    moves = ProblemEvent.objects.filter(problem=problem, kind="status").order_by("pk")
    assert [(e.data["old"], e.data["new"]) for e in moves] == [
        ("investigating", "known_error"),
        ("known_error", "fixed"),
        ("fixed", "investigating"),
    ]
    assert moves.last().data["cleared_fixed_at"] == fixed_at.isoformat()  # … and records it


def test_a_huge_title_is_refused_and_the_form_keeps_what_was_typed(client, ana):
    client.force_login(ana)
    response = client.post(
        reverse("quality:problem_create"), {"title": "x" * 201, "description": "Kept text"}
    )
    assert response.status_code == 400
    assert "Kept text" in response.content.decode()
    assert not Problem.objects.exists()


def test_the_list_filters_by_status_and_sorts_by_linked_tickets(client, ana, team_n1, marta):
    few = problem_with(ana, [open_ticket(agent=ana, team=team_n1)], title="Few")
    many = problem_with(ana, [open_ticket(agent=ana, team=team_n1) for _ in range(3)], title="Many")
    done = fix(problem_with(ana, [], title="Done"), marta)
    client.force_login(ana)
    listed = client.get(reverse("quality:problem_list")).context["page_obj"].object_list
    assert [p.pk for p in listed] == [many.pk, few.pk]
    fixed = client.get(reverse("quality:problem_list"), {"status": "fixed"})
    assert [p.pk for p in fixed.context["page_obj"].object_list] == [done.pk]
    assert client.get(reverse("quality:problem_list"), {"status": "bogus"}).status_code == 200


@pytest.fixture
def follow_ups(ana, team_n1):
    now = timezone.now()
    for csat in (1, 2):
        resolved_ticket(agent=ana, team=team_n1, at=now - timedelta(days=1), csat=csat)
    return list(FollowUp.objects.order_by("pk"))


def test_a_manager_opens_a_problem_from_follow_ups(client, marta, follow_ups):
    assert len(follow_ups) == 2
    client.force_login(marta)
    ids = ",".join(str(f.pk) for f in follow_ups)
    page = client.get(reverse("quality:problem_create"), {"follow_ups": ids})
    assert page.status_code == 200
    ticked = client.get(
        reverse("quality:problem_create"), {"follow_up": [f.pk for f in follow_ups]}
    )
    assert page.context["follow_ups"] == ticked.context["follow_ups"] == follow_ups
    response = client.post(
        reverse("quality:problem_create"), {"title": "Refund delays", "follow_ups": ids}
    )
    assert response.status_code == 302
    problem = Problem.objects.get()
    assert problem.origin == {"kind": "follow_ups", "follow_ups": [f.pk for f in follow_ups]}
    assert ProblemFollowUp.objects.filter(problem=problem).count() == 2
    assert set(problem.links.values_list("ticket_id", flat=True)) == {
        f.ticket_id for f in follow_ups
    }


def test_agents_cannot_open_from_follow_ups_and_bad_ids_are_a_400(client, ana, marta, follow_ups):
    client.force_login(ana)
    url = reverse("quality:problem_create")
    assert client.get(url, {"follow_ups": str(follow_ups[0].pk)}).status_code == 403
    client.force_login(marta)
    assert client.get(url, {"follow_ups": "1,abc"}).status_code == 400
    assert (
        client.get(url, {"follow_ups": ",".join(str(i) for i in range(1, 150))}).status_code == 400
    )


def test_a_driver_prefills_the_title_and_links_the_low_scores_of_its_segment(
    client, marta, ana, team_n1
):
    billing = CategoryFactory(name="Billing")
    now = timezone.now()
    low = resolved_ticket(agent=ana, team=team_n1, at=now - timedelta(days=2), csat=1)
    high = resolved_ticket(agent=ana, team=team_n1, at=now - timedelta(days=2), csat=5)
    detractor = resolved_ticket(agent=ana, team=team_n1, at=now - timedelta(days=2), nps=2)
    elsewhere = resolved_ticket(agent=ana, team=team_n1, at=now - timedelta(days=2), csat=1)
    from cases.models import Ticket

    Ticket.objects.filter(pk__in=[low.pk, high.pk, detractor.pk]).update(category=billing)
    start = (timezone.localdate() - timedelta(days=7)).isoformat()
    end = (timezone.localdate() + timedelta(days=1)).isoformat()
    client.force_login(marta)
    query = {
        "origin": "driver",
        "dimension": "category",
        "value": billing.pk,
        "from": start,
        "to": end,
    }
    page = client.get(reverse("quality:problem_create"), query)
    assert page.status_code == 200
    assert {t.pk for t in page.context["tickets"]} == {low.pk, detractor.pk}
    assert "Low scores" in page.context["form"].initial["title"]
    response = client.post(
        reverse("quality:problem_create"),
        {
            "title": page.context["form"].initial["title"],
            "tickets": page.context["ticket_ids"],
            "origin": "driver",
            "origin_json": page.context["origin_json"],
        },
    )
    assert response.status_code == 302
    problem = Problem.objects.get()
    assert problem.origin["kind"] == "driver" and problem.origin["value"] == str(billing.pk)
    assert set(ProblemTicket.objects.values_list("ticket_id", flat=True)) == {low.pk, detractor.pk}
    assert elsewhere.pk not in set(ProblemTicket.objects.values_list("ticket_id", flat=True))
    bad = {**query, "dimension": "shoe size"}
    assert client.get(reverse("quality:problem_create"), bad).status_code == 400
    bad = {**query, "from": "yesterday"}
    assert client.get(reverse("quality:problem_create"), bad).status_code == 400


def test_the_dashboard_section_ranks_open_problems_by_tickets_of_the_period(
    client, ana, marta, team_n1
):
    old = timezone.now() - timedelta(days=60)
    recent = problem_with(
        ana, [open_ticket(agent=ana, team=team_n1) for _ in range(2)], title="Recent"
    )
    busy_before = problem_with(
        ana,
        [open_ticket(agent=ana, team=team_n1, at=old) for _ in range(5)]
        + [open_ticket(agent=ana, team=team_n1)],
        title="Old",
    )
    fix(
        problem_with(ana, [open_ticket(agent=ana, team=team_n1) for _ in range(4)], title="Fixed"),
        marta,
    )
    client.force_login(marta)
    url = reverse("quality:dashboard_problems")
    fragment = client.get(url, {"period": "30"})
    assert fragment.status_code == 200
    ranked = fragment.context["problems"]
    assert [(p.pk, p.in_period) for p in ranked] == [(recent.pk, 2), (busy_before.pk, 1)]
    assert client.get(url, {"period": "custom", "from": "2026-13-01"}).status_code == 400
    client.force_login(ana)
    assert client.get(url).status_code == 403


NOT_FOUND, BAD, BAD_PERIOD = "Page not found", "Bad request", "Choose a valid period."


@pytest.mark.parametrize(
    ("name", "args", "query", "status", "shown"),
    [
        ("quality:problem_detail", ["P"], {"week": "9999-12-31"}, 404, NOT_FOUND),
        ("quality:problem_detail", ["P"], {"week": "2026-02-30"}, 404, NOT_FOUND),
        ("quality:problem_detail", [2**70], {}, 404, NOT_FOUND),
        ("quality:ticket_problems", [2**70], {}, 404, NOT_FOUND),
        ("quality:problem_edit", [2**70], {}, 404, NOT_FOUND),
        ("quality:dashboard_problems", [], {"period": "custom", "from": "0000-01-01"}, 400,
         BAD_PERIOD),
        ("quality:problem_create", [], {"origin": "driver", "dimension": "__class__"}, 400, BAD),
        ("quality:problem_create", [], {"tickets": "1,-2"}, 400, BAD),
    ],
)  # fmt: skip
def test_malformed_addresses_are_refused_saying_so(
    client, marta, ana, name, args, query, status, shown
):
    problem = problem_with(ana, [])
    client.force_login(marta)
    args = [problem.pk if a == "P" else a for a in args]
    response = client.get(reverse(name, args=args), query)
    assert response.status_code == status
    html = response.content.decode()
    assert shown in html
    assert "Blank invoices" not in html  # a refusal shows nothing of the problem


def test_a_forged_driver_origin_keeps_only_the_drivers_keys(client, marta):
    client.force_login(marta)
    origin = '{"kind": "driver", "dimension": "team", "evil": "x", "value": "' + "9" * 500 + '"}'
    response = client.post(
        reverse("quality:problem_create"),
        {"title": "Forged", "origin": "driver", "origin_json": origin},
    )
    assert response.status_code == 302
    stored = Problem.objects.get().origin
    assert set(stored) == {"kind", "dimension", "value"} and len(stored["value"]) == 100
    bad = client.post(
        reverse("quality:problem_create"),
        {"title": "Forged", "origin": "driver", "origin_json": "[1]"},
    )
    assert bad.status_code == 400


def test_the_history_words_statuses_and_fields_in_the_readers_language(client, marta):
    problem = problem_services.open_problem(by=marta, title="Toner")
    problem_services.update_problem(problem=problem, by=marta, status="fixed", fix_note="New.")
    client.force_login(marta)
    url = reverse("quality:problem_detail", args=[problem.pk])
    english = client.get(url).content.decode()
    assert "status Investigating → Fixed" in english
    assert "changed fix, fixed" in english  # the fields' labels, not fix_note, fixed_at
    spanish = client.get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Arreglado" in spanish and "investigating" not in spanish
