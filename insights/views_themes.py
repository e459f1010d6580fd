"""The managers' themes pages: what customers talk about in a period (themes ranked by how
much they pull CSAT and NPS down), each theme's mentions, its name, and "Open a problem"; and
the manager dashboard's section, a fragment the dashboard loads with its own query string.
Thin: the figures are `insights.selectors_themes`', every change `insights.services.themes`'.
Managers and admins only (agents 403)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from cases.errors import CasesError
from cases.views.workspace import staff_required, staff_user
from insights import selectors_themes as selectors
from insights.models_themes import NAME_MAX, Theme
from insights.services import themes as services
from metrics.forms import DashboardFilterForm
from metrics.kpis import Period
from quality.permissions import is_manager
from quality.views.common import dashboard_fragment, private

View = Callable[..., HttpResponseBase]
DASHBOARD_ROWS = 8
MENTIONS_LISTED = 50  # on a theme's page, the newest; the figures count every mention


def manager_required(view: View) -> View:
    """Staff (else the login page or 403) and a manager or admin (else 403)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_manager(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return staff_required(wrapper)


class ThemeNameForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=NAME_MAX, strip=True)


def _period_form(request: HttpRequest) -> DashboardFilterForm:
    return DashboardFilterForm(request.GET)


def _query(form: DashboardFilterForm) -> str:
    return urlencode(form.query(), doseq=True)


def _errors(form: forms.Form) -> str:
    """The form's errors in one line, each after its field's name ("From: Enter a valid
    date."), each once."""
    said: list[str] = []
    for name, messages_ in form.errors.items():
        field = form.fields.get(name)
        for message in messages_:
            said.append(f"{field.label}: {message}" if field and field.label else str(message))
    return " ".join(dict.fromkeys(said))


def _report_context(form: DashboardFilterForm, period: Period) -> dict[str, Any]:
    report = selectors.themes_report(period, form.kpi_filters())
    return {
        "report": report,
        "rows": report.rows,
        "period": period,
        "query": _query(form),
        "min_sample": settings.KPI_MIN_SAMPLE,
    }


def _list_page(
    request: HttpRequest,
    *,
    failed: tuple[int, ThemeNameForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    form = _period_form(request)
    context: dict[str, Any] = {"nav": "dashboard", "form": form, "page_url": request.path}
    if not form.is_valid():
        context["error"] = _errors(form)
        return private(render(request, "insights/themes.html", context, status=400))
    period = form.kpi_period()
    context.update(_report_context(form, period))
    for row in context["rows"]:
        if failed is not None and failed[0] == row.theme.pk:
            row.name_form = failed[1]
        else:
            row.name_form = ThemeNameForm(initial={"name": row.theme.name or row.theme.label})
    form.show_dates(period)
    return private(render(request, "insights/themes.html", context, status=status))


@manager_required
@require_GET
def theme_list(request: HttpRequest) -> HttpResponse:
    """The themes of the model in use for the period, ranked, each with its figures."""
    return _list_page(request)


class ThemeMoved(Exception):
    """The theme asked for is an older training's, found again as `theme` by the model in
    use (a link kept from before a retraining)."""

    def __init__(self, theme: Theme) -> None:
        super().__init__(theme.pk)
        self.theme = theme


def _theme(pk: int) -> Theme:
    """A theme of the model in use; an older training's theme that was found again raises
    ThemeMoved, one that was not is gone (404)."""
    theme = selectors.current_themes().filter(pk=pk).first()
    if theme is not None:
        return theme
    found_again = selectors.successor(pk)
    if found_again is None:
        raise Http404
    raise ThemeMoved(found_again)


def follows_moved_themes(view: View) -> View:
    """A link to a theme from before a retraining leads to the theme as it is now: a page is
    redirected there; a change asked of the old theme is not made — the manager is taken to
    the theme as it is now and told so."""

    @wraps(view)
    def wrapper(request: HttpRequest, pk: int, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, pk, *args, **kwargs)
        except ThemeMoved as moved:
            url = reverse("insights:theme", args=[moved.theme.pk])
            if request.GET:
                url = f"{url}?{request.GET.urlencode()}"
            if request.method == "GET":
                return private(HttpResponseRedirect(url))
            messages.warning(
                request,
                _(
                    "The themes were found again since you opened that page, so nothing was "
                    "changed. This is the theme as it is now."
                ),
            )
            return private(HttpResponseRedirect(url, status=303))

    return wrapper


@manager_required
@require_POST
@follows_moved_themes
def theme_rename(request: HttpRequest, pk: int) -> HttpResponse:
    """A manager names a theme; a refused name comes back on the page as typed."""
    theme = _theme(pk)
    form = ThemeNameForm(request.POST)
    if form.is_valid():
        try:
            renamed = services.rename_theme(
                theme=theme, by=staff_user(request), name=form.cleaned_data["name"]
            )
        except CasesError as error:
            form.add_error("name", error.message)
        else:
            messages.success(request, _("Theme renamed: “%(name)s”.") % {"name": renamed.label})
    if not form.is_valid():
        return _list_page(request, failed=(theme.pk, form), status=400)
    period = _period_form(request)
    query = _query(period) if period.is_valid() else ""
    return redirect(f"{reverse('insights:themes')}?{query}#theme-{theme.pk}")


@manager_required
@require_GET
@follows_moved_themes
def theme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One theme: its words, examples, figures and the period's mentions the reader can see."""
    theme = _theme(pk)
    form = _period_form(request)
    context: dict[str, Any] = {"nav": "dashboard", "form": form, "theme": theme}
    if not form.is_valid():
        context["error"] = _errors(form)
        return private(render(request, "insights/theme_detail.html", context, status=400))
    period = form.kpi_period()
    context.update(
        {
            "row": selectors.theme_figures(theme, period, form.kpi_filters()),
            "mentions": selectors.visible_mentions(
                theme, period, staff_user(request), limit=MENTIONS_LISTED
            ),
            "mentions_listed": MENTIONS_LISTED,
            "period": period,
            "query": _query(form),
            "min_sample": settings.KPI_MIN_SAMPLE,
        }
    )
    form.show_dates(period)
    return private(render(request, "insights/theme_detail.html", context))


@manager_required
@require_POST
@follows_moved_themes
def theme_problem(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Open a problem (quality's) from the theme, with the period's tickets that mention it."""
    theme = _theme(pk)
    form = _period_form(request)
    if not form.is_valid():
        return private(
            render(
                request,
                "insights/theme_detail.html",
                {"nav": "dashboard", "form": form, "theme": theme, "error": _errors(form)},
                status=400,
            )
        )
    problem = services.open_theme_problem(
        theme=theme, by=staff_user(request), period=form.kpi_period()
    )
    return redirect("quality:problem_detail", problem.pk)


@manager_required
@require_GET
def dashboard_section(request: HttpRequest) -> HttpResponse:
    """The manager dashboard's "What customers talk about", for its own query string (period
    and filters, read by metrics' form)."""

    def context(form: DashboardFilterForm) -> dict[str, Any]:
        found = _report_context(form, form.kpi_period())
        found["rows"] = found["rows"][:DASHBOARD_ROWS]
        return found

    return dashboard_fragment(request, "insights/_themes_dashboard.html", context)
