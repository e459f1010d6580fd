"""The manager dashboard, the agent's own dashboard and the CSV export of their tables.

Every number comes from `metrics.kpis` (KPI definitions in docs/kpis.md); what the page shows
of them — names, formatting, cards, tables — is `metrics.presentation`, which the metrics API
shares. The page asks the engine a fixed number of aggregate queries whatever the data size:
two summaries (the period and the previous one of equal length), one time series per KPI
family, the channel breakdown, the drivers and the per-agent breakdown — and the manager's
churn by experience (one statement) and macro table, three queries per macro in use (the
desk's macros, not its tickets).

Charts get their data through `json_script` and are drawn by static/js/dashboard.js (no inline
script: CSP). Labels are translated in `metrics.presentation`, so the charts speak the page's
language.
"""

import csv
from datetime import timedelta
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.views.decorators.http import require_GET

from cases.csv_safety import neutralise
from cases.models import Role, User
from cases.views.workspace import staff_required

from . import confidence, kpis
from .forms import CUSTOM, DashboardFilterForm
from .presentation.dashboard import EXPORTS, MANAGER_EXPORTS, Dashboard

MANAGER_ROLES = (Role.MANAGER, Role.ADMIN)


def _is_manager(user) -> bool:
    return user.role in MANAGER_ROLES


def _period_text(period: kpis.Period) -> str:
    last = period.end_date - timedelta(days=1)
    if last <= period.start_date:
        return date_format(period.start_date, "DATE_FORMAT")
    return f"{date_format(period.start_date, 'DATE_FORMAT')} – {date_format(last, 'DATE_FORMAT')}"


def _problem_period(period: kpis.Period) -> str:
    """The period as a problem opened from an explanation line reads it (the dashboard form's
    `from` and `to`, as `show_dates` writes them; docs/quality.md): managers only."""
    return urlencode({"from": period.start_date.isoformat(), "to": period.end_date.isoformat()})


def _page(request, *, agent: User | None):
    """The dashboard: everyone's tickets (managers) or `agent`'s own."""
    own = agent is not None
    form = DashboardFilterForm(request.GET, agent_scope=own)
    context = {
        "nav": "dashboard",
        "own": own,
        "form": form,
        "page_url": request.path,
    }
    if not form.is_valid():
        return render(request, "metrics/dashboard.html", context, status=400)
    with kpis.one_reading():
        return _render_page(request, form, context, agent)


def _render_page(request, form, context: dict, agent: User | None):
    period = form.kpi_period()
    board = Dashboard(period, form.kpi_filters(agent), form.chosen_points)
    query = form.query()
    charts = board.chart_data()
    if agent is None:
        charts["churn"] = board.churn_chart()
    context.update(
        {
            "board": board,
            "cards": board.cards(),
            "charts": charts,
            "chart_lists": board.chart_lists(charts),
            "driver_tables": board.driver_tables(),
            "agent_table": None if agent is not None else board.agent_table(),
            "macro_table": None if agent is not None else board.macro_table(),
            "churn_table": None if agent is not None else board.churn_table(),
            "min_sample": confidence.min_sample(),
            "period_text": _period_text(period),
            "previous_text": _period_text(period.previous()),
            "custom": form.preset == CUSTOM,
            "export_query": urlencode(query, doseq=True),
            "filtered": any(key != "period" for key in query) or "period" in request.GET,
            "problem_period": None if agent is not None else _problem_period(period),
        }
    )
    form.show_dates(period)
    return render(request, "metrics/dashboard.html", context)


@staff_required
@require_GET
def dashboard(request):
    """Managers and admins: every ticket. Agents have their own dashboard (403 here)."""
    if not _is_manager(request.user):
        raise PermissionDenied
    return _page(request, agent=None)


@staff_required
@require_GET
def my_dashboard(request):
    """The same KPIs over the caller's own tickets, whatever the query string says."""
    return _page(request, agent=request.user)


def _why(request, *, agent: User | None):
    """The explanations a page deferred, each swapped into its card (htmx out-of-band)."""
    form = DashboardFilterForm(request.GET, agent_scope=agent is not None)
    if not form.is_valid():
        return HttpResponse(status=400)
    with kpis.one_reading():
        board = Dashboard(form.kpi_period(), form.kpi_filters(agent), form.chosen_points)
        explanations = board.explanations()
    return render(
        request,
        "metrics/_why_oob.html",
        {
            "explanations": explanations,
            "problem_period": None if agent is not None else _problem_period(form.kpi_period()),
        },
    )


@staff_required
@require_GET
def why(request):
    if not _is_manager(request.user):
        raise PermissionDenied
    return _why(request, agent=None)


@staff_required
@require_GET
def my_why(request):
    return _why(request, agent=request.user)


@staff_required
@require_GET
def export(request, table: str):
    """One table of the dashboard as CSV, for the same period and filters. Agents get their
    own numbers, as on their dashboard."""
    if table not in EXPORTS:
        raise Http404
    if table in MANAGER_EXPORTS and not _is_manager(request.user):
        raise PermissionDenied  # the desk's macros and churn, on the manager's dashboard only
    agent = None if _is_manager(request.user) else request.user
    form = DashboardFilterForm(request.GET, agent_scope=agent is not None)
    if not form.is_valid():
        errors = "\n".join(
            f"{name}: {' '.join(messages)}"  # type: ignore[arg-type]  # ErrorList yields str
            for name, messages in form.errors.items()
        )
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    period = form.kpi_period()
    with kpis.one_reading():
        data = Dashboard(period, form.kpi_filters(agent), form.chosen_points).table(table)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    # The byte-order mark tells Excel the file is UTF-8 (accents come out right).
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([neutralise(cell) for cell in data.csv_header()])
    writer.writerows(data.csv_rows())
    last = period.end_date - timedelta(days=1)
    filename = f"pulso-{table}-{period.start_date.isoformat()}-{last.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
