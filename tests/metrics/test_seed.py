"""`seed_bench`: the benchmark's desk — consistent tickets, surveys, and rollups built from
them that answer what the live queries answer."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.test import override_settings
from django.utils import timezone

from cases.models import Ticket
from metrics import kpis
from metrics.kpis import Filters, Period
from surveys.models import SurveyResponse

pytestmark = pytest.mark.django_db


def test_seed_bench_writes_a_consistent_desk_and_its_rollups(capsys):
    call_command("seed_bench", "--tickets", "400", "--quiet")

    out = capsys.readouterr().out
    assert "tickets 400" in out and "KPI rollups rebuilt" in out
    assert Ticket.objects.count() == 400
    assert not Ticket.objects.filter(status="new", first_response_at__isnull=False).exists()
    assert not Ticket.objects.filter(
        status__in=["resolved", "closed"], resolved_at__isnull=True
    ).exists()
    assert not Ticket.objects.filter(resolved_at__lt=F("created_at")).exists()
    assert SurveyResponse.objects.exists()

    today = timezone.localdate()
    year = Period.of(today - timedelta(days=365), today)
    team = Ticket.objects.order_by("pk").values_list("team_id", flat=True).first()
    for question in (
        lambda: kpis.summary(year),
        lambda: kpis.summary(year, Filters(team=team)),
        lambda: kpis.timeseries("art_median", "week", year),
        lambda: kpis.many_breakdowns("agent", year),
        lambda: kpis.drivers(year),
    ):
        assert kpis._rollup_grain(year, Filters(), None) is not None
        from_rollups = question()
        with override_settings(METRICS_ROLLUPS=False):
            assert from_rollups == question()


def test_seed_bench_refuses_a_desk_that_has_tickets(ticket):
    with pytest.raises(CommandError, match="already has tickets"):
        call_command("seed_bench", "--tickets", "5", "--quiet")
