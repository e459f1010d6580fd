"""The bulk answer of a fixed problem: each open ticket answered in its customer's language and
resolved, each in its own transaction; refusals listed with their reason; a rerun answers
nobody twice."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from cases import services as case_services
from cases.errors import TransitionError
from cases.models import Reply, Status
from quality.errors import QualityError, QualityPermissionDenied
from quality.models import ProblemBulkAnswer, ProblemEvent
from quality.models_problems import result_reason
from quality.services import problems as problem_services
from quality.services.problems import run_bulk_answer, start_bulk_answer
from quality.tasks_problems import sweep_bulk_answers
from tests.quality.problem_fixtures import fix, open_ticket, problem_with

ES = "Ya está arreglado: vuelve a descargar la factura."
EN = "It is fixed: download the invoice again."


@pytest.fixture
def desk(ana, team_n1, marta):
    """Three open tickets (es, en, es), one that will fail, one already resolved."""
    tickets = {
        "lucia": open_ticket(agent=ana, team=team_n1, language="es"),
        "john": open_ticket(agent=ana, team=team_n1, language="en"),
        "pilar": open_ticket(agent=ana, team=team_n1, language="es"),
        "failing": open_ticket(agent=ana, team=team_n1, language="en"),
        "done": open_ticket(agent=ana, team=team_n1, language="es"),
    }
    case_services.resolve_ticket(ticket=tickets["done"], by=ana, resolution="Workaround sent")
    problem = fix(problem_with(ana, list(tickets.values())), marta)
    return problem, tickets


@pytest.fixture
def failing_resolve(monkeypatch, desk):
    """The cases service refuses to resolve one ticket (as if it had changed meanwhile)."""
    _problem, tickets = desk
    real = problem_services.resolve_ticket

    def resolve(*, ticket, **kwargs):
        if ticket.pk == tickets["failing"].pk:
            raise TransitionError("Someone else changed this ticket.", status=ticket.status)
        return real(ticket=ticket, **kwargs)

    monkeypatch.setattr(problem_services, "resolve_ticket", resolve)


def _bodies(ticket):
    return list(Reply.objects.filter(ticket=ticket, public=True).values_list("body", flat=True))


def test_each_open_ticket_is_answered_in_its_customers_language_and_resolved(
    desk, marta, failing_resolve
):
    problem, tickets = desk
    bulk = start_bulk_answer(problem=problem, by=marta, message_es=ES, message_en=EN)
    bulk = run_bulk_answer(bulk_answer_id=bulk.pk)

    for name, message in (("lucia", ES), ("john", EN), ("pilar", ES)):
        ticket = tickets[name]
        ticket.refresh_from_db()
        assert ticket.customer.language == ("en" if name == "john" else "es")
        assert _bodies(ticket)[-1] == message
        assert ticket.status == Status.RESOLVED
        assert ticket.resolution == message
    outcomes = {r["ticket"]: r for r in bulk.results}
    assert {outcomes[tickets[n].pk]["outcome"] for n in ("lucia", "john", "pilar")} == {"answered"}
    assert outcomes[tickets["john"].pk]["language"] == "en"
    assert bulk.finished_at is not None


def test_a_refused_ticket_is_listed_with_its_reason_and_left_unchanged(
    desk, marta, failing_resolve
):
    problem, tickets = desk
    failing = tickets["failing"]
    replies_before = _bodies(failing)
    bulk = start_bulk_answer(problem=problem, by=marta, message_es=ES, message_en=EN)
    bulk = run_bulk_answer(bulk_answer_id=bulk.pk)

    refused = [r for r in bulk.results if r["outcome"] == "refused"]
    assert [r["ticket"] for r in refused] == [failing.pk]
    assert refused[0]["reason"] == "Someone else changed this ticket."
    failing.refresh_from_db()
    assert failing.status == Status.OPEN
    assert _bodies(failing) == replies_before  # its reply rolled back with the refusal
    skipped = [r for r in bulk.results if r["outcome"] == "skipped"]
    assert [r["ticket"] for r in skipped] == [tickets["done"].pk]
    assert skipped[0]["code"] == "already" and skipped[0]["status"] == Status.RESOLVED
    assert bulk.worded_results()[-1]["reason"] == "Already resolved."
    assert _bodies(tickets["done"]) == ["Looking into it."]
    event = ProblemEvent.objects.get(problem=problem, kind="bulk_answered")
    assert event.data["answered"] == 3 and event.data["refused"] == 1


def test_the_reasons_are_worded_in_the_readers_language_not_the_workers(
    client, desk, marta, settings
):
    """The worker runs in Spanish; the manager reads the results in English, and the other way."""
    problem, tickets = desk
    bulk = start_bulk_answer(problem=problem, by=marta, message_es=ES, message_en=EN)
    with translation.override("es"):
        run_bulk_answer(bulk_answer_id=bulk.pk)
    client.force_login(marta)
    url = reverse("quality:bulk_answer_results", args=[problem.pk, bulk.pk])
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Already resolved." in english
    assert "Resuelto" not in english and "resuelto" not in english
    api = client.get(
        reverse("quality-api:quality-problem-bulk-answer", args=[problem.pk, bulk.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    ).json()
    assert {r["reason"] for r in api["results"] if r["outcome"] == "skipped"} == {
        "Already resolved."
    }
    with translation.override("es"):
        assert (
            "Ya en estado resuelto." in client.get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()
        )


def test_older_results_stored_in_words_stay_readable(client, desk, marta):
    problem, tickets = desk
    bulk = ProblemBulkAnswer.objects.create(
        problem=problem,
        by=marta,
        message_es=ES,
        finished_at=timezone.now(),
        results=[
            {
                "ticket": tickets["done"].pk,
                "reference": tickets["done"].reference,
                "outcome": "skipped",
                "reason": "Already Cerrado.",
            }
        ],
    )
    client.force_login(marta)
    html = client.get(reverse("quality:bulk_answer_results", args=[problem.pk, bulk.pk])).content
    assert "Already Cerrado." in html.decode()


def test_a_ticket_that_left_the_open_statuses_meanwhile_is_worded_when_read():
    row = {"ticket": 1, "reference": "PUL-1", "outcome": "refused", "reason": ""}
    with translation.override("en"):
        assert result_reason({**row, "code": "not_open_now", "status": "closed"}) == (
            "It is closed now: nothing sent."
        )
        assert result_reason({**row, "code": "error"}).startswith("It could not be answered")
    with translation.override("es"):
        assert result_reason({**row, "code": "already", "status": "closed"}) == (
            "Ya en estado cerrado."
        )


def test_a_rerun_answers_nobody_twice(desk, marta):
    problem, tickets = desk
    bulk = start_bulk_answer(problem=problem, by=marta, message_es=ES, message_en=EN, resolve=False)
    run_bulk_answer(bulk_answer_id=bulk.pk, limit=2)  # a worker dies after two tickets
    bulk.refresh_from_db()
    assert bulk.finished_at is None and len(bulk.results) == 2

    run_bulk_answer(bulk_answer_id=bulk.pk)
    ProblemBulkAnswer.objects.filter(pk=bulk.pk).update(finished_at=None)  # redelivered
    bulk = run_bulk_answer(bulk_answer_id=bulk.pk)

    for name in ("lucia", "john", "pilar", "failing"):
        sent = [b for b in _bodies(tickets[name]) if b in (ES, EN)]
        assert len(sent) == 1, name
        tickets[name].refresh_from_db()
        assert tickets[name].status == Status.OPEN  # resolve=False
    assert len(bulk.results) == 5


def test_a_blank_language_gets_the_other_message(desk, marta):
    problem, tickets = desk
    bulk = start_bulk_answer(problem=problem, by=marta, message_es=ES, message_en="")
    run_bulk_answer(bulk_answer_id=bulk.pk)
    assert _bodies(tickets["john"])[-1] == ES


def test_only_a_fixed_problem_is_answered_and_only_by_a_manager(ana, team_n1, marta):
    problem = problem_with(ana, [open_ticket(agent=ana, team=team_n1)])
    with pytest.raises(QualityError) as refused:
        start_bulk_answer(problem=problem, by=marta, message_es=ES, message_en=EN)
    assert refused.value.code == "conflict"
    fix(problem, marta)
    with pytest.raises(QualityPermissionDenied) as refused:
        start_bulk_answer(problem=problem, by=ana, message_es=ES, message_en=EN)
    assert refused.value.code == "forbidden"
    with pytest.raises(QualityError) as refused:
        start_bulk_answer(problem=problem, by=marta, message_es=" ", message_en="")
    assert refused.value.field == "message_es"
    assert not ProblemBulkAnswer.objects.exists()


def test_the_page_sends_through_the_task_and_shows_the_results(
    client, desk, marta, failing_resolve, django_capture_on_commit_callbacks
):
    problem, tickets = desk
    client.force_login(marta)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("quality:bulk_answer_create", args=[problem.pk]),
            {"message_es": ES, "message_en": EN, "resolve": "on"},
        )
    bulk = ProblemBulkAnswer.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("quality:bulk_answer_detail", args=[problem.pk, bulk.pk])
    page = client.get(response.url)
    html = page.content.decode()
    assert "data-finished" in html
    assert "hx-trigger" not in html  # finished: no more polling
    assert tickets["failing"].reference in html
    assert "Someone else changed this ticket." in html
    tickets["john"].refresh_from_db()
    assert tickets["john"].status == Status.RESOLVED


def test_an_unfinished_answer_polls(client, desk, marta):
    problem, tickets = desk
    bulk = ProblemBulkAnswer.objects.create(problem=problem, by=marta, message_es=ES)
    client.force_login(marta)
    html = client.get(reverse("quality:bulk_answer_detail", args=[problem.pk, bulk.pk])).content
    assert b'hx-trigger="every 2s"' in html
    poll = reverse("quality:bulk_answer_results", args=[problem.pk, bulk.pk])
    fragment = client.get(poll)
    assert fragment.status_code == 200
    part = fragment.content.decode()
    assert f'hx-get="{poll}" hx-trigger="every 2s"' in part  # it keeps polling itself
    assert "Sending… this page updates by itself." in part and "data-finished" not in part
    assert "Answered (0)" in part and "None yet" in part
    assert _bodies(tickets["lucia"]) == ["Looking into it."]  # reading the results sends nothing


def test_agents_cannot_open_the_bulk_answer(client, desk, ana):
    problem, _tickets = desk
    client.force_login(ana)
    assert client.get(reverse("quality:bulk_answer_create", args=[problem.pk])).status_code == 403


def test_a_huge_message_is_refused_with_the_form_kept(client, desk, marta):
    problem, _tickets = desk
    client.force_login(marta)
    response = client.post(
        reverse("quality:bulk_answer_create", args=[problem.pk]),
        {"message_es": "x" * 10_001, "message_en": EN},
    )
    assert response.status_code == 400
    assert EN in response.content.decode()
    assert not ProblemBulkAnswer.objects.exists()


def test_a_second_bulk_answer_waits_for_the_first_to_finish(desk, marta):
    problem, _tickets = desk
    first = start_bulk_answer(problem=problem, by=marta, message_es=ES, message_en=EN)
    with pytest.raises(QualityError) as refused:
        start_bulk_answer(problem=problem, by=marta, message_es=ES, message_en=EN)
    assert refused.value.code == "conflict"
    run_bulk_answer(bulk_answer_id=first.pk)
    start_bulk_answer(problem=problem, by=marta, message_es=ES, message_en=EN)
    assert ProblemBulkAnswer.objects.count() == 2


def test_the_sweep_finishes_a_bulk_answer_whose_task_was_lost(desk, marta):
    problem, tickets = desk
    bulk = start_bulk_answer(problem=problem, by=marta, message_es=ES, message_en=EN)
    assert sweep_bulk_answers() == 0  # just started: its own task may still come
    ProblemBulkAnswer.objects.filter(pk=bulk.pk).update(at=timezone.now() - timedelta(minutes=6))
    assert sweep_bulk_answers() == 1  # eager in tests: sent at once
    bulk.refresh_from_db()
    assert bulk.finished_at is not None
    assert _bodies(tickets["lucia"])[-1] == ES
