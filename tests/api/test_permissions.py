"""Who may call what: every API URL and method × every role × own/foreign ticket.

Roles: anonymous; `nobody`, logged in without a role; `agent_a` (Ana, Soporte N1, the team
owning ticket A); `agent_b` (Carla, Soporte N2, owning ticket B); `manager`; `admin`. Every
role authenticates with a knox token, as API clients do. A refused call writes nothing.

`test_every_api_url_and_method_is_in_the_matrix` fails when a URL or method is added without
a row here."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from knox.models import AuthToken

from cases import services
from cases.models import (
    Attachment,
    Customer,
    CustomerAddress,
    CustomerMerge,
    Organisation,
    Reply,
    SavedView,
    Status,
    Ticket,
    TicketEvent,
)
from cases.selectors import api_token_id
from insights.models import AppliedSuggestion
from insights.models_themes import Theme
from knowledge import services as knowledge_services
from knowledge.models import Article, ArticleVersion, Category, Section
from quality.models_coaching import CoachingGoal, CoachingSession
from quality.models_problems import (
    Problem,
    ProblemBulkAnswer,
    ProblemEvent,
    ProblemFollowUp,
    ProblemTicket,
)
from quality.models_reviews import (
    Dispute,
    Review,
    ReviewComment,
    ReviewScore,
    ScorecardVersion,
)
from quality.services import coaching as coaching_services
from quality.services import problems as problem_services
from quality.services import reviews as review_services
from quality.services.reviews import CriterionData, ScoreData
from surveys.models import SurveyInvitation
from surveys.services import answer_survey, token_for
from tests.factories import (
    AgentFactory,
    CustomerFactory,
    ManagerFactory,
    TeamFactory,
    UserFactory,
    make_ticket,
)
from tests.insights.theme_desk import theme_in_use

from .helpers import bring_to, token_client, url

ROLES = ("anonymous", "nobody", "agent_a", "agent_b", "manager", "admin")


def own_team_ticket(w, role):
    """A new ticket of the caller's team (Carla's for agent_b, Ana's otherwise)."""
    agent = "agent_b" if role == "agent_b" else "agent_a"
    return make_ticket(by=w["users"][agent], team=w["team_b" if agent == "agent_b" else "team_a"])


# The status each action needs to succeed, and the body it sends.
NEEDS = {
    "ticket-pending": Status.OPEN,
    "ticket-resume": Status.PENDING,
    "ticket-resolve": Status.OPEN,
    "ticket-reopen": Status.RESOLVED,
    "ticket-close": Status.RESOLVED,
}
BODIES = {
    ("auth-token", "POST"): lambda w, role: {
        "username": w["users"][role].username if role != "anonymous" else "ghost",
        "password": "pulso-test",
    },
    ("ticket-list", "POST"): lambda w, role: {
        "subject": "Printer",
        "description": "Jammed",
        "channel": "phone",
        "team": w["team_a"].pk,
        "customer": {"email": "new@example.com"},
    },  # fmt: skip
    ("ticket-detail", "PATCH"): lambda w, role: {"priority": "high"},
    ("ticket-assign", "POST"): lambda w, role: {"auto": True},
    ("ticket-replies", "POST"): lambda w, role: {"body": "Hello"},
    ("ticket-escalate", "POST"): lambda w, role: {"reason": "Needs a specialist"},
    ("ticket-resolve", "POST"): lambda w, role: {"resolution": "Replaced it"},
    ("ticket-reopen", "POST"): lambda w, role: {"reason": "Broke again"},
    ("ticket-tags", "POST"): lambda w, role: {"add": ["vip"]},
    # another ticket the caller can see: one of their own team's
    ("ticket-related", "POST"): lambda w, role: {"ticket": own_team_ticket(w, role).pk},
    # the ticket the caller merges into: one of their own team's
    ("ticket-followers", "POST"): lambda w, role: {"email": "jefa@empresa.example"},
    ("ticket-merge", "POST"): lambda w, role: {
        "into": own_team_ticket(w, role).pk,
        "confirm_other_customer": True,  # each made-up ticket has its own customer
    },
    # a bulk action over one ticket of the caller's team (refusals are reported, as 200)
    ("ticket-bulk", "POST"): lambda w, role: {
        "action": "priority",
        "priority": "high",
        "tickets": [{"id": own_team_ticket(w, role).pk}],
    },
    ("customer-list", "POST"): lambda w, role: {"email": "pedro@example.com"},
    ("customer-detail", "PATCH"): lambda w, role: {"phone": "555-0101"},
    ("customer-addresses", "POST"): lambda w, role: {"email": "lucia@trabajo.example"},
    # a fresh duplicate each time: the kept customer is the URL's
    ("customer-merge", "POST"): lambda w, role: {"duplicate": CustomerFactory.create().pk},
    ("organisation-list", "POST"): lambda w, role: {"name": "Globex", "domains": ["globex.com"]},
    ("organisation-detail", "PATCH"): lambda w, role: {"notes": "Mayorista"},
    ("saved-view-list", "POST"): lambda w, role: {"name": "Urgentes", "query": "priority=urgent"},
    ("saved-view-detail", "PATCH"): lambda w, role: {"name": "Renombrada"},
    ("survey-answer", "POST"): lambda w, role: {"csat": 5, "nps": 9},
    ("follow-up-detail", "PATCH"): lambda w, role: {"status": "contacted"},
    # GET: sent as the query string
    ("metrics-timeseries", "GET"): lambda w, role: {"kpi": "volume", "interval": "week"},
    ("metrics-breakdown", "GET"): lambda w, role: {"kpi": "csat", "by": "team"},
    ("metrics-explain", "GET"): lambda w, role: {"kpi": "csat"},
    ("knowledge-article-list", "POST"): lambda w, role: {
        "section": help_section(w).pk,
        "title_es": "Nuevo",
    },
    ("knowledge-article-detail", "PATCH"): lambda w, role: {"title_es": "Cambiado"},
    ("knowledge-article-status", "POST"): lambda w, role: {"status": "published"},
    # quality (docs/quality.md): the objects are quality_target's
    ("quality-scorecard-list", "POST"): lambda w, role: {
        "name": "Llamadas",
        "criteria": [{"name": "Saludo", "weight": 1, "max_score": 5}],
    },
    ("quality-scorecard-versions", "POST"): lambda w, role: {
        "name": "Conversación",
        "criteria": [{"name": "Tono", "weight": 2, "max_score": 5}],
        "note": "Más peso al tono",
    },
    # a ticket of Ana's team assigned to her: managers and admins review it
    ("quality-review-list", "POST"): lambda w, role: {
        "ticket": ana_ticket(w).pk,
        "scorecard": scorecard(w).pk,
    },
    ("quality-review-score", "POST"): lambda w, role: {
        "scores": [{"criterion": w["criterion"].pk, "score": 4}],
        "summary": "Bien resuelto",
        "comments": [{"body": "Buen saludo"}],
        "complete": True,
    },
    ("quality-review-dispute", "POST"): lambda w, role: {"reason": "El cliente me dio las gracias"},
    ("quality-review-settle", "POST"): lambda w, role: {
        "outcome": "rejected",
        "note": "Se mantiene",
    },
    ("quality-coaching-session-list", "POST"): lambda w, role: {
        "agent": w["users"]["agent_a"].pk,
        "held_on": "2026-03-01",
        "notes": "x",
    },
    ("quality-coaching-session-detail", "PATCH"): lambda w, role: {"notes": "Corregido"},
    ("quality-coaching-goal-list", "POST"): lambda w, role: {
        "agent": w["users"]["agent_a"].pk,
        "kpi": "csat",
        "comparison": "at_least",
        "target": 80,
        "starts_on": "2026-03-01",
        "due_on": "2026-03-31",
    },
    ("quality-coaching-goal-detail", "PATCH"): lambda w, role: {"target": 85},
    ("quality-problem-list", "POST"): lambda w, role: {"title": "Facturas en blanco"},
    ("quality-problem-detail", "PATCH"): lambda w, role: {"title": "Cambiado"},
    # a new ticket of Ana's, not linked yet: a call wrongly let through would link it. Carla
    # cannot see it, it comes back to her in `not_visible`
    ("quality-problem-tickets", "POST"): lambda w, role: {"tickets": [new_ana_ticket(w).pk]},
    ("quality-problem-follow-ups", "POST"): lambda w, role: {"follow_ups": [w["fu"].pk]},
    ("quality-problem-bulk-answers", "POST"): lambda w, role: {"message_es": "Arreglado"},
    ("insights-triage-accept", "POST"): lambda w, role: {"field": "priority", "value": "high"},
    ("insights-theme", "PATCH"): lambda w, role: {"name": "Esperas"},
}

# fmt: off
MATRIX = [
    # url name           method   object  anon  nobody agent_a agent_b manager admin
    ("api-schema",       "GET",   None,   200,  200,   200,    200,    200,    200),
    ("api-docs",         "GET",   None,   200,  200,   200,    200,    200,    200),
    ("auth-token",       "POST",  None,   400,  403,   200,    200,    200,    200),
    ("auth-logout",      "POST",  None,   401,  204,   204,    204,    204,    204),
    ("auth-logout-all",  "POST",  None,   401,  204,   204,    204,    204,    204),
    ("auth-token-refresh", "POST", None,  401,  403,   200,    200,    200,    200),
    ("auth-tokens",      "GET",   None,   401,  403,   200,    200,    200,    200),
    # one of Ana's tokens: only Ana revokes it, anyone else's call is a 404
    ("auth-token-detail", "DELETE", "tokA", 401, 403,  204,    404,    404,    404),
    ("me",               "GET",   None,   401,  403,   200,    200,    200,    200),
    ("agent-list",       "GET",   None,   401,  403,   200,    200,    200,    200),
    ("team-list",        "GET",   None,   401,  403,   200,    200,    200,    200),
    ("category-list",    "GET",   None,   401,  403,   200,    200,    200,    200),
    ("customer-list",    "GET",   None,   401,  403,   200,    200,    200,    200),
    ("customer-list",    "POST",  None,   401,  403,   201,    201,    201,    201),
    ("customer-detail",  "GET",   "cust", 401,  403,   200,    200,    200,    200),
    ("customer-detail",  "PATCH", "cust", 401,  403,   200,    200,    200,    200),
    # a customer with no case yet: any agent may edit them (services/customers.py)
    ("customer-addresses", "POST", "cust", 401, 403,   201,    201,    201,    201),
    ("customer-address", "DELETE", "addr", 401, 403,   204,    204,    204,    204),
    # merging records and editing organisations: managers' and admins' (docs/customers.md)
    ("customer-merge",   "POST",  "cust", 401,  403,   403,    403,    200,    200),
    ("organisation-list", "GET",  None,   401,  403,   200,    200,    200,    200),
    ("organisation-list", "POST", None,   401,  403,   403,    403,    201,    201),
    ("organisation-detail", "GET", "org", 401,  403,   200,    200,    200,    200),
    ("organisation-detail", "PATCH", "org", 401, 403,  403,    403,    200,    200),
    ("ticket-list",      "GET",   None,   401,  403,   200,    200,    200,    200),
    ("ticket-list",      "POST",  None,   401,  403,   201,    201,    201,    201),
    ("ticket-detail",    "GET",   "A",    401,  403,   200,    404,    200,    200),
    ("ticket-detail",    "GET",   "B",    401,  403,   404,    200,    200,    200),
    ("ticket-detail",    "PATCH", "A",    401,  403,   200,    404,    200,    200),
    ("ticket-detail",    "PATCH", "B",    401,  403,   404,    200,    200,    200),
    ("ticket-assign",    "POST",  "A",    401,  403,   200,    404,    200,    200),
    ("ticket-assign",    "POST",  "B",    401,  403,   404,    200,    200,    200),
    ("ticket-replies",   "GET",   "A",    401,  403,   200,    404,    200,    200),
    ("ticket-replies",   "GET",   "B",    401,  403,   404,    200,    200,    200),
    ("ticket-replies",   "POST",  "A",    401,  403,   201,    404,    201,    201),
    ("ticket-replies",   "POST",  "B",    401,  403,   404,    201,    201,    201),
    ("ticket-events",    "GET",   "A",    401,  403,   200,    404,    200,    200),
    ("ticket-events",    "GET",   "B",    401,  403,   404,    200,    200,    200),
    ("ticket-escalate",  "POST",  "A",    401,  403,   200,    404,    200,    200),
    ("ticket-escalate",  "POST",  "B",    401,  403,   404,    200,    200,    200),
    ("ticket-pending",   "POST",  "A",    401,  403,   200,    404,    200,    200),
    ("ticket-pending",   "POST",  "B",    401,  403,   404,    200,    200,    200),
    ("ticket-resume",    "POST",  "A",    401,  403,   200,    404,    200,    200),
    ("ticket-resume",    "POST",  "B",    401,  403,   404,    200,    200,    200),
    ("ticket-resolve",   "POST",  "A",    401,  403,   200,    404,    200,    200),
    ("ticket-resolve",   "POST",  "B",    401,  403,   404,    200,    200,    200),
    ("ticket-reopen",    "POST",  "A",    401,  403,   200,    404,    200,    200),
    ("ticket-reopen",    "POST",  "B",    401,  403,   404,    200,    200,    200),
    ("ticket-close",     "POST",  "A",    401,  403,   200,    404,    200,    200),
    ("ticket-close",     "POST",  "B",    401,  403,   404,    200,    200,    200),
    ("ticket-tags",      "POST",  "A",    401,  403,   200,    404,    200,    200),
    ("ticket-tags",      "POST",  "B",    401,  403,   404,    200,    200,    200),
    ("ticket-related",   "GET",   "A",    401,  403,   200,    404,    200,    200),
    ("ticket-related",   "GET",   "B",    401,  403,   404,    200,    200,    200),
    ("ticket-related",   "POST",  "A",    401,  403,   201,    404,    201,    201),
    ("ticket-related",   "POST",  "B",    401,  403,   404,    201,    201,    201),
    ("ticket-merge",     "POST",  "A",    401,  403,   200,    404,    200,    200),
    ("ticket-merge",     "POST",  "B",    401,  403,   404,    200,    200,    200),
    ("ticket-bulk",      "POST",  None,   401,  403,   200,    200,    200,    200),
    ("ticket-followers", "GET",   "A",    401,  403,   200,    404,    200,    200),
    ("ticket-followers", "GET",   "B",    401,  403,   404,    200,    200,    200),
    ("ticket-followers", "POST",  "A",    401,  403,   201,    404,    201,    201),
    ("ticket-followers", "POST",  "B",    401,  403,   404,    201,    201,    201),
    ("ticket-follower",  "DELETE", "A",   401,  403,   204,    404,    204,    204),
    ("ticket-follower",  "DELETE", "B",   401,  403,   404,    204,    204,    204),
    ("ticket-relation",  "DELETE", "A",   401,  403,   204,    404,    204,    204),
    ("ticket-relation",  "DELETE", "B",   401,  403,   404,    204,    204,    204),
    ("ticket-attachments", "GET", "A",    401,  403,   200,    404,    200,    200),
    ("ticket-attachments", "GET", "B",    401,  403,   404,    200,    200,    200),
    ("ticket-attachment", "GET",  "A",    401,  403,   200,    404,    200,    200),
    ("ticket-attachment", "GET",  "B",    401,  403,   404,    200,    200,    200),
    # saved views: a personal one (Ana's) is its owner's alone; a shared one (S) managers'
    ("saved-view-list",  "GET",   None,   401,  403,   200,    200,    200,    200),
    ("saved-view-list",  "POST",  None,   401,  403,   201,    201,    201,    201),
    ("saved-view-detail", "PATCH", "viewA", 401, 403,  200,    404,    404,    404),
    ("saved-view-detail", "PATCH", "viewS", 401, 403,  403,    403,    200,    200),
    ("saved-view-detail", "DELETE", "viewA", 401, 403, 204,    404,    404,    404),
    ("saved-view-detail", "DELETE", "viewS", 401, 403, 403,    403,    204,    204),
    # the mail relay's endpoint knows no roles: only the shared secret opens it
    ("inbound-email",    "POST",  None,   401,  401,   401,    401,    401,    401),
    # surveys: the token is the customer's credential; the closed loop is managers' work
    ("survey-answer",    "POST",  "tok",  201,  201,   201,    201,    201,    201),
    ("response-list",    "GET",   None,   401,  403,   200,    200,    200,    200),
    ("follow-up-list",   "GET",   None,   401,  403,   403,    403,    200,    200),
    ("follow-up-detail", "GET",   "fu",   401,  403,   403,    403,    200,    200),
    ("follow-up-detail", "PATCH", "fu",   401,  403,   403,    403,    200,    200),
    # metrics: agents get their own tickets' numbers (tests/metrics/test_api.py)
    ("metrics-summary",    "GET", None,   401,  403,   200,    200,    200,    200),
    ("metrics-timeseries", "GET", None,   401,  403,   200,    200,    200,    200),
    ("metrics-breakdown",  "GET", None,   401,  403,   200,    200,    200,    200),
    ("metrics-drivers",    "GET", None,   401,  403,   200,    200,    200,    200),
    ("metrics-explain",    "GET", None,   401,  403,   200,    200,    200,    200),
    # the desk's macros: managers' figures
    ("metrics-macros",     "GET", None,   401,  403,   403,    403,    200,    200),
    # churn by experience group: every customer's answers and cases, managers' figures
    ("metrics-churn",      "GET", None,   401,  403,   403,    403,    200,    200),
    # a customer's or organisation's experience (the 360): the customer API's rules, the
    # figures scoped to what the caller sees (tests/metrics/test_customer_experience.py)
    ("metrics-customer",     "GET", "cust", 401, 403,  200,    200,    200,    200),
    ("metrics-organisation", "GET", "org",  401, 403,  200,    200,    200,    200),
    # the help centre's API is public and shows published articles only (docs/knowledge.md)
    ("help-article-list",  "GET", None,   200,  200,   200,    200,    200,    200),
    ("help-article-detail", "GET", "artP", 200, 200,   200,    200,    200,    200),
    ("help-article-detail", "GET", "artD", 404, 404,   404,    404,    404,    404),
    ("help-article-detail", "GET", "artI", 404, 404,   404,    404,    404,    404),
    # the staff's: agents write and edit drafts (artD is Ana's), managers and admins publish
    # and change what readers see
    ("knowledge-article-list", "GET", None, 401, 403,  200,    200,    200,    200),
    ("knowledge-article-list", "POST", None, 401, 403, 201,    201,    201,    201),
    ("knowledge-article-detail", "GET", "artI", 401, 403, 200, 200,    200,    200),
    ("knowledge-article-detail", "PATCH", "artD", 401, 403, 200, 200,  200,    200),
    ("knowledge-article-detail", "PATCH", "artP", 401, 403, 403, 403,  200,    200),
    ("knowledge-article-detail", "DELETE", "artD", 401, 403, 204, 403, 204,    204),
    ("knowledge-article-status", "POST", "artD", 401, 403, 403, 403,   200,    200),
    ("knowledge-article-versions", "GET", "artD", 401, 403, 200, 200,  200,    200),
    ("knowledge-article-restore", "POST", "artP", 401, 403, 403, 403,  200,    200),
    # the help centre's and the web form's figures: managers' (docs/kpis.md "Self-service")
    ("knowledge-self-service", "GET", None, 401, 403,  403,    403,    200,    200),
    # quality (docs/quality.md). Reviews: the scorecard `card`; Marta's completed reviews of
    # Ana's tickets, `done` and `disputed` (disputed by Ana); Marta's draft `draft`. An agent
    # reads only their own completed reviews; another's is a 404.
    ("quality-scorecard-list", "GET", None, 401, 403,  200,    200,    200,    200),
    ("quality-scorecard-list", "POST", None, 401, 403, 403,    403,    201,    201),
    ("quality-scorecard-detail", "GET", "card", 401, 403, 200, 200,    200,    200),
    ("quality-scorecard-versions", "POST", "card", 401, 403, 403, 403, 201,    201),
    ("quality-review-list", "GET", None,  401,  403,   200,    200,    200,    200),
    # agents without the Reviewer role review nothing
    ("quality-review-list", "POST", None, 401,  403,   403,    403,    201,    201),
    ("quality-review-detail", "GET", "done", 401, 403, 200,    404,    200,    200),
    # only its reviewer scores a draft: the admin sees it but is not its reviewer
    ("quality-review-score", "POST", "draft", 401, 403, 404,   404,    200,    403),
    # only the reviewed agent disputes
    ("quality-review-dispute", "POST", "done", 401, 403, 201,  404,    403,    403),
    ("quality-review-settle", "POST", "disputed", 401, 403, 403, 404,  200,    200),
    ("quality-iqs",        "GET", None,   401,  403,   403,    403,    200,    200),
    ("quality-iqs-agents", "GET", None,   401,  403,   403,    403,    200,    200),
    # coaching: Ana's session `cSes` and goal `cGoal`; agents read their own, write nothing
    ("quality-coaching-session-list", "GET", None, 401, 403, 200,  200,    200,    200),
    ("quality-coaching-session-list", "POST", None, 401, 403, 403, 403,    201,    201),
    ("quality-coaching-session-detail", "GET", "cSes", 401, 403, 200, 404, 200,    200),
    ("quality-coaching-session-detail", "PATCH", "cSes", 401, 403, 403, 403, 200,  200),
    ("quality-coaching-goal-list", "GET", None, 401, 403, 200,    200,    200,    200),
    ("quality-coaching-goal-list", "POST", None, 401, 403, 403,   403,    201,    201),
    ("quality-coaching-goal-detail", "GET", "cGoal", 401, 403, 200, 404,  200,    200),
    ("quality-coaching-goal-detail", "PATCH", "cGoal", 401, 403, 403, 403, 200,   200),
    ("quality-coaching-goal-detail", "DELETE", "cGoal", 401, 403, 403, 403, 204,  204),
    # problems: every staff member reads them and opens one; managers change them. `prob` is
    # open with Ana's ticket linked, `fixed` is fixed, `bulk` is a bulk answer on a fixed one.
    ("quality-problem-list", "GET", None, 401,  403,   200,    200,    200,    200),
    ("quality-problem-list", "POST", None, 401, 403,   201,    201,    201,    201),
    ("quality-problem-detail", "GET", "prob", 401, 403, 200,   200,    200,    200),
    ("quality-problem-detail", "PATCH", "prob", 401, 403, 403, 403,    200,    200),
    ("quality-problem-tickets", "POST", "prob", 401, 403, 200, 200,    200,    200),
    # unlinking Ana's ticket: Carla cannot see it
    ("quality-problem-ticket", "DELETE", "prob", 401, 403, 204, 404,   204,    204),
    ("quality-problem-follow-ups", "POST", "prob", 401, 403, 403, 403, 200,    200),
    ("quality-problem-bulk-answers", "POST", "fixed", 401, 403, 403, 403, 202,  202),
    ("quality-problem-bulk-answer", "GET", "bulk", 401, 403, 403, 403, 200,    200),
    ("quality-problem-figures", "GET", "prob", 401, 403, 200,  200,    200,    200),
    # insights' themes (docs/insights.md): every customer's words and scores, managers' figures
    ("insights-themes",  "GET",   None,   401,  403,   403,    403,    200,    200),
    ("insights-theme",   "PATCH", "theme", 401, 403,   403,    403,    200,    200),
    # insights' triage suggestions (docs/insights.md): any staff member, on a ticket they can
    # see. No model is trained here, so there is nothing to accept: 400 for whoever may ask.
    ("insights-triage",  "GET",   "A",    401,  403,   200,    404,    200,    200),
    ("insights-triage",  "GET",   "B",    401,  403,   404,    200,    200,    200),
    ("insights-triage-accept", "POST", "A", 401, 403,  400,    404,    400,    400),
    ("insights-triage-accept", "POST", "B", 401, 403,  404,    400,    400,    400),
    # insights' similar solved cases: any staff member, on a ticket they can see (no index is
    # trained here: an empty list)
    ("insights-ticket-similar", "GET", "A", 401, 403,  200,    404,    200,    200),
    ("insights-ticket-similar", "GET", "B", 401, 403,  404,    200,    200,    200),
    # insights' mood of a ticket's customer: any staff member, on a ticket they can see (no
    # model is trained here: no reading, and the reason why)
    ("insights-ticket-sentiment", "GET", "A", 401, 403, 200,  404,    200,    200),
    ("insights-ticket-sentiment", "GET", "B", 401, 403, 404,  200,    200,    200),
    # insights' trained models and auto-apply rules: admins' (the models page's figures)
    ("insights-models",  "GET",   None,   401,  403,   403,    403,    403,    200),
]
SURVEY_ROUTES = {"survey-answer", "response-list", "follow-up-list", "follow-up-detail"}
METRICS_ROUTES = {
    "metrics-summary",
    "metrics-timeseries",
    "metrics-breakdown",
    "metrics-drivers",
    "metrics-explain",
    "metrics-macros",
    "metrics-churn",
    "metrics-customer",
    "metrics-organisation",
}
KNOWLEDGE_ROUTES = {
    "help-article-list",
    "help-article-detail",
    "knowledge-article-list",
    "knowledge-article-detail",
    "knowledge-article-status",
    "knowledge-article-versions",
    "knowledge-article-restore",
    "knowledge-self-service",
}
QUALITY_ROUTES = {name for name, *_ in MATRIX if name.startswith("quality-")}
THEME_ROUTES = {"insights-themes", "insights-theme"}
TRIAGE_ROUTES = {"insights-triage", "insights-triage-accept", "insights-ticket-similar"}
TRIAGE_ROUTES |= {"insights-ticket-sentiment"}  # a new ticket of A or B, too
# fmt: on

CASES = [
    pytest.param(name, method, obj, role, codes[i], id=f"{method} {name} {obj or '-'} {role}")
    for name, method, obj, *codes in MATRIX
    for i, role in enumerate(ROLES)
]


@pytest.fixture
def world(db):
    team_a = TeamFactory(name="Soporte N1", level=1)
    team_b = TeamFactory(name="Soporte N2", level=2)
    users = {
        "nobody": UserFactory(username="nadie"),
        "agent_a": AgentFactory(username="ana", teams=[team_a]),
        "agent_b": AgentFactory(username="carla", teams=[team_b]),
        "manager": ManagerFactory(username="marta"),
        "admin": UserFactory(username="adrian", is_staff=True, is_superuser=True),
    }
    return {"team_a": team_a, "team_b": team_b, "users": users}


def snapshot():
    """Everything a refused call must leave untouched."""
    return (
        list(Ticket.objects.order_by("pk").values_list("pk", "version", "status", "priority")),
        TicketEvent.objects.count(),
        Reply.objects.count(),
        list(Customer.objects.order_by("pk").values_list("pk", "email", "phone")),
        list(CustomerAddress.objects.order_by("pk").values_list("pk", "customer", "email")),
        list(Organisation.objects.order_by("pk").values_list("pk", "name", "notes")),
        CustomerMerge.objects.count(),
        list(SavedView.objects.order_by("pk").values_list("pk", "name", "query")),
        list(Article.objects.order_by("pk").values_list("pk", "status", "title_es", "slug")),
        ArticleVersion.objects.count(),
        ScorecardVersion.objects.count(),
        list(Review.objects.order_by("pk").values_list("pk", "status", "score", "summary")),
        list(ReviewScore.objects.order_by("pk").values_list("pk", "score")),
        list(ReviewComment.objects.order_by("pk").values_list("pk", "review", "reply", "body")),
        list(Dispute.objects.order_by("pk").values_list("pk", "outcome")),
        list(CoachingSession.objects.order_by("pk").values_list("pk", "notes")),
        list(CoachingGoal.objects.order_by("pk").values_list("pk", "target")),
        list(Problem.objects.order_by("pk").values_list("pk", "title", "status")),
        ProblemTicket.objects.count(),
        ProblemFollowUp.objects.count(),
        ProblemEvent.objects.count(),
        ProblemBulkAnswer.objects.count(),
        list(Theme.objects.order_by("pk").values_list("pk", "name", "name_edited_by")),
        AppliedSuggestion.objects.count(),
    )


def help_section(world):
    """The knowledge base's one section (made on first use)."""
    if "section" not in world:
        category = Category.objects.create(slug="envios", name_es="Envíos")
        world["section"] = Section.objects.create(category=category, slug="seguimiento")
    return world["section"]


def knowledge_target(world, name, obj):
    """Knowledge URLs: a draft of Ana's (artD), a published (artP) or internal (artI) one of
    Marta's."""
    if obj is None:
        return reverse(f"knowledge-api:{name}")
    author = world["users"]["agent_a" if obj == "artD" else "manager"]
    article = knowledge_services.create_article(
        by=author,
        content=knowledge_services.ArticleContent(
            section=help_section(world), slug=f"art-{obj.lower()}", title_es=f"Artículo {obj}"
        ),
    )
    if obj != "artD":
        article = knowledge_services.set_article_status(
            article=article,
            by=world["users"]["manager"],
            status="published" if obj == "artP" else "internal",
        )
    if name == "knowledge-article-restore":
        return reverse(f"knowledge-api:{name}", args=[article.pk, 1])
    return reverse(f"knowledge-api:{name}", args=[article.pk])


def ana_ticket(world):
    """A ticket of Ana's team assigned to her (made on first use): what quality reviews and
    links to problems."""
    if "ticketA" not in world:
        agent = world["users"]["agent_a"]
        world["ticketA"] = make_ticket(by=agent, team=world["team_a"], assignee=agent)
    return world["ticketA"]


def new_ana_ticket(world):
    """Another ticket of Ana's team assigned to her, linked to nothing."""
    agent = world["users"]["agent_a"]
    return make_ticket(by=agent, team=world["team_a"], assignee=agent)


def scorecard(world):
    """The scorecard `card`, one criterion (made on first use)."""
    if "card" not in world:
        world["card"] = review_services.create_scorecard(
            by=world["users"]["manager"],
            name="Conversación",
            criteria=[CriterionData("Tono", weight=1, max_score=5)],
        )
    return world["card"]


def review(world, obj):
    """Marta's review of a new ticket of Ana's: a draft, completed (`done`) or disputed."""
    agent, manager = world["users"]["agent_a"], world["users"]["manager"]
    ticket = make_ticket(by=agent, team=world["team_a"], assignee=agent)
    made = review_services.start_review(ticket=ticket, by=manager, scorecard=scorecard(world))
    world["criterion"] = made.scorecard_version.criteria.get()
    if obj == "draft":
        return made
    review_services.score_review(
        review=made, by=manager, scores=[ScoreData(world["criterion"].pk, 3)], complete=True
    )
    if obj == "disputed":
        review_services.dispute_review(review=made, by=agent, reason="No fue así")
    return made


def follow_up(world):
    """A detractor's follow-up on a resolved ticket of Ana's team."""
    agent = world["users"]["agent_a"]
    ticket = bring_to(make_ticket(by=agent, team=world["team_a"]), Status.RESOLVED, by=agent)
    invitation = SurveyInvitation.objects.get(ticket=ticket)
    return answer_survey(invitation=invitation, nps=2, comment="Sigue sin imprimir").follow_up


def quality_target(world, name, obj):
    """Quality URLs (docs/quality.md), each object made through quality's services."""
    manager, agent = world["users"]["manager"], world["users"]["agent_a"]
    if obj is None:
        if name == "quality-review-list":
            scorecard(world)
        return reverse(f"quality-api:{name}")
    if obj == "card":
        return reverse(f"quality-api:{name}", args=[scorecard(world).pk])
    if obj in ("done", "disputed", "draft"):
        return reverse(f"quality-api:{name}", args=[review(world, obj).pk])
    if obj == "cSes":
        session = coaching_services.record_session(
            by=manager, agent=agent, held_on=date(2026, 3, 1), notes="Primera charla"
        )
        return reverse(f"quality-api:{name}", args=[session.pk])
    if obj == "cGoal":
        goal = coaching_services.set_goal(
            by=manager,
            agent=agent,
            kpi="csat",
            comparison="at_least",
            target=Decimal("80"),
            starts_on=date(2026, 3, 1),
            due_on=date(2026, 3, 31),
        )
        return reverse(f"quality-api:{name}", args=[goal.pk])
    problem = problem_services.open_problem(
        by=manager, title="Facturas en blanco", ticket_ids=[ana_ticket(world).pk]
    )
    if obj in ("fixed", "bulk"):
        problem = problem_services.update_problem(
            problem=problem, by=manager, status="fixed", fix_note="Nueva plantilla"
        )
    if obj == "bulk":
        bulk = problem_services.start_bulk_answer(
            problem=problem, by=manager, message_es="Arreglado", message_en=""
        )
        return reverse(f"quality-api:{name}", args=[problem.pk, bulk.pk])
    if name == "quality-problem-ticket":
        return reverse(f"quality-api:{name}", args=[problem.pk, ana_ticket(world).pk])
    if name == "quality-problem-follow-ups":
        world["fu"] = follow_up(world)
    return reverse(f"quality-api:{name}", args=[problem.pk])


def target(world, name, obj):
    """The URL for `name` on `obj`, with the ticket in the status its action needs."""
    if name in ("api-schema", "api-docs"):  # mounted by config/urls_api.py, no namespace
        return reverse(name)
    if name in SURVEY_ROUTES:
        return survey_target(world, name, obj)
    if name in KNOWLEDGE_ROUTES:
        return knowledge_target(world, name, obj)
    if name in QUALITY_ROUTES:
        return quality_target(world, name, obj)
    if name == "insights-models":  # the admins' models and rules: no object
        return reverse("insights-api:insights-models")
    if name in THEME_ROUTES:  # a theme of a ready themes model
        return reverse(f"insights-api:{name}", args=[theme_in_use().pk] if obj else [])
    if name in TRIAGE_ROUTES:  # a new ticket of team A or B
        owner = world["users"]["agent_a" if obj == "A" else "agent_b"]
        ticket = make_ticket(by=owner, team=world["team_a" if obj == "A" else "team_b"])
        return reverse(f"insights-api:{name}", args=[ticket.pk])
    if name in METRICS_ROUTES and obj is None:
        return reverse(f"metrics_api:{name}")
    if obj == "cust" and name in METRICS_ROUTES:
        return reverse(f"metrics_api:{name}", args=[CustomerFactory(email="lucia@example.com").pk])
    if obj == "org" and name in METRICS_ROUTES:
        acme = services.create_organisation(by=None, name="Acme", domains=["acme.co"])
        return reverse(f"metrics_api:{name}", args=[acme.pk])
    if obj is None:
        return url(name)
    if obj == "cust":
        return url(name, CustomerFactory(email="lucia@example.com").pk)
    if obj == "addr":
        lucia = CustomerFactory(email="lucia@example.com")
        address = services.add_customer_address(customer=lucia, by=None, email="l@casa.example")
        return url(name, lucia.pk, address.pk)
    if obj == "org":
        return url(name, services.create_organisation(by=None, name="Acme", domains=["acme.co"]).pk)
    if obj == "viewA":
        return url(
            name, services.save_view(by=world["users"]["agent_a"], name="De Ana", query="").pk
        )
    if obj == "viewS":
        manager = world["users"]["manager"]
        return url(name, services.save_view(by=manager, name="Desk", query="", shared=True).pk)
    if obj == "tokA":
        return url(name, api_token_id(AuthToken.objects.create(world["users"]["agent_a"])[0]))
    owner = world["users"]["agent_a" if obj == "A" else "agent_b"]
    team = world["team_a" if obj == "A" else "team_b"]
    ticket = make_ticket(by=owner, team=team)
    ticket = bring_to(ticket, NEEDS.get(name, Status.NEW), by=owner)
    if name == "ticket-attachment":
        return url(name, ticket.pk, attachment_on(ticket).pk)
    if name == "ticket-follower":
        follower = services.add_follower(ticket=ticket, by=owner, email="jefe@empresa.example")
        return url(name, ticket.pk, follower.pk)
    if name == "ticket-relation":
        other = make_ticket(by=owner, team=team)
        return url(
            name, ticket.pk, services.relate_tickets(ticket=ticket, other=other, by=owner).pk
        )
    return url(name, ticket.pk)


def attachment_on(ticket) -> Attachment:
    attachment = Attachment(
        ticket=ticket, filename="photo.png", content_type="image/png", size=4, sha256="0" * 64
    )
    attachment.file.save("photo.png", ContentFile(b"\x89PNG"), save=True)
    return attachment


def survey_target(world, name, obj):
    """Survey URLs: a fresh invitation (resolved ticket of team A) or a detractor's follow-up."""
    if obj is None:
        return reverse(f"surveys_api:{name}")
    agent = world["users"]["agent_a"]
    ticket = make_ticket(by=agent, team=world["team_a"], customer=CustomerFactory())
    ticket = bring_to(ticket, Status.RESOLVED, by=agent)
    invitation = SurveyInvitation.objects.get(ticket=ticket)
    if obj == "tok":
        return reverse(f"surveys_api:{name}", args=[token_for(invitation)])
    response = answer_survey(invitation=invitation, nps=2, comment="Nadie me llamó")
    return reverse(f"surveys_api:{name}", args=[response.follow_up.pk])


@pytest.mark.parametrize(("name", "method", "obj", "role", "expected"), CASES)
def test_permission_matrix(world, settings, name, method, obj, role, expected):
    settings.INBOUND_EMAIL_SECRET = "relay-secret"  # a secret nobody in the matrix holds
    path = target(world, name, obj)
    user = world["users"].get(role)
    # The token endpoint is called without credentials: the role is in the body.
    client = token_client(None if name == "auth-token" else user)
    body = BODIES.get((name, method), lambda w, r: None)(world, role)
    before = snapshot()

    response = getattr(client, method.lower())(path, body, format="json")

    assert response.status_code == expected, response.content[:300]
    if expected >= 400:
        assert snapshot() == before


def api_routes():
    """(url name, HTTP method) for every route under /api/v1/, from the URLconf."""
    resolver = get_resolver()
    api = next(
        p
        for p in resolver.url_patterns
        if isinstance(p, URLResolver) and str(p.pattern) == "api/v1/"
    )

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                view = pattern.callback.view_class
                for method in ("get", "post", "put", "patch", "delete"):
                    if hasattr(view, method):
                        yield pattern.name, method.upper()

    return set(walk(api.url_patterns))


def test_every_api_url_and_method_is_in_the_matrix():
    covered = {(name, method) for name, method, *_ in MATRIX}
    assert api_routes() == covered


@pytest.mark.parametrize("name", sorted({name for name, *_ in MATRIX}))
def test_undeclared_methods_are_405(world, name):
    declared = {m for n, m in api_routes() if n == name}
    client = token_client(world["users"]["manager"])
    obj = next(obj for n, _method, obj, *_codes in MATRIX if n == name)
    path = target(world, name, obj)
    before = snapshot()
    for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - declared):
        response = getattr(client, method.lower())(path, {}, format="json")
        assert response.status_code == 405, (method, response.content[:200])
        if name not in ("api-schema", "api-docs"):  # those two answer in their own formats
            assert response.json() == {"detail": f'Method "{method}" not allowed.'}
    assert snapshot() == before
