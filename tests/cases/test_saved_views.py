"""Saved views, the services: what a view keeps (the queue's own filters, normalised), who may
keep, rename and delete which view, and what each person is offered."""

import pytest

from cases import services
from cases.errors import PermissionDenied, ValidationError
from cases.models import SavedView
from cases.queues import saved_view_tabs, saved_view_tickets
from cases.selectors import saved_views_editable_by, saved_views_offered_to
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def test_a_view_keeps_the_queue_filters_in_a_fixed_order_without_empty_values(ana, billing):
    query = (
        f"?sort=deadline&tag=VIP&priority=urgent&q=++printer+&status=open&status=new"
        f"&category={billing.pk}&queue=unassigned&channel=&tag_match=all"
    )
    view = services.save_view(by=ana, name="  Urgent   printers ", query=query)
    assert view.name == "Urgent printers"
    assert view.query == (
        f"queue=unassigned&q=printer&status=new&status=open&priority=urgent"
        f"&category={billing.pk}&tag=vip&sort=deadline"
    )
    assert (view.owner, view.created_by, view.is_shared) == (ana, ana, False)


def test_a_view_without_queue_or_sort_gets_the_widest_queue_and_the_default_sort(ana):
    assert services.normalise_view_query({"priority": "high"}) == (
        "queue=all&priority=high&sort=-created"
    )


def test_unknown_filter_keys_are_refused_by_name(ana):
    with pytest.raises(ValidationError) as refused:
        services.save_view(by=ana, name="Odd", query="priority=high&page=2&colour=red")
    assert refused.value.field == "query"
    assert "Unknown filters: colour, page." in refused.value.message
    assert not SavedView.objects.exists()


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("priority=whenever", "Priority"),
        ("status=open&status=lost", "Status"),
        ("sort=colour", "Sort"),
        ("queue=everything", "is not a queue"),
        ("team=999999", "Team"),
    ],
)
def test_values_the_queue_would_refuse_are_refused_with_the_filters_name(ana, query, says):
    with pytest.raises(ValidationError) as refused:
        services.save_view(by=ana, name="Bad", query=query)
    assert says in refused.value.message
    assert not SavedView.objects.exists()


def test_a_name_is_required_and_unique_per_person_whatever_its_case(ana, bruno):
    services.save_view(by=ana, name="Mis urgentes", query="priority=urgent")
    with pytest.raises(ValidationError, match="You already have a view with this name"):
        services.save_view(by=ana, name="MIS URGENTES", query="priority=high")
    with pytest.raises(ValidationError, match="A view needs a name"):
        services.save_view(by=ana, name="   ", query="priority=high")
    # another person may use the same name
    services.save_view(by=bruno, name="Mis urgentes", query="priority=urgent")
    assert SavedView.objects.count() == 2


def test_an_agent_cannot_share_a_view(ana, team_n1):
    with pytest.raises(PermissionDenied):
        services.save_view(by=ana, name="Para todos", query="", shared=True)
    with pytest.raises(ValidationError):
        services.save_view(by=ana, name="Para N1", query="", teams=[team_n1])
    assert not SavedView.objects.exists()


def test_a_manager_shares_a_view_with_some_teams(marta, ana, carla, team_n2):
    view = services.save_view(
        by=marta, name="Urgentes N2", query="priority=urgent", shared=True, teams=[team_n2]
    )
    assert view.owner is None and view.created_by == marta
    assert list(view.teams.all()) == [team_n2]
    assert view in saved_views_offered_to(carla)
    assert view not in saved_views_offered_to(ana)
    assert view in saved_views_offered_to(marta)


def test_each_person_is_offered_their_own_views_and_the_shared_ones(ana, bruno, marta):
    mine = services.save_view(by=ana, name="Mías", query="queue=mine")
    brunos = services.save_view(by=bruno, name="De Bruno", query="queue=mine")
    shared = services.save_view(by=marta, name="Desk", query="", shared=True)
    martas = services.save_view(by=marta, name="De Marta", query="")
    assert set(saved_views_offered_to(ana)) == {mine, shared}
    # managers too see only their own personal views
    assert set(saved_views_offered_to(marta)) == {shared, martas}
    assert set(saved_views_editable_by(ana)) == {mine}
    assert set(saved_views_editable_by(marta)) == {shared, martas}
    assert brunos not in saved_views_offered_to(marta)


def test_nobody_renames_or_deletes_another_persons_view(ana, bruno, marta):
    view = services.save_view(by=ana, name="Mías", query="queue=mine")
    for someone in (bruno, marta):
        with pytest.raises(PermissionDenied):
            services.rename_view(by=someone, view=view, name="Ajena")
        with pytest.raises(PermissionDenied):
            services.delete_view(by=someone, view=view)
    view.refresh_from_db()
    assert view.name == "Mías"


def test_agents_cannot_change_shared_views_managers_can(ana, marta):
    view = services.save_view(by=marta, name="Desk", query="", shared=True)
    with pytest.raises(PermissionDenied, match="Only managers"):
        services.rename_view(by=ana, view=view, name="Mine now")
    with pytest.raises(PermissionDenied):
        services.delete_view(by=ana, view=view)
    services.rename_view(by=marta, view=view, name="Todo el desk")
    view.refresh_from_db()
    assert view.name == "Todo el desk"
    services.delete_view(by=marta, view=view)
    assert not SavedView.objects.exists()


def test_renaming_to_a_taken_name_is_refused(ana):
    services.save_view(by=ana, name="Uno", query="")
    two = services.save_view(by=ana, name="Dos", query="priority=high")
    with pytest.raises(ValidationError, match="already have"):
        services.rename_view(by=ana, view=two, name="uno")
    services.rename_view(by=ana, view=two, name="DOS")  # its own name in another case
    two.refresh_from_db()
    assert two.name == "DOS"


def test_a_views_count_is_over_the_tickets_its_viewer_may_see(ana, carla, marta, team_n1, team_n2):
    make_ticket(by=ana, team=team_n1, priority="urgent")
    make_ticket(by=ana, team=team_n1, priority="urgent")
    make_ticket(by=carla, team=team_n2, priority="urgent")
    make_ticket(by=carla, team=team_n2, priority="low")
    view = services.save_view(by=marta, name="Urgentes", query="priority=urgent", shared=True)
    counts = {
        person.username: (tab.count, tab.count_is_capped)
        for person in (ana, carla, marta)
        for tab in saved_view_tabs(person, [view])
    }
    assert counts == {"ana": (2, False), "carla": (1, False), "marta": (3, False)}
    assert set(saved_view_tickets(carla, view.query).values_list("team", flat=True)) == {team_n2.pk}


def test_a_views_count_stops_at_its_cap(ana, team_n1, settings, monkeypatch):
    monkeypatch.setattr("cases.queues.VIEW_COUNT_CAP", 2)
    for _n in range(3):
        make_ticket(by=ana, team=team_n1)
    view = services.save_view(by=ana, name="Todo", query="queue=teams")
    [tab] = saved_view_tabs(ana, [view])
    assert (tab.count, tab.count_is_capped) == (2, True)
