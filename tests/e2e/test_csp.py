"""Every page type, as the role that uses it, in headless Chromium: no Content-Security-Policy
violation, no console error, no script error. The policy is strict (`script-src 'self'`,
`style-src 'self'`: no inline script, style element or style attribute), so anything inline
that slips into a template or a library shows here."""

import re

import pytest

from cases import demo
from cases.models import Customer, Ticket, User
from cases.services.inbound import ingest_email
from cases.services.notifications import issue_access_token
from insights.models import Theme
from insights.services.training import train_all
from quality.models import Problem, Review
from surveys import demo as survey_demo
from surveys.models import FollowUp, InvitationStatus, SurveyInvitation
from surveys.services import token_for
from tests.e2e.test_email_case import MESSAGE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Reported by the page itself: a securitypolicyviolation event is what the browser raises for
# every blocked script, style, image, frame, connection or eval — console or not.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} ` +
                    `at ${e.sourceFile || e.documentURI}:${e.lineNumber} ${e.sample || ""}`);
});
"""


class Visitor:
    """One browser context (one person's cookies) that collects every problem per page."""

    def __init__(self, browser, base_url: str, *, watch: bool = True):
        self.context = browser.new_context(locale="en-US", base_url=base_url)
        self.context.set_default_timeout(15_000)
        self.watch = watch
        if watch:  # a sandboxed document runs no script: its violations reach the console
            self.context.add_init_script(WATCH_CSP)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.expected_status: int = 200
        self.expected_url: str | None = None
        self.page.on("pageerror", lambda error: self._note(f"script error: {error}"))
        self.page.on("console", self._console)

    def _console(self, msg) -> None:
        if msg.type != "error":
            return
        # An error status the test asked for (the page's, or the htmx request's in
        # `expected_url`): the browser logs it anyway.
        if msg.text.startswith(
            f"Failed to load resource: the server responded with a status of {self.expected_status}"
        ) and msg.location.get("url") in (self.page.url, self.expected_url):
            return
        self._note(f"console error: {msg.text} ({msg.location.get('url')})")

    def _note(self, problem: str) -> None:
        self.problems.append(f"{self.page.url}: {problem}")

    def visit(self, path: str, *, status: int = 200, wait_for: str | None = None) -> None:
        self.expected_status = status
        response = self.page.goto(path)
        assert response is not None and response.status == status, (path, response.status)
        self.page.wait_for_load_state("networkidle")
        if wait_for:
            self.page.locator(wait_for).first.wait_for()
        self.settle()

    def settle(self) -> None:
        if not self.watch:
            return
        for violation in self.page.evaluate("window.__csp || []"):
            self._note(f"CSP violation: {violation}")
        self.page.evaluate("window.__csp = []")

    def log_in(self, username: str) -> None:
        self.visit("/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", demo.PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(re.compile(r".*/tickets/.*"))
        self.page.wait_for_load_state("networkidle")
        self.settle()

    def close(self) -> list[str]:
        self.settle()
        self.context.close()
        return self.problems


@pytest.fixture
def desk(db):
    demo.load_demo(tickets=120)
    survey_demo.load_survey_history(seed=demo.SEED)
    mailed = ingest_email(MESSAGE).ticket  # a customer's screenshot, shown inline
    Ticket.objects.filter(pk=mailed.pk).update(assignee=User.objects.get(username="agent"))
    return mailed


def test_no_page_breaks_the_content_security_policy(browser, live_server, desk, settings):
    settings.DEBUG = False
    mailed, screenshot = desk, desk.attachments.get(filename="error.png")
    ticket = (
        # one the agent can still answer (the demo's latest may be closed or merged that day)
        Ticket.objects.filter(assignee__username="agent", status__in=["new", "open", "pending"])
        .exclude(pk=mailed.pk)
        .order_by("-pk")
    ).first()
    customer = Customer.objects.filter(tickets=ticket).get()
    follow_up = FollowUp.objects.order_by("-pk").first()
    invitation = SurveyInvitation.objects.filter(status=InvitationStatus.SENT).first()
    user = User.objects.get(username="agent")
    review = Review.objects.filter(status="completed").order_by("pk").first()
    problem = Problem.objects.get(status="fixed")
    train_all()  # the ticket page's insights panels, the themes and the models pages
    theme = Theme.objects.order_by("pk").first()
    problems: list[str] = []

    agent = Visitor(browser, live_server.url)
    agent.log_in("agent")
    agent_cookies = agent.context.cookies()
    for path in (
        "/tickets/",
        "/tickets/?queue=teams&sort=deadline",
        f"/tickets/{ticket.pk}/",
        "/tickets/new/",
        "/customers/",
        f"/customers/{customer.pk}/",
        f"/customers/{customer.pk}/edit/",
        "/metrics/me/",
        "/surveys/responses/",
        "/accounts/preferences/",
        f"/tickets/{mailed.pk}/",
        "/quality/reviews/mine/",
        "/quality/coaching/me/",
        "/quality/problems/",
    ):
        agent.visit(path)
    agent.visit("/api/v1/docs/", wait_for=".swagger-ui .opblock")
    agent.visit("/surveys/follow-ups/", status=403)
    agent.visit("/no/such/page/", status=404)
    # A reply through htmx, and one refused (empty): the swapped fragments are checked too.
    agent.visit(f"/tickets/{ticket.pk}/")
    for body in ("Checking the policy.", ""):
        form = agent.page.locator("form[data-action=reply]")
        details = form.locator("xpath=ancestor::details[1]")
        if details.count() and not details.evaluate("el => el.open"):
            details.locator("summary").click()
        form.locator("[name=body]").fill(body)
        form.locator("[name=body]").evaluate("el => el.removeAttribute('required')")
        # Dragging the box's resize handle gives it a style attribute; the swap that answers
        # the reply must not copy it onto the new box (htmx settles class and size only).
        form.locator("[name=body]").evaluate("el => { el.style.height = '300px'; }")
        with agent.page.expect_response(lambda r: r.request.method == "POST"):
            agent.expected_status = 400 if not body else 200
            agent.expected_url = f"{live_server.url}/tickets/{ticket.pk}/reply/"
            form.locator("button[type=submit]").click()
        agent.page.wait_for_load_state("networkidle")
        agent.settle()
    problems += agent.close()

    # The screenshot opened in its own tab: the browser's image document (sandboxed).
    image_tab = Visitor(browser, live_server.url, watch=False)
    image_tab.context.add_cookies(agent_cookies)
    image_tab.visit(f"/tickets/{mailed.pk}/attachments/{screenshot.pk}/")
    assert image_tab.page.evaluate("document.images[0].naturalWidth") == 2
    problems += image_tab.close()

    manager = Visitor(browser, live_server.url)
    manager.log_in("manager")
    for path in (
        "/metrics/",
        "/metrics/?period=90",
        "/surveys/follow-ups/",
        f"/surveys/follow-ups/{follow_up.pk}/",
        "/surveys/responses/",
        f"/tickets/{ticket.pk}/",
        "/admin/",
        "/quality/reviews/todo/",
        "/quality/reviews/",
        "/quality/reviews/disputes/",
        f"/quality/reviews/{review.pk}/",
        "/quality/scorecards/",
        f"/quality/scorecards/{review.scorecard_version.scorecard_id}/edit/",
        "/quality/sampling/",
        "/quality/reviewers/",
        "/quality/coaching/",
        f"/quality/coaching/{user.pk}/",
        "/quality/problems/",
        f"/quality/problems/{problem.pk}/",
        "/insights/themes/",
        *([f"/insights/themes/{theme.pk}/"] if theme else []),
    ):
        manager.visit(path)
    manager.visit("/metrics/", wait_for="canvas")
    # The quality section's IQS-against-CSAT chart, drawn once htmx brings the section.
    manager.visit("/metrics/?period=90", wait_for=".dashboard-quality canvas[data-quality-drawn]")
    problems += manager.close()

    admin = Visitor(browser, live_server.url)
    admin.log_in("admin")
    for path in (
        "/admin/",
        "/admin/cases/ticket/",
        f"/admin/cases/ticket/{ticket.pk}/change/",
        "/admin/cases/user/",
        f"/admin/cases/user/{user.pk}/change/",
        "/admin/cases/user/add/",
        "/admin/cases/team/",
        "/admin/cases/businesscalendar/add/",
        "/admin/cases/slapolicy/add/",
        "/admin/surveys/surveyinvitation/",
        "/admin/cases/outboundemail/",
        f"/admin/cases/user/{user.pk}/password/",
        "/admin/password_change/",
        "/insights/models/",
    ):
        admin.visit(path)
    problems += admin.close()

    customer_browser = Visitor(browser, live_server.url)
    case_link = f"/support/c/{issue_access_token(mailed)}/"
    for path in (
        "/support/",
        case_link,
        f"/s/{token_for(invitation)}/",
        "/accounts/login/",
    ):
        customer_browser.visit(path)
    customer_browser.visit(f"/s/{token_for(invitation)}/?csat=2")
    customer_browser.page.click(".survey-submit")  # the thanks page
    customer_browser.page.wait_for_url(re.compile(r".*/thanks/$"))
    customer_browser.settle()
    customer_browser.visit(f"/s/{token_for(invitation)}/")  # already answered
    customer_browser.visit("/support/c/not-a-real-token/", status=404)
    # A web form over the size limit: the 413 page.
    customer_browser.visit("/support/")
    customer_browser.page.evaluate(
        "document.querySelector('#id_description').value = 'x'.repeat(3 * 1024 * 1024);"
        "document.querySelector('#id_description').form.noValidate = true"
    )
    customer_browser.expected_status = 413
    customer_browser.page.click("form button[type=submit]")
    customer_browser.page.get_by_text("Too large").first.wait_for()
    customer_browser.settle()
    # A form sent without its CSRF cookie: the expired-form page.
    customer_browser.context.clear_cookies()
    customer_browser.visit("/accounts/login/")
    customer_browser.context.clear_cookies()
    customer_browser.page.fill("#id_username", "agent")
    customer_browser.page.fill("#id_password", "wrong")
    customer_browser.expected_status = 403
    customer_browser.page.click("button[type=submit]")
    customer_browser.page.wait_for_load_state("networkidle")
    customer_browser.page.get_by_text("The form has expired").wait_for()
    customer_browser.settle()
    # Over the survey pages' rate: the 429 page.
    settings.SURVEY_RATE = "1/m"
    customer_browser.visit("/s/no-such-token/", status=404)
    customer_browser.visit("/s/no-such-token/", status=429)
    problems += customer_browser.close()

    # The 500 page, from a view that fails (DEBUG off, as in production).
    settings.ROOT_URLCONF = "tests.web.test_error_pages"
    failing = Visitor(browser, live_server.url)
    failing.visit("/boom/", status=500)
    problems += failing.close()

    assert settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"] == ["'self'"]
    assert not problems, "\n".join(problems)
