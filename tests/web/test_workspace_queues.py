"""The queues: what each person sees in each tab, the counts on the tabs, filters, search,
sorting and pagination."""

import re

import pytest
from django.urls import reverse

from cases import services
from cases.models import Channel, Priority, Status, Ticket
from cases.queues import queue_counts
from tests.factories import CustomerFactory, make_ticket
from tests.web.test_workspace_support import move_to

QUEUE_URL = reverse("cases:queue")


@pytest.fixture
def desk(ana, bruno, carla, marta, team_n1, team_n2, billing):
    """Six tickets over two teams:
    mine_ana (N1, Ana, new, billing), free_n1 (N1, unassigned, chat, level 2),
    bruno_open (N1, Bruno, open, urgent), free_n2 (N2, unassigned),
    carla_new (N2, Carla), done_ana (N1, Ana, resolved)."""
    other = CustomerFactory(name="Otto Weber", email="otto@weber.example")
    t = {
        "mine_ana": make_ticket(
            by=ana, team=team_n1, assignee=ana, category=billing, subject="Invoice charged twice"
        ),
        "free_n1": make_ticket(
            by=ana, team=team_n1, channel=Channel.CHAT, customer=other, subject="Cannot log in"
        ),
        "bruno_open": make_ticket(
            by=bruno, team=team_n1, assignee=bruno, priority=Priority.URGENT, subject="Server down"
        ),
        "free_n2": make_ticket(by=carla, team=team_n2, subject="Router reboots"),
        "carla_new": make_ticket(by=carla, team=team_n2, assignee=carla, subject="Slow VPN"),
        "done_ana": make_ticket(by=ana, team=team_n1, assignee=ana, subject="Old toner"),
    }
    services.escalate_ticket(ticket=t["free_n1"], by=ana, reason="Needs level 2")
    move_to(t["bruno_open"], Status.OPEN, by=bruno)
    move_to(t["done_ana"], Status.RESOLVED, by=ana)
    return {name: ticket.pk for name, ticket in t.items()}


def shown(response) -> list[int]:
    return [ticket.pk for ticket in response.context["page_obj"]]


def tab_counts(response) -> dict[str, int]:
    return {name: count for name, _label, count in response.context["tabs"]}


def ids(desk, *names) -> set[int]:
    return {desk[name] for name in names}


QUEUES = {
    # user: (default queue, {queue: expected tickets}, tab counts)
    "ana": (
        "mine",
        {
            "mine": ["mine_ana"],
            "unassigned": ["free_n1"],
            "teams": ["mine_ana", "free_n1", "bruno_open"],
        },
        {"mine": 1, "unassigned": 1, "teams": 3},
    ),
    "bruno": (
        "mine",
        {
            "mine": ["bruno_open"],
            "unassigned": ["free_n1"],
            "teams": ["mine_ana", "free_n1", "bruno_open"],
        },
        {"mine": 1, "unassigned": 1, "teams": 3},
    ),
    "carla": (
        "mine",
        {
            "mine": ["carla_new"],
            "unassigned": ["free_n2"],
            "teams": ["free_n2", "carla_new"],
        },
        {"mine": 1, "unassigned": 1, "teams": 2},
    ),
    "marta": (
        "all",
        {
            "mine": [],
            "unassigned": ["free_n1", "free_n2"],
            "teams": [],
            "all": ["mine_ana", "free_n1", "bruno_open", "free_n2", "carla_new"],
        },
        {"mine": 0, "unassigned": 2, "teams": 0, "all": 5},
    ),
}


@pytest.mark.parametrize("who", QUEUES)
def test_each_queue_shows_the_active_tickets_it_promises(who, desk, client, request):
    user = request.getfixturevalue(who)
    default, expected, counts = QUEUES[who]
    client.force_login(user)

    response = client.get(QUEUE_URL)
    assert response.context["queue"] == default
    assert tab_counts(response) == counts

    for queue, names in expected.items():
        response = client.get(QUEUE_URL, {"queue": queue})
        assert response.status_code == 200
        assert set(shown(response)) == ids(desk, *names), queue


def test_the_tab_badges_show_the_counts(desk, client, ana):
    client.force_login(ana)
    html = client.get(QUEUE_URL).content.decode()
    badges = re.findall(r'data-queue="(\w+)">\s*[^<]*<span[^>]*queue-count">(\d+)<', html)
    assert dict(badges) == {"mine": "1", "unassigned": "1", "teams": "3"}


def test_an_agent_asking_for_all_gets_the_teams_queue_and_no_all_tab(desk, client, ana):
    client.force_login(ana)
    response = client.get(QUEUE_URL, {"queue": "all"})
    assert response.status_code == 200
    assert response.context["queue"] == "teams"
    assert 'data-queue="all"' not in response.content.decode()
    assert desk["free_n2"] not in shown(response)


def test_an_unknown_queue_falls_back_to_the_default(desk, client, marta):
    client.force_login(marta)
    assert client.get(QUEUE_URL, {"queue": "<script>"}).context["queue"] == "all"


@pytest.mark.parametrize("who", ["ana", "marta"])
def test_the_queue_counts_take_one_query(who, desk, request, django_assert_num_queries):
    user = request.getfixturevalue(who)
    user.role, user.team_ids  # noqa: B018 - read once per request, before the counts
    with django_assert_num_queries(1):
        counts = queue_counts(user)
    assert counts["teams" if who == "ana" else "all"] == (3 if who == "ana" else 5)


def test_the_status_filter_shows_other_statuses(desk, client, ana):
    client.force_login(ana)
    response = client.get(QUEUE_URL, {"queue": "mine", "status": ["resolved"]})
    assert shown(response) == [desk["done_ana"]]
    response = client.get(QUEUE_URL, {"queue": "mine", "status": ["new", "resolved"]})
    assert set(shown(response)) == ids(desk, "mine_ana", "done_ana")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"priority": "urgent"}, ["bruno_open"]),
        ({"channel": "chat"}, ["free_n1"]),
        ({"level": "2"}, ["free_n1", "free_n2", "carla_new"]),
        ({"level": "1"}, ["mine_ana", "bruno_open"]),
        ({"assignee": "carla"}, ["carla_new"]),
        ({"team": "n2"}, ["free_n2", "carla_new"]),
        ({"category": "billing"}, ["mine_ana"]),
        ({"team": "n2", "assignee": "carla"}, ["carla_new"]),
    ],
)
def test_the_filters_narrow_the_queue(params, expected, desk, client, marta, request):
    objects = {
        "carla": lambda: request.getfixturevalue("carla").pk,
        "n2": lambda: request.getfixturevalue("team_n2").pk,
        "billing": lambda: request.getfixturevalue("billing").pk,
    }
    query = {k: objects[v]() if v in objects else v for k, v in params.items()}
    client.force_login(marta)
    response = client.get(QUEUE_URL, {"queue": "all", **query})
    assert set(shown(response)) == ids(desk, *expected)


def test_invalid_filter_values_are_reported_and_ignored(desk, client, marta):
    client.force_login(marta)
    response = client.get(QUEUE_URL, {"priority": "extreme", "level": "9", "page": "x"})
    assert response.status_code == 200
    assert len(shown(response)) == 5
    assert response.context["filterset"].form.errors


@pytest.mark.parametrize("query", ["PUL-{pk:06d}", "pul-{pk}", "{pk}"])
def test_search_finds_a_ticket_by_its_reference(query, desk, client, marta):
    client.force_login(marta)
    pk = desk["free_n2"]
    response = client.get(QUEUE_URL, {"q": query.format(pk=pk)})
    assert pk in shown(response)
    if not query.startswith("{"):  # a bare number may also match text (an e-mail, a subject)
        assert shown(response) == [pk]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("OTTO@WEBER", ["free_n1"]),  # customer e-mail, any case
        ("server", ["bruno_open"]),  # subject
        ("blinks orange", ["mine_ana", "free_n1", "bruno_open", "free_n2", "carla_new"]),
    ],
)
def test_search_looks_in_subject_description_and_customer_email(
    query, expected, desk, client, marta
):
    client.force_login(marta)
    response = client.get(QUEUE_URL, {"q": query})
    assert set(shown(response)) == ids(desk, *expected)


def test_search_stays_within_what_the_user_may_see(desk, client, carla):
    client.force_login(carla)
    response = client.get(QUEUE_URL, {"queue": "teams", "q": "OTTO@weber"})
    assert shown(response) == []
    assert "No tickets match these filters." in response.content.decode()


def test_sorting_by_priority_puts_urgent_first_and_flips(desk, client, marta):
    client.force_login(marta)
    descending = shown(client.get(QUEUE_URL, {"sort": "-priority"}))
    assert descending[0] == desk["bruno_open"]
    ascending = shown(client.get(QUEUE_URL, {"sort": "priority"}))
    assert ascending[-1] == desk["bruno_open"]


def test_sorting_by_reference_and_dates(desk, client, marta):
    client.force_login(marta)
    by_ref = shown(client.get(QUEUE_URL, {"sort": "reference"}))
    assert by_ref == sorted(by_ref)
    assert shown(client.get(QUEUE_URL, {"sort": "-reference"})) == sorted(by_ref, reverse=True)
    newest_update = shown(client.get(QUEUE_URL, {"sort": "-updated"}))[0]
    assert newest_update == desk["bruno_open"]  # its reply came last among active ones
    assert shown(client.get(QUEUE_URL, {"sort": "bogus"})) == sorted(by_ref, reverse=True)


def test_the_sorted_column_header_links_to_the_other_direction(desk, client, marta):
    client.force_login(marta)
    html = client.get(QUEUE_URL, {"sort": "priority", "priority": "urgent"}).content.decode()
    assert 'href="?sort=-priority&amp;priority=urgent"' in html


def test_pagination_keeps_the_filters(client, ana, team_n1):
    for n in range(27):
        make_ticket(by=ana, team=team_n1, priority=Priority.HIGH, subject=f"Case {n}")
    make_ticket(by=ana, team=team_n1, priority=Priority.LOW)
    client.force_login(ana)

    first = client.get(QUEUE_URL, {"queue": "teams", "priority": "high"})
    assert len(shown(first)) == 25
    html = first.content.decode()
    assert 'href="?queue=teams&amp;priority=high&amp;page=2"' in html

    second = client.get(QUEUE_URL, {"queue": "teams", "priority": "high", "page": 2})
    assert len(shown(second)) == 2
    assert not set(shown(first)) & set(shown(second))


def test_an_empty_queue_says_so(client, ana):
    client.force_login(ana)
    response = client.get(QUEUE_URL)
    assert "Nothing in this queue right now." in response.content.decode()


def test_the_table_shows_the_columns(desk, client, marta):
    client.force_login(marta)
    html = client.get(QUEUE_URL, {"q": "Server down"}).content.decode()
    for text in (
        f"PUL-{desk['bruno_open']:06d}",
        "Server down",
        "Open",
        "Urgent",
        "L1",
        "Soporte N1",
        "Bruno Díaz",
    ):
        assert text in html


def test_the_first_click_on_sla_gives_the_nearest_deadline_and_no_clock_stays_last(
    client, ana, team_n1
):
    """The SLA column's first click sorts nearest deadline first; the second click flips
    to furthest first — tickets without a running clock come last both ways."""
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from cases.models import SLAPolicy

    SLAPolicy.objects.create(
        name="High 1 h / 8 h", priority="high", first_response_minutes=60, resolution_minutes=480
    )
    now = timezone.now()
    for minutes_ago, subject, priority in (
        (90, "No clock", "low"),
        (10, "Due last", "high"),
        (50, "Due first", "high"),
        (30, "Due second", "high"),
    ):
        with time_machine.travel(now - timedelta(minutes=minutes_ago), tick=False):
            make_ticket(
                by=ana, team=team_n1, assignee=ana, priority=priority, subject=subject,
                customer=CustomerFactory(),
            )  # fmt: skip
    client.force_login(ana)

    html = client.get(QUEUE_URL).content.decode()
    [first_click] = re.findall(r'href="\?([^"]*)"[^>]*>SLA', html)
    assert first_click == "sort=deadline"

    def order(params: str) -> list[str]:
        page = client.get(f"{QUEUE_URL}?{params}").content.decode()
        return re.findall(r">(Due \w+|No clock)<", page)

    assert order(first_click) == ["Due first", "Due second", "Due last", "No clock"]
    html = client.get(f"{QUEUE_URL}?{first_click}").content.decode()
    [second_click] = re.findall(r'href="\?([^"]*)"[^>]*>SLA', html)
    assert second_click == "sort=-deadline"
    assert order(second_click) == ["Due last", "Due second", "Due first", "No clock"]


def test_a_sort_on_a_key_every_shown_ticket_shares_orders_by_reference(desk, client, marta):
    """Closed tickets sorted by SLA (no clock runs) or by status (one status shown) come in
    reference order, in the direction asked: the key is equal for all of them."""
    done = [desk["done_ana"]]
    for name in ("mine_ana", "carla_new"):
        done.append(move_to(Ticket.objects.get(pk=desk[name]), Status.RESOLVED, by=marta).pk)
    client.force_login(marta)
    for sort in ("deadline", "status"):
        params = {"status": "resolved", "sort": sort}
        assert shown(client.get(QUEUE_URL, params)) == sorted(done)
        params["sort"] = f"-{sort}"
        assert shown(client.get(QUEUE_URL, params)) == sorted(done, reverse=True)
