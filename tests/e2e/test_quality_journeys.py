"""Quality in headless Chromium (docs/quality.md): a reviewer scores an agent's ticket and the
agent reads the review; a problem is linked from a ticket page, fixed, and its bulk answer
reaches three customers, each in their language — no CSP violation, no console or script
error on the way."""

import re

import pytest
from django.core import mail

from cases.models import Language, OutboundEmail, Reply, Status
from cases.services import add_reply, resolve_ticket
from quality.models import Review, ReviewStatus
from quality.services import problems, reviews
from quality.services.reviews import CriterionData
from tests.e2e.test_csp import Visitor
from tests.factories import CustomerFactory, make_ticket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pulso-test"


def log_in(visitor: Visitor, username: str) -> None:
    visitor.visit("/accounts/login/")
    visitor.page.fill("#id_username", username)
    visitor.page.fill("#id_password", PASSWORD)
    visitor.page.click("button[type=submit]")
    visitor.page.wait_for_url(re.compile(r".*/tickets/.*"))
    visitor.page.wait_for_load_state("networkidle")
    visitor.settle()


def test_a_reviewer_scores_a_ticket_and_the_agent_reads_the_review(
    browser, live_server, ana, marta, team_n1, settings
):
    settings.DEBUG = False
    reviews.create_scorecard(
        by=marta,
        name="Conversation",
        criteria=[
            CriterionData("Tone", weight=1, max_score=5),
            CriterionData("Accuracy", weight=3, max_score=5, is_critical=True),
        ],
    )
    ticket = make_ticket(by=ana, team=team_n1, assignee=ana, subject="The invoice is wrong")
    answer = add_reply(ticket=ticket, by=ana, body="I corrected the invoice, here it is.")
    resolve_ticket(ticket=ticket, by=ana, resolution="Invoice corrected.")

    reviewer = Visitor(browser, live_server.url)
    log_in(reviewer, "marta")
    reviewer.visit(f"/tickets/{ticket.pk}/", wait_for=".quality-ticket-reviews")
    reviewer.page.get_by_role("link", name="Review this ticket").click()
    reviewer.page.wait_for_load_state("networkidle")
    reviewer.page.locator("form.review-start button").click()
    reviewer.page.wait_for_selector("form.review-form")
    criteria = reviewer.page.locator(".review-criterion select")
    assert criteria.count() == 2
    criteria.nth(0).select_option("4")  # Tone 4/5
    criteria.nth(1).select_option("5")  # Accuracy 5/5
    reviewer.page.locator(f".review-message[data-reply='{answer.pk}'] textarea").fill(
        "Clear, and the corrected invoice attached: well done."
    )
    reviewer.page.get_by_role("button", name="Complete the review").click()
    reviewer.page.wait_for_selector(".review-score")
    reviewer.settle()
    review = Review.objects.get(ticket=ticket)
    assert review.status == ReviewStatus.COMPLETED
    assert sorted(review.scores.values_list("criterion__name", "score")) == [
        ("Accuracy", 5),
        ("Tone", 4),
    ]
    comment = review.comments.get()  # on the message it was written against
    assert comment.reply_id == answer.pk and "well done" in comment.body
    # 100 × (1 × 4/5 + 3 × 5/5) / 4 = 95
    assert float(review.score or 0) == 95.0
    problems_seen = reviewer.close()

    agent = Visitor(browser, live_server.url)
    log_in(agent, "ana")
    agent.visit("/quality/reviews/mine/")
    agent.page.locator(f"a[href='/quality/reviews/{review.pk}/']").first.click()
    agent.page.wait_for_selector(".review-score")
    assert "95" in agent.page.locator(".review-score").inner_text()
    comment = agent.page.locator(f".review-message[data-reply='{answer.pk}'] .review-comment")
    assert "well done" in comment.inner_text()
    problems_seen += agent.close()
    assert not problems_seen, problems_seen


def test_a_fixed_problems_bulk_answer_reaches_three_customers(
    browser, live_server, ana, marta, team_n1, settings
):
    settings.DEBUG = False
    people = [
        CustomerFactory(name="Lucía", email="lucia@example.com", language=Language.SPANISH),
        CustomerFactory(name="Mateo", email="mateo@example.com", language=Language.SPANISH),
        CustomerFactory(name="James", email="james@example.com", language=Language.ENGLISH),
    ]
    tickets = [
        make_ticket(by=ana, customer=person, team=team_n1, assignee=ana, subject="Charged twice")
        for person in people
    ]
    problem = problems.open_problem(
        by=marta, title="Double charge in the app", ticket_ids=[t.pk for t in tickets[1:]]
    )

    # An agent links the first ticket from its page.
    agent = Visitor(browser, live_server.url)
    log_in(agent, "ana")
    agent.visit(f"/tickets/{tickets[0].pk}/", wait_for="#ticket-problems")
    agent.page.locator("#ticket-problem-choice").select_option(str(problem.pk))
    with agent.page.expect_response(lambda r: r.request.method == "POST"):
        agent.page.locator("#ticket-problems button[type=submit]").last.click()
    agent.page.locator(f"#ticket-problems [data-problem='{problem.pk}']").wait_for()
    agent.settle()
    found = agent.close()
    assert problem.links.count() == 3

    manager = Visitor(browser, live_server.url)
    log_in(manager, "marta")
    manager.visit(f"/quality/problems/{problem.pk}/edit/")
    manager.page.locator("#id_status").select_option("fixed")
    manager.page.locator("#id_fix_note").fill("The app waits for the gateway's confirmation.")
    manager.page.locator("form button[type=submit]").first.click()
    manager.page.wait_for_load_state("networkidle")
    problem.refresh_from_db()  # the form saved what was chosen and typed
    assert problem.status == "fixed" and problem.fix_note.startswith("The app waits")
    assert problem.fixed_at is not None
    manager.page.get_by_role("link", name="Answer the open tickets").click()
    manager.page.wait_for_load_state("networkidle")
    manager.page.locator("#id_message_es").fill("Ya corregimos el cobro doble: te devolvimos.")
    manager.page.locator("#id_message_en").fill("We fixed the double charge: you were refunded.")
    manager.page.get_by_role("button", name="Send").click()
    manager.page.locator("#bulk-results").get_by_text(re.compile("answered", re.I)).first.wait_for()
    manager.page.wait_for_load_state("networkidle")
    manager.settle()
    found += manager.close()
    assert not found, found

    for ticket, person in zip(tickets, people, strict=True):
        ticket.refresh_from_db()
        assert ticket.status == Status.RESOLVED, ticket.reference
        reply = Reply.objects.filter(ticket=ticket, public=True).latest("created_at")
        expected = "Ya corregimos" if person.language == Language.SPANISH else "We fixed"
        assert reply.body.startswith(expected), (person.name, reply.body)
    # Each customer is told: the reply goes out by e-mail to their address, in their words.
    sent = {message.to[0]: message.body for message in mail.outbox}
    for ticket, person in zip(tickets, people, strict=True):
        assert OutboundEmail.objects.filter(ticket=ticket, kind="agent_reply").exists()
        expected = "Ya corregimos" if person.language == Language.SPANISH else "We fixed"
        assert expected in sent[person.email], person.email
