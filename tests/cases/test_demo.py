"""`manage.py load_demo`: a believable desk, built through the services, that obeys the
lifecycle — and loading it twice adds nothing. The load takes seconds, so one test checks it
all."""

from collections import Counter, defaultdict
from datetime import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from cases.lifecycle import STATUS_EDGES
from cases.models import (
    Category,
    Channel,
    Customer,
    CustomerAddress,
    EventKind,
    MacroUse,
    Organisation,
    OutboundEmail,
    Priority,
    Reply,
    Role,
    SavedView,
    Status,
    Team,
    Ticket,
    TicketEvent,
    TicketFollower,
    User,
)
from cases.queues import saved_view_tickets
from metrics import kpis
from metrics.forms import preset_range


def load(*args) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def _replay(ticket_events):
    """Walk one ticket's events in order: the status they lead to, and whether every move is
    an edge of the lifecycle graph and time never runs backwards."""
    status, previous_at, legal = Status.NEW, None, True
    # Survey facts are appended later, by the survey history, and the past's SLA breaches by
    # the catch-up at the end of the load (each dated when it fell); the lifecycle is the rest.
    appended_later = ("survey_", "follow_up_", "sla_")
    lifecycle_events = [e for e in ticket_events if not e[0].startswith(appended_later)]
    for _kind, data, at in lifecycle_events:
        if previous_at is not None and at < previous_at:
            legal = False
        previous_at = at
        if "to" in data and data["to"] != data["from"]:
            legal = legal and data["from"] == status and (status, data["to"]) in STATUS_EDGES
            status = data["to"]
    return status, legal


@pytest.mark.django_db
def test_load_demo_builds_a_consistent_desk_once(settings):
    settings.EMBEDDED = True  # the demo's home; CI also runs this suite on PostgreSQL
    output = load()
    now = timezone.now()

    assert "Demo data loaded" in output
    assert "by status" in output

    # People and reference data.
    for username, role in (("agent", Role.AGENT), ("manager", Role.MANAGER), ("admin", Role.ADMIN)):
        user = User.objects.get(username=username)
        assert user.role == role
        assert Client().login(username=username, password="pulso-demo"), username
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert sorted(Team.objects.values_list("level", flat=True)) == [1, 2, 3]
    agents = User.objects.filter(groups__name="Agent")
    assert agents.count() == 8
    assert User.objects.filter(groups__name="Manager").count() == 2
    assert agents.get(username="agent").teams.get().level == 1
    assert {team.level for agent in agents for team in agent.teams.all()} == {1, 2, 3}
    assert all(agent.teams.count() == 1 for agent in agents)
    assert Category.objects.count() == 8
    assert not Category.objects.filter(default_team=None).exists()
    assert 55 <= Customer.objects.count() <= 65
    assert {"es", "en"} == set(Customer.objects.values_list("language", flat=True))
    churned = Customer.objects.exclude(churned_at=None)
    assert 6 <= churned.count() <= 10
    # Organisations (cases/demo/organisations.py): several contacts each, one of whom sees
    # the organisation's cases and one who joined by writing from its domain; other addresses.
    organisations = Organisation.objects.prefetch_related("contacts", "domains")
    assert organisations.count() == 4
    for organisation in organisations:
        contacts = list(organisation.contacts.all())
        assert len(contacts) >= 3, organisation
        assert sum(contact.is_organisation_admin for contact in contacts) == 1
        domains = {row.domain for row in organisation.domains.all()}
        assert any(contact.email.rpartition("@")[2] in domains for contact in contacts)
    assert CustomerAddress.objects.count() >= 6
    assert all((timezone.localdate() - c.churned_at).days <= 90 for c in churned)
    # Those who left had answered unhappily: over the last 30 days detractors churn more than
    # any other NPS group (docs/kpis.md, "Churn and experience").
    last_30_days = kpis.Period.of(*preset_range("30", timezone.localdate()))
    split = kpis.churn_split(last_30_days)["splits"]["nps"]
    rates = {group["group"]: group["churn_rate"] or 0.0 for group in split}
    assert rates.pop("detractor") > max(rates.values())

    # Tickets: every channel, priority, status and category.
    tickets = Ticket.objects.all()
    assert 380 <= tickets.count() <= 420
    assert set(tickets.values_list("channel", flat=True)) == set(Channel.values)
    assert set(tickets.values_list("priority", flat=True)) == set(Priority.values)
    assert set(tickets.values_list("status", flat=True)) == set(Status.values)
    assert set(tickets.exclude(category=None).values_list("category__name", flat=True)) == set(
        Category.objects.values_list("name", flat=True)
    )
    assert tickets.filter(escalation_count=2).exists()
    assert tickets.filter(escalation_count=1).exists()
    assert tickets.filter(reopen_count__gt=0).exists()
    assert tickets.filter(level=3).exists()
    assert tickets.filter(created_at__lt=now - timezone.timedelta(days=80)).exists()
    assert not tickets.filter(created_at__lt=now - timezone.timedelta(days=91)).exists()
    assert not TicketEvent.objects.filter(at__gt=now).exists()
    # The past's breaches are dated when they fell, not at the load (which would also have
    # escalated them all at once, today).
    breaches = TicketEvent.objects.filter(kind=EventKind.SLA_BREACHED)
    assert breaches.exists()
    for breach in breaches:
        assert breach.at == datetime.fromisoformat(breach.data["due"]), breach.data
    assert not Reply.objects.filter(created_at__gt=now).exists()
    old = tickets.filter(created_at__lt=now - timezone.timedelta(days=30))
    assert old.filter(status__in=[Status.RESOLVED, Status.CLOSED]).count() > 0.85 * old.count()

    # Every ticket's counters agree with its own events and replies.
    events = defaultdict(list)
    for ticket_id, kind, data, at in TicketEvent.objects.order_by("ticket", "id").values_list(
        "ticket", "kind", "data", "at"
    ):
        events[ticket_id].append((kind, data, at))
    public_agent_replies = defaultdict(list)
    for ticket_id, at in (
        Reply.objects.filter(public=True, author__isnull=False)
        .order_by("created_at")
        .values_list("ticket", "created_at")
    ):
        public_agent_replies[ticket_id].append(at)

    for ticket in tickets:
        mine = events[ticket.pk]
        kinds = Counter(kind for kind, _data, _at in mine)
        assert mine[0][0] == EventKind.CREATED and mine[0][2] == ticket.created_at
        assert ticket.escalation_count == kinds[EventKind.ESCALATED], ticket
        assert ticket.reopen_count == kinds[EventKind.REOPENED], ticket
        assert ticket.public_agent_replies == kinds[EventKind.REPLIED], ticket
        assert ticket.public_agent_replies == len(public_agent_replies[ticket.pk]), ticket
        first_reply = next(iter(public_agent_replies[ticket.pk]), None)
        assert ticket.first_response_at == first_reply, ticket
        assert ticket.level == mine[0][1]["level"] + ticket.escalation_count, ticket
        status, legal = _replay(mine)
        assert legal, ticket
        assert ticket.status == status, ticket
        resolved = [at for kind, _data, at in mine if kind == EventKind.RESOLVED]
        if ticket.status in (Status.RESOLVED, Status.CLOSED):
            assert ticket.resolved_at == resolved[-1], ticket
            assert ticket.resolution
        if ticket.status != Status.NEW:
            assert ticket.assignee_id is not None, ticket

    # The managers' shared view of the urgent cases nobody has taken, and what it lists.
    [view] = SavedView.objects.all()
    assert (view.name, view.owner) == ("Urgentes sin asignar", None)
    manager = User.objects.filter(groups__name="Manager").first()
    urgent = saved_view_tickets(manager, view.query)
    assert all(t.assignee_id is None and t.priority == Priority.URGENT for t in urgent)

    # A duplicate merged into the case that carries on, and the desk's macros in use.
    merged = tickets.get(status=Status.MERGED)
    assert merged.merged_into is not None and merged.merged_into.status == Status.OPEN
    assert merged.merged_into.replies.filter(body__contains=merged.reference).exists()
    uses = MacroUse.objects.values_list("macro__title", flat=True)
    assert len(set(uses)) >= 3 and len(uses) >= 20
    # E-mails with a colleague in copy, some of whom answered.
    assert TicketFollower.objects.count() >= 5
    assert Reply.objects.exclude(from_email="").exists()

    # Nothing was e-mailed.
    assert mail.outbox == []
    assert not OutboundEmail.objects.exists()

    # A second run adds nothing.
    counts = (
        User.objects.count(),
        Customer.objects.count(),
        Ticket.objects.count(),
        TicketEvent.objects.count(),
        Team.objects.count(),
        Category.objects.count(),
    )
    assert "already loaded" in load()
    assert counts == (
        User.objects.count(),
        Customer.objects.count(),
        Ticket.objects.count(),
        TicketEvent.objects.count(),
        Team.objects.count(),
        Category.objects.count(),
    )


@pytest.mark.django_db
def test_load_demo_refuses_a_production_database(settings):
    settings.EMBEDDED = False
    with pytest.raises(CommandError, match="--allow-production"):
        load()
    assert not User.objects.filter(username="agent").exists()
    assert not Ticket.objects.exists()
