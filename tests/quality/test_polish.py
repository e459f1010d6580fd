"""What a browser walkthrough and a hostile review found in the quality pages: words that read
wrong in Spanish or English, panels out of style, dead ends, stuck reviews, a menu count that
disagreed with its list."""

import re

import pytest
from django.test import RequestFactory
from django.urls import reverse

from cases.models import Ticket
from quality.models import Review, ReviewStatus
from quality.selectors.reviews import todo_for
from quality.services import reviews as review_services
from quality.services.reviews import dispute_review, start_review
from quality.services.sampling import save_sampling_rule
from quality.templatetags.quality_menu import quality_menu
from tests.quality.problem_fixtures import fix, open_ticket, problem_with

from .conftest import completed_review, resolve

ES = {"HTTP_ACCEPT_LANGUAGE": "es"}


@pytest.fixture
def review(resolved, marta, scorecard):
    return completed_review(ticket=resolved, reviewer=marta, scorecard=scorecard, scores=[5, 3, 7])


@pytest.fixture
def draft(ana, team_n1, bruno_reviewer, scorecard):
    """Ana's resolved ticket, given to Bruno (a reviewer) to review: still to do."""
    ticket = resolve(agent=ana, team=team_n1)
    return start_review(ticket=ticket, by=bruno_reviewer, scorecard=scorecard)


# --- words -------------------------------------------------------------------------------------


def test_spanish_pages_do_not_reuse_words_of_another_sense(
    client, review, ana, marta, team_n1, scorecard
):
    """ "open" (a dispute) is not "abrir", the button "Link" is not the noun "Enlace", a single
    scorecard or rule is not "Activos", the period "Before" is not "Antes de"."""
    dispute_review(review=review, by=ana, reason="The tone was fine")
    save_sampling_rule(
        by=marta, scorecard_id=scorecard.pk, reviews_per_agent=2, mode="random", team_ids=[]
    )
    problem = fix(problem_with(ana, [open_ticket(agent=ana, team=team_n1)]), marta)
    client.force_login(marta)
    pages = {
        "review": client.get(reverse("quality:review", args=[review.pk]), **ES),
        "scorecards": client.get(reverse("quality:scorecards"), **ES),
        "sampling": client.get(reverse("quality:sampling"), **ES),
        "problem": client.get(reverse("quality:problem_detail", args=[problem.pk]), **ES),
        "panel": client.get(reverse("quality:ticket_problems", args=[review.ticket.pk]), **ES),
    }
    html = {name: page.content.decode() for name, page in pages.items()}
    assert all(page.status_code == 200 for page in pages.values())
    assert ">abrir<" not in html["review"]
    assert ">Activos<" not in html["scorecards"] and "<td>Activos</td>" not in html["sampling"]
    assert "Antes de" not in html["problem"]
    assert ">Enlace<" not in html["panel"]


def test_no_double_period_after_a_time(client, ana, marta, team_n1):
    problem = fix(problem_with(ana, [open_ticket(agent=ana, team=team_n1)]), marta)
    problem.owner = marta
    problem.save(update_fields=["owner"])
    client.force_login(marta)
    html = client.get(reverse("quality:problem_detail", args=[problem.pk])).content.decode()
    text = re.sub(r"<[^>]+>", " ", html)
    assert "Owner:" in text and "Fixed on" in text
    assert not re.search(r"(a\.m\.|p\.m\.|midnight|noon)\s*\.", text)


def test_the_to_do_list_has_the_menus_name(client, bruno_reviewer):
    client.force_login(bruno_reviewer)
    html = client.get(reverse("quality:todo")).content.decode()
    assert "Reviews to do" in html and "To review" not in html


# --- the ticket page's panels --------------------------------------------------------------------


def test_the_ticket_reviews_panel_is_a_card_like_the_problems_panel(client, review, marta):
    client.force_login(marta)
    html = client.get(reverse("quality:ticket_reviews", args=[review.ticket.pk])).content.decode()
    assert '<section class="card mb-3 quality-ticket-reviews"' in html
    assert '<div class="card-body">' in html


def test_the_problems_panel_without_open_problems_offers_to_open_one(client, ana, marta, team_n1):
    ticket = open_ticket(agent=ana, team=team_n1)
    client.force_login(ana)
    url = reverse("quality:ticket_problems", args=[ticket.pk])
    html = client.get(url).content.decode()
    assert "No open problem yet." in html
    assert f"{reverse('quality:problem_create')}?tickets={ticket.pk}" in html
    assert 'name="problem"' not in html  # no select that offers only "—"

    problem_with(ana, [open_ticket(agent=ana, team=team_n1)], title="Blank invoices")
    html = client.get(url).content.decode()
    assert "No open problem yet." not in html
    assert 'name="problem"' in html and "Blank invoices" in html


# --- lists and the dashboard ------------------------------------------------------------------


def test_the_disputes_list_marks_a_critical_failure(client, resolved, ana, marta, scorecard):
    failed = completed_review(
        ticket=resolved, reviewer=marta, scorecard=scorecard, scores=[5, 5, 0]
    )
    assert failed.critical_failed
    dispute_review(review=failed, by=ana, reason="Accuracy was fine")
    client.force_login(marta)
    html = client.get(reverse("quality:disputes")).content.decode()
    row = html[html.index(failed.ticket.reference) :]
    assert re.search(r"0\.00 <span class=\"badge text-bg-danger\">critical</span>", row)


def test_the_dashboard_writes_iqs_and_csat_with_one_decimal(client, marta, ana, team_n1, scorecard):
    ticket = resolve(agent=ana, team=team_n1, csat=5)
    completed_review(ticket=ticket, reviewer=marta, scorecard=scorecard, scores=[5, 3, 7])  # 71.67
    client.force_login(marta)
    html = client.get(reverse("quality:dashboard_section") + "?period=30").content.decode()
    table = html[html.index("quality-agents") :]
    assert re.search(r">71\.7(?!\d)", table) and "71.67" not in table
    assert re.search(r">100\.0 %", table)
    assert re.search(r'fs-3 fw-semibold">71\.7<', html)  # the desk's IQS too


# --- a review that cannot be done by whom it was given to -------------------------------------


def test_a_manager_reassigns_a_review_to_do(client, draft, marta, adrian, ana, bruno):
    client.force_login(marta)
    page = client.get(reverse("quality:review", args=[draft.pk])).content.decode()
    assert reverse("quality:review_reassign", args=[draft.pk]) in page
    assert reverse("quality:review_remove", args=[draft.pk]) in page
    url = reverse("quality:review_reassign", args=[draft.pk])
    form = client.get(url).content.decode()
    assert f'value="{adrian.pk}"' in form
    assert f'value="{ana.pk}"' not in form  # the reviewed agent is not offered
    assert f'value="{bruno.pk}"' not in form  # nor whom it is with now
    response = client.post(url, {"reviewer": adrian.pk})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.reviewer_id == adrian.pk and draft.status == ReviewStatus.ASSIGNED


def test_a_review_is_never_reassigned_to_its_agent(client, draft, marta, ana):
    client.force_login(marta)
    response = client.post(
        reverse("quality:review_reassign", args=[draft.pk]), {"reviewer": ana.pk}
    )
    assert response.status_code == 400
    with pytest.raises(review_services.QualityError) as refused:
        review_services.reassign_review(review=draft, by=marta, reviewer=ana)
    assert refused.value.field == "reviewer"
    draft.refresh_from_db()
    assert draft.reviewer.username == "bruno"


def test_agents_and_reviewers_cannot_reassign_or_remove(client, draft, ana, bruno_reviewer, marta):
    for person in (ana, bruno_reviewer):
        client.force_login(person)
        for name in ("quality:review_reassign", "quality:review_remove"):
            url = reverse(name, args=[draft.pk])
            assert client.get(url).status_code == 403
            assert client.post(url, {"reviewer": marta.pk}).status_code == 403
        page = client.get(reverse("quality:review", args=[draft.pk]))
        assert reverse("quality:review_remove", args=[draft.pk]) not in page.content.decode()
    with pytest.raises(review_services.QualityPermissionDenied):
        review_services.reassign_review(review=draft, by=bruno_reviewer, reviewer=marta)
    draft.refresh_from_db()
    assert draft.reviewer_id == bruno_reviewer.pk


def test_a_manager_removes_a_review_to_do_after_confirming(client, draft, marta):
    client.force_login(marta)
    url = reverse("quality:review_remove", args=[draft.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and 'class="d-flex gap-2 review-remove"' in (
        confirm.content.decode()
    )
    assert Review.objects.filter(pk=draft.pk).exists()  # a GET removes nothing
    response = client.post(url)
    assert response.status_code == 302 and response.url == reverse("quality:reviews")
    assert not Review.objects.filter(pk=draft.pk).exists()


def test_a_completed_review_is_neither_removed_nor_reassigned(client, review, marta, adrian):
    client.force_login(marta)
    page = client.get(reverse("quality:review", args=[review.pk])).content.decode()
    assert "review-manage" not in page
    for name, data in (("quality:review_remove", {}), ("quality:review_reassign", {})):
        url = reverse(name, args=[review.pk])
        assert client.get(url).status_code == 400
        assert client.post(url, data | {"reviewer": adrian.pk}).status_code == 400
    review.refresh_from_db()
    assert review.status == ReviewStatus.COMPLETED and review.reviewer_id == marta.pk


# --- the menu's count ---------------------------------------------------------------------------


def _menu(user):
    request = RequestFactory().get("/")
    request.user = user
    return quality_menu({"request": request})


def test_the_menus_count_matches_the_to_do_list(client, draft, bruno_reviewer, team_n2):
    assert _menu(bruno_reviewer).todo == 1 == todo_for(bruno_reviewer).count()
    # The ticket moves to a team Bruno is not in: it leaves his list, and the count with it.
    Ticket.objects.filter(pk=draft.ticket_id).update(team=team_n2)
    assert todo_for(bruno_reviewer).count() == 0
    assert _menu(bruno_reviewer).todo == 0
    client.force_login(bruno_reviewer)
    assert draft.ticket.reference not in client.get(reverse("quality:todo")).content.decode()
