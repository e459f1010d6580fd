"""The follow-up inbox: managers only, tabs and filters, oldest open first, the customer's
contact data; the detail page takes ownership, assigns, changes status and adds notes through
`update_follow_up`, and refusals keep what was typed."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import EventKind
from surveys import services
from surveys.errors import FollowUpError
from surveys.forms_manager import FollowUpForm, add_follow_up_error
from surveys.models import FollowUp, FollowUpNote, FollowUpStatus
from surveys.services import update_follow_up
from tests.factories import CustomerFactory, ManagerFactory, UserFactory
from tests.surveys.test_responses_page import ESCAPED, PAYLOAD, answered

LIST_URL = reverse("surveys:follow_up_list")


def detail_url(follow_up) -> str:
    return reverse("surveys:follow_up_detail", args=[follow_up.pk])


def shown(response) -> list[int]:
    return [f.pk for f in response.context["page_obj"]]


def tab_counts(response) -> dict[str, int]:
    return {name: count for name, _label, count in response.context["tabs"]}


@pytest.fixture
def loop(ana, carla, marta, team_n1, team_n2):
    """Four follow-ups, opened on different days: old_n1 (10 days, NPS detractor), mid_n2
    (5 days, unhappy CSAT, contacted by Marta), new_n1 (1 day, both reasons) and done_n2
    (20 days, resolved). No follow-up for a happy customer."""
    now = timezone.now()
    f = {
        "old_n1": answered(
            by=ana,
            team=team_n1,
            nps=3,
            comment="Took ages",
            at=now - timedelta(days=10),
            customer=CustomerFactory(
                name="Olga Ortiz", email="olga@example.com", phone="+57 1 555"
            ),
        ).follow_up,
        "mid_n2": answered(by=carla, team=team_n2, csat=2, at=now - timedelta(days=5)).follow_up,
        "new_n1": answered(
            by=ana, team=team_n1, csat=1, nps=0, at=now - timedelta(days=1)
        ).follow_up,
        "done_n2": answered(by=carla, team=team_n2, nps=6, at=now - timedelta(days=20)).follow_up,
    }
    answered(by=ana, team=team_n1, csat=5, nps=10)
    update_follow_up(follow_up=f["mid_n2"], by=marta, owner=marta, status=FollowUpStatus.CONTACTED)
    update_follow_up(follow_up=f["done_n2"], by=marta, status=FollowUpStatus.RESOLVED)
    return {name: FollowUp.objects.get(pk=fu.pk) for name, fu in f.items()}


def pks(loop, *names) -> list[int]:
    return [loop[name].pk for name in names]


# --- who may use it ---------------------------------------------------------------------------


@pytest.mark.parametrize("agent", ["ana", "carla"])
def test_agents_are_refused_the_inbox_and_every_follow_up(client, loop, request, agent):
    client.force_login(request.getfixturevalue(agent))
    assert client.get(LIST_URL).status_code == 403
    assert client.get(detail_url(loop["old_n1"])).status_code == 403
    response = client.post(detail_url(loop["old_n1"]), {"take": "1"})
    assert response.status_code == 403
    assert FollowUp.objects.get(pk=loop["old_n1"].pk).owner is None


def test_anonymous_visitors_go_to_the_login_page_and_change_nothing(client, loop):
    for response in (
        client.get(LIST_URL),
        client.get(detail_url(loop["old_n1"])),
        client.post(detail_url(loop["old_n1"]), {"status": "resolved"}),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert FollowUp.objects.get(pk=loop["old_n1"].pk).status == FollowUpStatus.OPEN


def test_a_user_without_a_role_is_refused(client, loop):
    client.force_login(UserFactory(username="nobody"))
    assert client.get(LIST_URL).status_code == 403
    assert client.get(detail_url(loop["old_n1"])).status_code == 403


@pytest.mark.parametrize("user", ["marta", "adrian"])
def test_managers_and_admins_work_the_inbox(client, loop, request, user):
    client.force_login(request.getfixturevalue(user))
    assert client.get(LIST_URL).status_code == 200
    assert client.get(detail_url(loop["old_n1"])).status_code == 200


def test_an_unknown_follow_up_is_404(client, loop, marta):
    client.force_login(marta)
    assert client.get(reverse("surveys:follow_up_detail", args=[999999])).status_code == 404


# --- the list ---------------------------------------------------------------------------------


def test_the_inbox_opens_on_the_open_ones_oldest_first(client, loop, marta):
    client.force_login(marta)
    page = client.get(LIST_URL)
    assert page.context["status"] == "open"
    assert shown(page) == pks(loop, "old_n1", "new_n1")
    assert tab_counts(page) == {"open": 2, "contacted": 1, "resolved": 1, "all": 4}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("contacted", ["mid_n2"]),
        ("resolved", ["done_n2"]),
        ("all", ["old_n1", "new_n1", "mid_n2", "done_n2"]),
        ("bogus", ["old_n1", "new_n1"]),
    ],
)
def test_each_status_tab(client, loop, marta, status, expected):
    client.force_login(marta)
    assert shown(client.get(LIST_URL, {"status": status})) == pks(loop, *expected)


def test_filtering_by_team_narrows_the_rows_and_the_tab_counts(client, loop, marta, team_n2):
    client.force_login(marta)
    page = client.get(LIST_URL, {"status": "all", "team": team_n2.pk})
    assert shown(page) == pks(loop, "mid_n2", "done_n2")
    assert tab_counts(page) == {"open": 0, "contacted": 1, "resolved": 1, "all": 2}


def test_a_tab_with_more_than_the_cap_says_so_and_pages_on(client, loop, marta, monkeypatch):
    """The tab counts stop at the lists' cap (cases.paginator): "All" has 4 here, over a
    cap of 3; the open tab's 2 is exact. The pages still go on past the cap."""
    monkeypatch.setattr("cases.paginator.COUNT_CAP", 3)
    monkeypatch.setattr("surveys.views.follow_ups.PAGE_SIZE", 2)
    client.force_login(marta)
    page = client.get(LIST_URL, {"status": "all", "page": 2})
    assert tab_counts(page) == {"open": 2, "contacted": 1, "resolved": 1, "all": 3}
    html = page.content.decode()
    assert 'tab-count">3+<' in html and 'tab-count">2<' in html
    assert shown(page) == pks(loop, "mid_n2", "done_n2")
    assert "3–4 of 3+" in html


def test_mine_and_nobody_filter_by_owner(client, loop, marta):
    client.force_login(marta)
    assert shown(client.get(LIST_URL, {"status": "all", "owner": "mine"})) == pks(loop, "mid_n2")
    nobody = client.get(LIST_URL, {"status": "all", "owner": "nobody"})
    assert shown(nobody) == pks(loop, "old_n1", "new_n1", "done_n2")
    other = ManagerFactory(username="mateo")
    client.force_login(other)
    assert shown(client.get(LIST_URL, {"status": "all", "owner": "mine"})) == []


def test_a_row_gives_what_a_manager_needs_to_call_back(client, loop, marta):
    client.force_login(marta)
    html = client.get(LIST_URL).content.decode()
    row = html[html.index(f'data-follow-up="{loop["old_n1"].pk}"') :]
    row = row[: row.index("</tr>")]
    ticket = loop["old_n1"].ticket
    assert ticket.reference in row and ticket.subject in row
    assert "Olga Ortiz" in row and "olga@example.com" in row and "+57 1 555" in row
    assert "NPS 3/10" in row
    assert "Took ages" in row
    assert "NPS detractor" in row
    assert "Nobody yet" in row
    assert "1\xa0week" in row  # age: opened ten days ago
    new_row = html[html.index(f'data-follow-up="{loop["new_n1"].pk}"') :]
    new_row = new_row[: new_row.index("</tr>")]
    assert "NPS detractor" in new_row and "Unhappy CSAT" in new_row


def test_the_navigation_shows_the_open_count_to_managers_only(client, loop, marta, ana):
    client.force_login(marta)
    html = client.get(reverse("cases:queue")).content.decode()
    assert 'open-follow-ups">2<' in html
    assert reverse("surveys:follow_up_list") in html
    assert reverse("surveys:response_list") in html
    client.force_login(ana)
    html = client.get(reverse("cases:queue")).content.decode()
    assert "open-follow-ups" not in html
    assert reverse("surveys:follow_up_list") not in html
    assert reverse("surveys:response_list") in html


def test_the_open_count_costs_agents_no_query_and_managers_one(
    rf, loop, marta, ana, django_assert_num_queries
):
    from django.template import Context, Template

    template = Template("{% load survey_tags %}{% open_follow_up_count as n %}[{{ n }}]")
    for user, queries, text in ((ana, 0, "[None]"), (marta, 1, "[2]")):
        request = rf.get("/")
        request.user = user
        user.role  # noqa: B018 - cached by the context processor on every page
        with django_assert_num_queries(queries):
            assert template.render(Context({"request": request})) == text
            # a second use on the same page does not ask again
            assert template.render(Context({"request": request})) == text


# --- the detail page and its form -------------------------------------------------------------


def test_the_detail_shows_the_answer_the_ticket_and_how_to_reach_the_customer(client, loop, marta):
    follow_up = loop["old_n1"]
    client.force_login(marta)
    html = client.get(detail_url(follow_up)).content.decode()
    assert reverse("cases:ticket_detail", args=[follow_up.ticket_id]) in html
    assert "olga@example.com" in html and "+57 1 555" in html
    assert "Took ages" in html
    assert "NPS 3/10" in html
    assert "Take it" in html


def test_taking_ownership(client, loop, marta):
    follow_up = loop["old_n1"]
    client.force_login(marta)
    response = client.post(detail_url(follow_up), {"take": "1"}, follow=True)
    assert response.redirect_chain == [(detail_url(follow_up), 302)]
    assert "You own this follow-up now." in response.content.decode()
    assert FollowUp.objects.get(pk=follow_up.pk).owner == marta
    event = follow_up.ticket.events.filter(kind=EventKind.FOLLOW_UP_UPDATED).get()
    assert event.actor == marta and event.data["owner"] == "Marta Gómez"
    assert "Take it" not in response.content.decode()


def test_taking_what_is_already_yours_says_so_and_changes_nothing(client, loop, marta):
    follow_up = loop["mid_n2"]
    client.force_login(marta)
    response = client.post(detail_url(follow_up), {"take": "1"}, follow=True)
    assert "Nothing to change." in response.content.decode()
    assert follow_up.ticket.events.filter(kind=EventKind.FOLLOW_UP_UPDATED).count() == 1


def test_assigning_an_owner_changing_status_and_adding_a_note_in_one_go(client, loop, marta, bruno):
    follow_up = loop["old_n1"]
    client.force_login(marta)
    response = client.post(
        detail_url(follow_up),
        {"owner": bruno.pk, "status": "contacted", "note": "Called, will call back Friday."},
    )
    assert response.status_code == 302 and response["Location"] == detail_url(follow_up)
    follow_up.refresh_from_db()
    assert (follow_up.owner, follow_up.status) == (bruno, FollowUpStatus.CONTACTED)
    note = FollowUpNote.objects.get(follow_up=follow_up)
    assert (note.author, note.body) == (marta, "Called, will call back Friday.")
    page = client.get(detail_url(follow_up)).content.decode()
    assert "Follow-up updated." in page
    assert "Called, will call back Friday." in page
    assert "Marta Gómez" in page[page.index("follow-up-notes") :]


def test_status_may_go_back_and_forth_and_resolving_stamps_the_time(client, loop, marta):
    follow_up = loop["old_n1"]
    client.force_login(marta)
    for status in ("resolved", "open", "contacted", "resolved"):
        response = client.post(detail_url(follow_up), {"owner": "", "status": status})
        assert response.status_code == 302
        follow_up.refresh_from_db()
        assert follow_up.status == status
        assert (follow_up.closed_at is not None) == (status == "resolved")


def test_a_note_alone_is_enough(client, loop, marta):
    follow_up = loop["old_n1"]
    client.force_login(marta)
    response = client.post(
        detail_url(follow_up), {"owner": "", "status": "open", "note": "Voicemail"}
    )
    assert response.status_code == 302
    assert FollowUpNote.objects.filter(follow_up=follow_up, body="Voicemail").exists()


def test_removing_the_owner(client, loop, marta):
    follow_up = loop["mid_n2"]
    client.force_login(marta)
    response = client.post(detail_url(follow_up), {"owner": "", "status": "contacted"})
    assert response.status_code == 302
    assert FollowUp.objects.get(pk=follow_up.pk).owner is None


def test_submitting_nothing_new_is_a_form_error_and_writes_nothing(client, loop, marta):
    follow_up = loop["old_n1"]
    client.force_login(marta)
    response = client.post(detail_url(follow_up), {"owner": "", "status": "open", "note": "  "})
    assert response.status_code == 400
    assert "Nothing to change." in response.content.decode()
    assert not follow_up.ticket.events.filter(kind=EventKind.FOLLOW_UP_UPDATED).exists()


@pytest.mark.parametrize(
    "data",
    [
        {"owner": "", "status": "escalated", "note": "Keep me"},
        {"owner": "999999", "status": "contacted", "note": "Keep me"},
        {"owner": "", "status": "contacted", "note": "Keep me" + "x" * 5000},
    ],
)
def test_invalid_input_is_refused_and_what_was_typed_is_kept(client, loop, marta, data):
    follow_up = loop["old_n1"]
    client.force_login(marta)
    response = client.post(detail_url(follow_up), data)
    assert response.status_code == 400
    assert response.context["form"].errors
    assert "Keep me" in response.content.decode()
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.owner) == (FollowUpStatus.OPEN, None)
    assert not FollowUpNote.objects.exists()


def test_an_inactive_or_roleless_user_cannot_become_owner(client, loop, marta, bruno):
    follow_up = loop["old_n1"]
    outsider = UserFactory(username="outsider")
    bruno.is_active = False
    bruno.save(update_fields=["is_active"])
    client.force_login(marta)
    for person in (outsider, bruno):
        response = client.post(detail_url(follow_up), {"owner": person.pk, "status": "open"})
        assert response.status_code == 400
        assert "owner" in response.context["form"].errors
    assert FollowUp.objects.get(pk=follow_up.pk).owner is None


def test_an_owner_who_lost_their_role_keeps_their_follow_up_but_gets_no_other(
    client, loop, marta, bruno
):
    """The form still offers the current owner, so the follow-up can be worked on without
    reassigning it; nobody can hand a roleless person another one."""
    follow_up = loop["old_n1"]
    update_follow_up(follow_up=follow_up, by=marta, owner=bruno)
    bruno.groups.clear()
    client.force_login(marta)
    response = client.post(detail_url(follow_up), {"owner": bruno.pk, "status": "contacted"})
    # Bruno is still the owner, so the owner does not change; the status does.
    assert response.status_code == 302
    other = loop["new_n1"]
    response = client.post(detail_url(other), {"owner": bruno.pk, "status": "open"})
    assert response.status_code == 400
    assert "owner" in response.context["form"].errors


def test_a_service_refusal_shows_on_the_field_it_names_keeping_the_input(
    client, loop, marta, monkeypatch
):
    def refuse(**kwargs):
        raise FollowUpError("Not now.", field="status")

    monkeypatch.setattr(services, "update_follow_up", refuse)
    client.force_login(marta)
    response = client.post(
        detail_url(loop["old_n1"]), {"owner": "", "status": "resolved", "note": "Typed text"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["status"] == ["Not now."]
    assert "Typed text" in response.content.decode()


def test_a_service_refusal_without_a_field_goes_on_the_form(loop):
    form = FollowUpForm({"status": "open"}, follow_up=loop["old_n1"])
    form.is_valid()
    add_follow_up_error(form, FollowUpError("Only managers work on follow-ups.", field="who"))
    assert form.non_field_errors() == ["Only managers work on follow-ups."]


def test_notes_and_history_are_listed_with_author_and_time(client, loop, marta):
    follow_up = loop["old_n1"]
    update_follow_up(follow_up=follow_up, by=marta, note="First call: no answer")
    update_follow_up(follow_up=follow_up, by=marta, note="Second call: sorted")
    client.force_login(marta)
    html = client.get(detail_url(follow_up)).content.decode()
    notes = html[html.index("follow-up-notes") :]
    assert notes.index("First call: no answer") < notes.index("Second call: sorted")
    assert "Marta Gómez" in notes
    history = html[html.index("follow-up-history") :]
    assert "Follow-up opened" in history and "NPS detractor" in history


def test_everything_typed_comes_back_escaped(client, marta, ana, team_n1):
    customer = CustomerFactory(name=f"Eve {PAYLOAD}", phone=PAYLOAD, email="eve@example.com")
    follow_up = answered(
        by=ana, team=team_n1, nps=0, comment=PAYLOAD, customer=customer, subject=PAYLOAD
    ).follow_up
    update_follow_up(follow_up=follow_up, by=marta, note=PAYLOAD)
    client.force_login(marta)
    for url in (LIST_URL, detail_url(follow_up)):
        html = client.get(url).content.decode()
        assert PAYLOAD not in html
        assert ESCAPED in html


def test_the_page_names_who_resolved_the_ticket_not_only_its_assignee(
    client, marta, ana, bruno, team_n1
):
    """Bruno covers for Ana and resolves her ticket: the follow-up says Bruno resolved it
    (and that it was Ana's); the survey still counts for Ana, the assignee."""
    from cases import services as case_services
    from surveys.models import SurveyInvitation
    from tests.factories import make_ticket

    ticket = make_ticket(by=ana, customer=CustomerFactory(), team=team_n1, assignee=ana)
    case_services.add_reply(ticket=ticket, by=ana, body="Looking into it.")
    case_services.resolve_ticket(ticket=ticket, by=bruno, resolution="Refunded.")
    invitation = SurveyInvitation.objects.get(ticket=ticket)
    follow_up = services.answer_survey(invitation=invitation, csat=1).follow_up
    assert follow_up.response.agent == ana

    client.force_login(marta)
    page = client.get(detail_url(follow_up)).content.decode()
    assert "Resolved by Bruno Díaz (Soporte N1)." in page
    assert "Assigned to Ana Pérez." in page
    assert "Resolved by Ana" not in page

    client.cookies["django_language"] = "es"
    page = client.get(detail_url(follow_up), headers={"accept-language": "es"}).content.decode()
    assert "Resuelto por Bruno Díaz (Soporte N1)." in page
