"""The survey responses list and its CSV export: who sees which answers, every filter, the
period presets, the KPI summary (docs/kpis.md's worked example), pagination, the export and its
formula-injection guard, escaping."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from cases.csv_safety import neutralise
from cases.models import Channel, Priority
from surveys.filters import ResponseFilter
from surveys.models import InvitationStatus, SurveyInvitation, SurveyResponse
from surveys.selectors import response_summary, responses_visible_to
from surveys.services import answer_survey
from tests.factories import AgentFactory, CustomerFactory, UserFactory, make_ticket

LIST_URL = reverse("surveys:response_list")
EXPORT_URL = reverse("surveys:response_export")
PAYLOAD = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


def answered(
    *,
    by,
    team,
    csat=None,
    ces=None,
    nps=None,
    comment="",
    at=None,
    customer=None,
    **ticket_fields,
) -> SurveyResponse:
    """A ticket of `team` worked and resolved by `by` (a fresh customer each time, so the
    survey throttle never interferes), and the customer's answer to its survey."""
    ticket = make_ticket(
        by=by,
        customer=customer or CustomerFactory.create(),
        team=team,
        assignee=by,
        **ticket_fields,
    )
    case_services.add_reply(ticket=ticket, by=by, body="Here is the fix.")
    case_services.resolve_ticket(ticket=ticket, by=by, resolution="Fixed it.")
    invitation = SurveyInvitation.objects.get(ticket=ticket)
    return answer_survey(invitation=invitation, csat=csat, ces=ces, nps=nps, comment=comment, at=at)


def shown(response) -> set[int]:
    return {r.pk for r in response.context["page_obj"]}


def export_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


@pytest.fixture
def dora(team_n3):
    return AgentFactory(username="dora", first_name="Dora", last_name="Vega", teams=[team_n3])


@pytest.fixture
def desk(ana, bruno, carla, dora, marta, team_n1, team_n2, team_n3, billing):
    """Four answers: by Ana (N1, billing, e-mail, urgent), by Bruno (N1), by Carla (N2, chat),
    and by Dora for N3 — who has moved to N2 since: the answer stays N3's, and hers."""
    responses = {
        "ana": answered(
            by=ana,
            team=team_n1,
            csat=5,
            ces=7,
            nps=10,
            comment="Great help",
            category=billing,
            channel=Channel.EMAIL,
            priority=Priority.URGENT,
        ),
        "bruno": answered(by=bruno, team=team_n1, csat=3, ces=4, nps=8),
        "carla": answered(
            by=carla, team=team_n2, csat=1, ces=2, nps=3, comment="", channel=Channel.CHAT
        ),
        "dora": answered(by=dora, team=team_n3, csat=4, nps=7),
    }
    team_n3.members.remove(dora)
    team_n2.members.add(dora)
    return responses


def ids(desk, *names) -> set[int]:
    return {desk[name].pk for name in names}


# --- who sees what ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("ana", ["ana", "bruno"]),
        ("bruno", ["ana", "bruno"]),
        ("carla", ["carla"]),
        ("dora", ["carla", "dora"]),
        ("marta", ["ana", "bruno", "carla", "dora"]),
        ("adrian", ["ana", "bruno", "carla", "dora"]),
    ],
)
def test_each_role_sees_its_teams_answers_and_those_it_resolved(
    client, desk, adrian, request, user, expected
):
    client.force_login(request.getfixturevalue(user))
    page = client.get(LIST_URL)
    assert page.status_code == 200
    assert shown(page) == ids(desk, *expected)


def test_an_agent_of_one_team_never_sees_another_teams_comment(client, desk, bruno, carla):
    answered(by=carla, team=desk["carla"].team, csat=2, comment="Secret N2 feedback")
    client.force_login(bruno)
    assert "Secret N2 feedback" not in client.get(LIST_URL).content.decode()
    rows = export_rows(client.get(EXPORT_URL))
    assert not any("Secret N2 feedback" in cell for row in rows for cell in row)


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, desk):
    for url in (LIST_URL, EXPORT_URL):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_a_user_without_a_role_is_refused(client, desk):
    client.force_login(UserFactory(username="nobody"))
    assert client.get(LIST_URL).status_code == 403
    assert client.get(EXPORT_URL).status_code == 403


def test_the_list_answers_only_to_get(client, desk, marta):
    client.force_login(marta)
    assert client.post(LIST_URL).status_code == 405
    assert client.post(EXPORT_URL).status_code == 405


# --- the columns ------------------------------------------------------------------------------


def test_a_row_shows_the_ticket_customer_people_scores_and_comment(client, desk, marta):
    client.force_login(marta)
    html = client.get(LIST_URL).content.decode()
    mine = desk["ana"]
    row = html[html.index(f'data-response="{mine.pk}"') :]
    row = row[: row.index("</tr>")]
    assert reverse("cases:ticket_detail", args=[mine.ticket_id]) in row
    assert mine.ticket.reference in row
    assert mine.ticket.subject in row
    assert mine.ticket.customer.name in row
    assert "Ana Pérez" in row
    assert "Soporte N1" in row
    assert "5/5" in row and "7/7" in row and "10/10" in row
    assert "score-promoter" in row and "score-satisfied" in row
    assert "Great help" in row


def test_scores_are_coloured_by_group(client, desk, marta):
    client.force_login(marta)
    html = client.get(LIST_URL).content.decode()
    carla_row = html[html.index(f'data-response="{desk["carla"].pk}"') :]
    carla_row = carla_row[: carla_row.index("</tr>")]
    assert "score-detractor" in carla_row and "text-bg-danger" in carla_row
    assert "score-unhappy" in carla_row
    bruno_row = html[html.index(f'data-response="{desk["bruno"].pk}"') :]
    assert "score-passive" in bruno_row[: bruno_row.index("</tr>")]


def test_the_follow_up_status_links_to_the_follow_up_for_managers_only(client, desk, marta, carla):
    follow_up = desk["carla"].follow_up
    link = reverse("surveys:follow_up_detail", args=[follow_up.pk])
    client.force_login(marta)
    assert link in client.get(LIST_URL).content.decode()
    client.force_login(carla)
    html = client.get(LIST_URL).content.decode()
    assert link not in html
    assert "follow-up-status-open" in html


def test_the_comment_is_shown_in_full_and_escaped(client, ana, team_n1, marta):
    long_comment = "line one\n" + ("word " * 400) + "\nlast line " + PAYLOAD
    answered(by=ana, team=team_n1, csat=2, comment=long_comment)
    client.force_login(marta)
    html = client.get(LIST_URL).content.decode()
    assert "last line " + ESCAPED in html
    assert ("word " * 400) in html
    assert PAYLOAD not in html


def test_names_and_subjects_come_out_escaped(client, team_n1, marta):
    agent = AgentFactory(username="mallory", first_name=PAYLOAD, teams=[team_n1])
    customer = CustomerFactory(name=f"Eve {PAYLOAD}")
    answered(by=agent, team=team_n1, csat=1, customer=customer, subject=f"Subject {PAYLOAD}")
    client.force_login(marta)
    html = client.get(LIST_URL).content.decode()
    assert PAYLOAD not in html
    assert f"Eve {ESCAPED}" in html
    assert f"Subject {ESCAPED}" in html


def test_the_page_needs_a_fixed_number_of_queries(
    client, desk, marta, ana, team_n1, django_assert_max_num_queries
):
    client.force_login(marta)
    client.get(LIST_URL)  # warm the session and the role
    with django_assert_max_num_queries(14) as few:
        client.get(LIST_URL)
    for n in range(5):
        answered(by=ana, team=team_n1, csat=2, nps=n)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(LIST_URL)


# --- filters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"team": "n2"}, ["carla"]),
        ({"team": "n3"}, ["dora"]),
        ({"agent": "ana"}, ["ana"]),
        ({"agent": "dora"}, ["dora"]),
        ({"channel": Channel.CHAT}, ["carla"]),
        ({"category": "billing"}, ["ana"]),
        ({"priority": Priority.URGENT}, ["ana"]),
        ({"csat": "3"}, ["bruno"]),
        ({"ces": "2"}, ["carla"]),
        ({"nps": "7"}, ["dora"]),
        ({"group": "promoter"}, ["ana"]),
        ({"group": "passive"}, ["bruno", "dora"]),
        ({"group": "detractor"}, ["carla"]),
        ({"group": "satisfied"}, ["ana", "dora"]),
        ({"group": "unhappy"}, ["carla"]),
        ({"group": "commented"}, ["ana"]),
        ({"team": "n1", "group": "passive"}, ["bruno"]),
        ({"nps": "eleven"}, ["ana", "bruno", "carla", "dora"]),
        ({"group": "nonsense"}, ["ana", "bruno", "carla", "dora"]),
    ],
)
def test_each_filter_narrows_the_list_and_the_export_alike(
    client, desk, marta, ana, dora, team_n1, team_n2, team_n3, billing, params, expected
):
    objects = {
        "n1": team_n1.pk,
        "n2": team_n2.pk,
        "n3": team_n3.pk,
        "ana": ana.pk,
        "dora": dora.pk,
        "billing": billing.pk,
    }
    query = {key: objects.get(value, value) for key, value in params.items()}
    client.force_login(marta)
    page = client.get(LIST_URL, query)
    assert page.status_code == 200
    assert shown(page) == ids(desk, *expected)
    rows = export_rows(client.get(EXPORT_URL, query))
    assert {row[1] for row in rows[1:]} == {desk[name].ticket.reference for name in expected}


def test_filters_cannot_widen_what_an_agent_sees(client, desk, bruno, team_n2):
    client.force_login(bruno)
    assert shown(client.get(LIST_URL, {"team": team_n2.pk})) == set()


@pytest.fixture
def dated(ana, team_n1):
    now = timezone.now()
    return {
        days: answered(by=ana, team=team_n1, csat=4, at=now - timedelta(days=days))
        for days in (0, 3, 20, 60, 120)
    }


def test_answered_after_and_before_bound_the_period_by_local_date(client, dated, marta):
    today = timezone.localdate()
    client.force_login(marta)
    page = client.get(
        LIST_URL,
        {
            "answered_after": (today - timedelta(days=60)).isoformat(),
            "answered_before": (today - timedelta(days=3)).isoformat(),
        },
    )
    assert shown(page) == {dated[20].pk, dated[60].pk}


@pytest.mark.parametrize(
    ("period", "days"),
    [("7", [0, 3]), ("30", [0, 3, 20]), ("90", [0, 3, 20, 60]), ("", [0, 3, 20, 60, 120])],
)
def test_period_presets_count_back_from_today(client, dated, marta, period, days):
    client.force_login(marta)
    page = client.get(LIST_URL, {"period": period} if period else {})
    assert shown(page) == {dated[d].pk for d in days}
    assert page.context["period"] == period
    rows = export_rows(client.get(EXPORT_URL, {"period": period} if period else {}))
    assert len(rows) - 1 == len(days)


def test_a_period_preset_wins_over_typed_dates_and_stays_in_the_links(client, dated, marta):
    client.force_login(marta)
    page = client.get(LIST_URL, {"period": "30", "answered_before": "2000-01-01"})
    assert shown(page) == {dated[d].pk for d in (0, 3, 20)}
    html = page.content.decode()
    assert 'data-period="30"' in html
    assert f'{EXPORT_URL}?period=30&amp;answered_before=2000-01-01"' in html
    start = (timezone.localdate() - timedelta(days=29)).isoformat()
    assert f'value="{start}"' in html  # the form shows the preset's start date


def test_an_unknown_period_is_ignored(client, dated, marta):
    client.force_login(marta)
    page = client.get(LIST_URL, {"period": "365"})
    assert len(shown(page)) == 5
    assert page.context["period"] == ""


def test_pagination_keeps_the_filters_and_the_export_has_every_row(
    client, ana, team_n1, team_n2, carla, marta
):
    for n in range(26):
        answered(by=ana, team=team_n1, csat=1 + n % 5, nps=n % 11)
    answered(by=carla, team=team_n2, csat=5)
    client.force_login(marta)
    first = client.get(LIST_URL, {"team": team_n1.pk})
    assert len(first.context["page_obj"]) == 25
    html = first.content.decode()
    assert f"?team={team_n1.pk}&amp;page=2" in html
    second = client.get(LIST_URL, {"team": team_n1.pk, "page": 2})
    assert len(second.context["page_obj"]) == 1
    assert len(export_rows(client.get(EXPORT_URL, {"team": team_n1.pk}))) == 1 + 26


# --- the summary ------------------------------------------------------------------------------

CSAT = [5, 5, 4, 4, 4, 3, 2, 5, 1, 4]
NPS = [10, 9, 9, 10, 8, 7, 7, 6, 5, 3, 0, 9]
CES = [7, 6, 5, 2, 4]


@pytest.fixture
def worked_example(ana, team_n1):
    """docs/kpis.md's shared test vector: 12 answers, 10 with CSAT, 12 with NPS, 5 with CES."""
    for i, nps in enumerate(NPS):
        answered(
            by=ana,
            team=team_n1,
            nps=nps,
            csat=CSAT[i] if i < len(CSAT) else None,
            ces=CES[i] if i < len(CES) else None,
        )


def test_the_summary_follows_kpi_md_worked_example(client, worked_example, marta):
    client.force_login(marta)
    page = client.get(LIST_URL)
    summary = page.context["summary"]
    assert summary["count"] == 12
    assert str(summary["csat"]) == "70.0"
    assert str(summary["nps"]) == "8.3"
    assert str(summary["ces"]) == "4.80"
    assert (summary["csat_n"], summary["nps_n"], summary["ces_n"]) == (10, 12, 5)
    html = page.content.decode()
    assert "70.0 %" in html and "8.3" in html and "4.80" in html


def test_the_summary_is_one_aggregate_query_also_for_an_agent(
    worked_example, ana, django_assert_num_queries
):
    queryset = ResponseFilter({}, queryset=responses_visible_to(ana)).qs
    with django_assert_num_queries(1):
        summary = response_summary(queryset)
    assert str(summary["nps"]) == "8.3"


def test_the_summary_covers_the_filtered_set(client, worked_example, marta):
    client.force_login(marta)
    summary = client.get(LIST_URL, {"group": "detractor"}).context["summary"]
    # NPS 6 5 3 0 (answers 8 to 11) → all detractors; CSAT of answers 8–10 is 5 1 4 and
    # answer 11 has none → 2 of 3 ≥ 4; none of them answered CES.
    assert summary["count"] == 4
    assert str(summary["nps"]) == "-100.0"
    assert str(summary["csat"]) == "66.7"
    assert summary["ces"] is None


def test_an_empty_set_shows_dashes_not_zeros(client, marta, team_n1):
    client.force_login(marta)
    page = client.get(LIST_URL, {"team": team_n1.pk})
    summary = page.context["summary"]
    assert summary["count"] == 0
    assert summary["csat"] is None and summary["nps"] is None and summary["ces"] is None
    html = page.content.decode()
    section = html[html.index("response-summary") : html.index("</section>")]
    assert section.count("—") == 3
    assert "No responses match these filters." in html


# --- failed invitations -----------------------------------------------------------------------


def test_managers_see_how_many_survey_emails_failed_with_a_link_to_the_admin(
    client, desk, marta, ana
):
    SurveyInvitation.objects.filter(pk=desk["bruno"].invitation_id).update(
        status=InvitationStatus.FAILED
    )
    marta.is_staff = True
    marta.save(update_fields=["is_staff"])
    client.force_login(marta)
    html = client.get(LIST_URL).content.decode()
    assert "1 failed survey e-mail" in html
    admin_url = reverse("admin:surveys_surveyinvitation_changelist") + "?status__exact=failed"
    assert admin_url in html
    client.force_login(ana)
    assert "failed survey e-mail" not in client.get(LIST_URL).content.decode()


def test_managers_see_failed_invitations_in_the_admin(client, desk, marta):
    invitation = SurveyInvitation.objects.get(pk=desk["bruno"].invitation_id)
    SurveyInvitation.objects.filter(pk=invitation.pk).update(
        status=InvitationStatus.FAILED, last_error="550 mailbox unavailable"
    )
    marta.is_staff = True
    marta.save(update_fields=["is_staff"])
    client.force_login(marta)
    changelist = client.get(
        reverse("admin:surveys_surveyinvitation_changelist"), {"status__exact": "failed"}
    )
    assert changelist.status_code == 200
    assert "550 mailbox unavailable" in changelist.content.decode()
    change = client.get(reverse("admin:surveys_surveyinvitation_change", args=[invitation.pk]))
    assert change.status_code == 200
    assert invitation.token_hash not in change.content.decode()
    assert b'name="_save"' not in change.content


@pytest.mark.parametrize(
    "name",
    [
        "admin:surveys_surveyinvitation_changelist",
        "admin:surveys_surveyresponse_changelist",
        "admin:surveys_followup_changelist",
    ],
)
def test_survey_rows_are_read_only_in_the_admin(client, desk, adrian, name):
    client.force_login(adrian)
    assert client.get(reverse(name)).status_code == 200
    add = name.replace("changelist", "add")
    assert client.get(reverse(add)).status_code == 403


def test_a_follow_up_is_read_only_in_the_admin(client, desk, adrian):
    follow_up = desk["carla"].follow_up
    client.force_login(adrian)
    url = reverse("admin:surveys_followup_change", args=[follow_up.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"status": "resolved"}).status_code == 403


# --- the CSV export ---------------------------------------------------------------------------


def test_the_export_has_a_translated_header_and_one_row_per_response(client, desk, marta):
    client.force_login(marta)
    response = client.get(EXPORT_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="pulso-survey-responses-{today}.csv"'
    )
    rows = export_rows(response)
    assert rows[0][:3] == ["Answered at", "Ticket", "Subject"]
    assert "Comment" in rows[0] and "CSAT (1-5)" in rows[0]
    assert len(rows) == 1 + 4
    by_ticket = {row[1]: row for row in rows[1:]}
    mine = desk["ana"]
    row = by_ticket[mine.ticket.reference]
    assert row[2:9] == [
        mine.ticket.subject,
        mine.ticket.customer.name,
        "Ana Pérez",
        "Soporte N1",
        "E-mail",
        "Billing",
        "Urgent",
    ]
    assert row[9:13] == ["5", "7", "10", "Great help"]
    assert by_ticket[desk["carla"].ticket.reference][13] == "Open"
    assert by_ticket[desk["dora"].ticket.reference][10] == ""  # CES not answered


def test_accents_survive_the_export(client, ana, team_n1, marta):
    answered(by=ana, team=team_n1, csat=5, comment="Atención rápida, ¡gracias! ñandú")
    client.force_login(marta)
    rows = export_rows(client.get(EXPORT_URL))
    assert rows[1][12] == "Atención rápida, ¡gracias! ñandú"


@pytest.mark.parametrize(
    "dangerous",
    ['=HYPERLINK("http://evil.example","click")', "+1", "-2", "@SUM(A1:A9)", "\tx", "\rx"],
)
def test_cells_that_a_spreadsheet_would_run_are_neutralised(client, team_n1, marta, dangerous):
    agent = AgentFactory(username="eve", first_name=dangerous, last_name="", teams=[team_n1])
    customer = CustomerFactory(name=dangerous)
    team_n1.name = dangerous
    team_n1.save(update_fields=["name"])
    response = answered(
        by=agent, team=team_n1, csat=1, comment=dangerous, customer=customer, subject=dangerous
    )
    response.ticket.refresh_from_db()
    client.force_login(marta)
    rows = export_rows(client.get(EXPORT_URL))
    row = next(r for r in rows[1:] if r[1] == response.ticket.reference)
    # Names are stored as typed; the services trim subjects and comments, so a leading tab
    # or CR may be gone from those — whatever is stored and dangerous gets the quote.
    assert row[3] == "'" + dangerous  # customer
    assert row[5] == "'" + dangerous  # team
    stored = ((2, response.ticket.subject), (4, agent.display_name), (12, response.comment))
    for column, value in stored:
        assert row[column] == neutralise(value)
        assert not row[column].startswith(("=", "+", "-", "@", "\t", "\r"))
    assert row[9] == "1"  # numbers are left alone


def test_neutralise_touches_only_the_dangerous_beginnings():
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("a=1") == "a=1"
    assert neutralise("Ana Pérez") == "Ana Pérez"
    assert neutralise("") == ""
    assert neutralise(None) == ""
    for start in ("=", "+", "-", "@", "\t", "\r", "\0"):
        assert neutralise(start + "x") == "'" + start + "x"
