"""The agent workspace: queues, the ticket page and its actions, the new-ticket form.

Thin views: a form parses the input, one service (or read query) does the work, a template
renders. Service refusals come back as form errors (400) or as a message with the page
re-rendered (409), keeping whatever the user typed.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from .. import lifecycle, services
from ..customer_lookup import open_cases_of
from ..errors import CasesError, ConflictError, TransitionError, ValidationError
from ..errors import PermissionDenied as ServicePermissionDenied
from ..filters import TicketFilter
from ..forms import (
    AssignForm,
    ClassifyForm,
    EscalateForm,
    FollowerForm,
    MergeForm,
    RelationForm,
    ReopenForm,
    ReplyForm,
    ResolveForm,
    TagsForm,
    TicketActionForm,
    TicketCreateForm,
    add_service_error,
)
from ..forms_bulk import ACTION_FIELDS, BulkForm
from ..forms_saved_views import SavedViewForm
from ..lifecycle import Action
from ..models import MAX_LEVEL, Macro, Ticket, User
from ..paginator import CappedPaginator
from ..queues import (
    QUEUE_LABELS,
    SavedViewTab,
    available_queues,
    changes_since,
    customer_history,
    queue_counts,
    queue_tickets,
    resolve_queue,
    saved_view_tabs,
    ticket_timeline,
)
from ..search import with_fragments
from ..selectors import (
    can_see_ticket,
    merged_into_this,
    related_tickets,
    saved_views_offered_to,
    tags_in_use,
    tickets_visible_to,
)

if TYPE_CHECKING:  # django-stubs' helper types exist for the checker only
    from django_stubs_ext import StrOrPromise

StaffView = TypeVar("StaffView", bound=Callable[..., HttpResponseBase])

PAGE_SIZE = 25


def staff_required(view: StaffView) -> StaffView:
    """Logged in (else to the login page) and in a staff role (else 403)."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if getattr(request.user, "role", None) is None:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return cast(StaffView, wrapper)  # the same call signature as the view it wraps


def staff_user(request: HttpRequest) -> User:
    """`request.user` in a view behind `staff_required`: a signed-in person with a role."""
    user = request.user
    assert isinstance(user, User)  # staff_required let only people in
    return user


# --- queues -----------------------------------------------------------------------------------


@staff_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    if "view" in request.GET and set(request.GET) <= {"view", "page"}:
        return _open_saved_view(request, request.GET["view"])
    return render_queue(request)


def _open_saved_view(request: HttpRequest, view_id: str) -> HttpResponse:
    """`?view=<id>`, a saved view's lasting link: the queue with the view's filters as they
    are now. A view the user is not offered (another person's, another team's, deleted) opens
    the plain queue and says so, without naming it."""
    view = None
    if view_id.isdigit() and len(view_id) < 19:  # beyond 64 bits no row can exist
        view = saved_views_offered_to(staff_user(request)).filter(pk=int(view_id)).first()
    if view is None:
        messages.warning(request, _("That saved view is not available to you."))
        return redirect("cases:queue")
    return redirect(f"{reverse('cases:queue')}?{view.query}")


def _filters_of(params: QueryDict) -> QueryDict:
    """The queue's query string without what only moves through it (page, view)."""
    filters = params.copy()
    for key in ("page", "view"):
        filters.pop(key, None)
    return filters


def _matching_view(params: QueryDict, queue: str, tabs: list[SavedViewTab]) -> int | None:
    """The saved view whose filters are the page's own, if any (its tab is shown active)."""
    filters = _filters_of(params)
    if not filters.get("queue"):
        filters["queue"] = queue
    try:
        query = services.normalise_view_query(filters)
    except CasesError:
        return None
    return next((tab.view.pk for tab in tabs if tab.query == query), None)


def render_queue(
    request: HttpRequest, *, save_form: SavedViewForm | None = None, status: int = 200
) -> HttpResponse:
    """The queue page for the query string in `request.GET`: the built-in tabs and the saved
    views offered to the user with their counts, the filters, the list. `save_form` is a
    "Save this view" form that was refused, shown with what was typed."""
    user = staff_user(request)
    current = resolve_queue(user, request.GET.get("queue"))
    filterset = TicketFilter(request.GET, queryset=queue_tickets(user, current), request=request)
    paginator = CappedPaginator(filterset.qs.prefetch_related("tags"), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    # While searching, each row shows where its words are (one query for the page's rows).
    page.object_list = with_fragments(page.object_list, filterset.searched)
    # The tags of what the filters match, while that is at most the count's cap (a bounded
    # query); beyond it the counts would cost as much as the list.
    tag_counts = [] if paginator.count_is_capped else tags_in_use(filterset.qs)
    # A dashboard figure's list says its exact size even past the pager's cap, so that it can
    # be read against the figure (one count of what the figure counted).
    drilled_total = (
        filterset.qs.count() if paginator.count_is_capped and filterset.drilling else None
    )
    counts = queue_counts(user)
    tabs = [(name, QUEUE_LABELS[name], counts[name]) for name in available_queues(user)]
    views = saved_view_tabs(user, list(saved_views_offered_to(user)))
    if save_form is None:
        save_form = SavedViewForm(
            user=user, initial={"query": _filters_of(request.GET).urlencode()}
        )
    return render(
        request,
        "cases/queue.html",
        {
            "nav": "tickets",
            "queue": current,
            "tabs": tabs,
            "saved_views": views,
            "active_view": _matching_view(request.GET, current, views),
            "save_form": save_form,
            "filterset": filterset,
            "drilled_total": drilled_total,
            "page_obj": page,
            "sort": filterset.current_sort,
            "tag_counts": tag_counts,
            "bulk_form": BulkForm(user=user),
            "action_fields": ACTION_FIELDS,
            "filtered": any(
                request.GET.get(key)
                for key in filterset.form.fields
                if key not in ("sort", "tag_match")
            ),
        },
        status=status,
    )


# --- the ticket page and its actions ----------------------------------------------------------


def _version(form: TicketActionForm) -> int:
    return form.cleaned_data["version"]


@dataclass(frozen=True)
class TicketAction:
    """One button or form of the ticket page, posted to `tickets/<pk>/<slug>/`."""

    slug: str
    form_class: type[TicketActionForm]
    lifecycle_actions: tuple[str, ...]  # shown when the lifecycle allows any of these now
    run: Callable  # (ticket, user, form) -> result of the service
    done: "StrOrPromise"  # success message, translated when shown
    # The service returns the ticket to show afterwards (a merge lands on its target).
    lands_on_result: bool = False

    def form(self, ticket: Ticket, data=None, files=None) -> TicketActionForm:
        return self.form_class(data, files, ticket=ticket, slug=self.slug)

    def allowed(self, ticket: Ticket) -> bool:
        return any(lifecycle.is_allowed(a, ticket.status) for a in self.lifecycle_actions)


def _classify(ticket, user, form):
    data = form.cleaned_data
    return services.classify_ticket(
        ticket=ticket,
        by=user,
        expected_version=_version(form),
        subject=data["subject"],
        category=data["category"],
        priority=data["priority"],
        channel=data["channel"],
        **({"team": data["team"]} if data.get("team") else {}),
    )


def _assign(ticket, user, form):
    return services.assign_ticket(
        ticket=ticket,
        by=user,
        assignee=form.cleaned_data["assignee"],
        expected_version=_version(form),
    )


def _assign_me(ticket, user, form):
    return services.assign_ticket(
        ticket=ticket, by=user, assignee=user, expected_version=_version(form)
    )


def _auto_assign(ticket, user, form):
    return services.auto_assign_ticket(ticket=ticket, by=user, expected_version=_version(form))


def _tags(ticket, user, form):
    return services.change_tags(
        ticket=ticket,
        by=user,
        add=form.cleaned_data["add"],
        remove=form.cleaned_data.get("remove") or (),
        expected_version=_version(form),
    )


def _reply(ticket, user, form):
    macro_id = form.cleaned_data.get("macro")
    if macro_id:
        macro = Macro.objects.filter(pk=macro_id).first()
        if macro is None:
            raise ServicePermissionDenied(_("This macro is not yours to use."))
        return services.apply_macro(
            ticket=ticket,
            by=user,
            macro=macro,
            body=form.cleaned_data["body"],
            public=form.public,
            files=form.cleaned_data["files"],
            expected_version=_version(form),
        )
    return services.add_reply(
        ticket=ticket,
        by=user,
        body=form.cleaned_data["body"],
        public=form.public,
        files=form.cleaned_data["files"],
        expected_version=_version(form),
    )


def _escalate(ticket, user, form):
    return services.escalate_ticket(
        ticket=ticket,
        by=user,
        reason=form.cleaned_data["reason"],
        team=form.cleaned_data["team"],
        expected_version=_version(form),
    )


def _pending(ticket, user, form):
    return services.set_pending(ticket=ticket, by=user, expected_version=_version(form))


def _resume(ticket, user, form):
    return services.resume_ticket(ticket=ticket, by=user, expected_version=_version(form))


def _resolve(ticket, user, form):
    return services.resolve_ticket(
        ticket=ticket,
        by=user,
        resolution=form.cleaned_data["resolution"],
        expected_version=_version(form),
    )


def _reopen(ticket, user, form):
    return services.reopen_ticket(
        ticket=ticket,
        by=user,
        reason=form.cleaned_data["reason"],
        expected_version=_version(form),
    )


def _close(ticket, user, form):
    return services.close_ticket(ticket=ticket, by=user, expected_version=_version(form))


def _merge(ticket, user, form):
    target = tickets_visible_to(user).filter(pk=form.cleaned_data["into"]).first()
    if target is None:
        # Another team's ticket and a ticket that does not exist look the same.
        raise ValidationError(_("No ticket you can see has this reference."), field="into")
    return services.merge_tickets(
        source=ticket,
        target=target,
        by=user,
        expected_version=_version(form),
        other_customer_confirmed=form.cleaned_data["confirm_other_customer"],
        notify_customer=form.cleaned_data["notify_customer"],
    )


_ACTIONS = [
    TicketAction(
        "reply", ReplyForm, (Action.REPLY, Action.NOTE), _reply, gettext_lazy("Message added.")
    ),
    TicketAction(
        "classify", ClassifyForm, (Action.CLASSIFY,), _classify, gettext_lazy("Ticket classified.")
    ),
    TicketAction("tags", TagsForm, (Action.TAG,), _tags, gettext_lazy("Tags saved.")),
    TicketAction(
        "assign", AssignForm, (Action.ASSIGN,), _assign, gettext_lazy("Assignment saved.")
    ),
    TicketAction(
        "assign-me",
        TicketActionForm,
        (Action.ASSIGN,),
        _assign_me,
        gettext_lazy("The ticket is now yours."),
    ),
    TicketAction(
        "auto-assign",
        TicketActionForm,
        (Action.ASSIGN,),
        _auto_assign,
        gettext_lazy("Ticket assigned to the least-loaded agent of its team."),
    ),
    TicketAction(
        "escalate", EscalateForm, (Action.ESCALATE,), _escalate, gettext_lazy("Ticket escalated.")
    ),
    TicketAction(
        "pending",
        TicketActionForm,
        (Action.PENDING,),
        _pending,
        gettext_lazy("Ticket set pending."),
    ),
    TicketAction(
        "resume", TicketActionForm, (Action.RESUME,), _resume, gettext_lazy("Ticket back to open.")
    ),
    TicketAction(
        "resolve", ResolveForm, (Action.RESOLVE,), _resolve, gettext_lazy("Ticket resolved.")
    ),
    TicketAction("reopen", ReopenForm, (Action.REOPEN,), _reopen, gettext_lazy("Ticket reopened.")),
    TicketAction(
        "close", TicketActionForm, (Action.CLOSE,), _close, gettext_lazy("Ticket closed.")
    ),
    TicketAction(
        "merge",
        MergeForm,
        (Action.MERGE,),
        _merge,
        gettext_lazy("Ticket merged: the conversation continues here."),
        lands_on_result=True,
    ),
]
TICKET_ACTIONS = {action.slug: action for action in _ACTIONS}


def _ticket_context(request, ticket: Ticket, bound: TicketActionForm | None = None) -> dict:
    """Everything the ticket page shows. Only the actions the lifecycle allows now get a
    form — plus the one that just failed, so that what was typed is not lost."""
    user = request.user
    forms = {}  # keyed by slug with "_" for "-", for the templates
    for action in _ACTIONS:
        key = action.slug.replace("-", "_")
        if bound is not None and bound.slug == action.slug:
            forms[key] = bound
        elif action.allowed(ticket):
            forms[key] = action.form(ticket)
    assign = forms.get("assign")
    if assign is not None and forms.get("assign_me") is not bound:
        # AssignForm's agent picker is a ModelChoiceField (a plain Field to the checker)
        agents = list(assign.fields["assignee"].queryset)  # type: ignore[attr-defined]
        if user not in agents or ticket.assignee_id == user.pk:
            forms.pop("assign_me", None)
    if ticket.team_id is None and forms.get("auto_assign") is not bound:
        forms.pop("auto_assign", None)
    if ticket.level >= MAX_LEVEL and forms.get("escalate") is not bound:
        forms.pop("escalate", None)
    related, related_hidden = related_tickets(ticket, user)
    return {
        "nav": "tickets",
        "ticket": ticket,
        "forms": forms,
        "timeline": ticket_timeline(ticket),
        "opening_files": ticket.attachments.filter(reply__isnull=True),
        "history": customer_history(user, ticket.customer_id, exclude=ticket.pk),
        "related": related,
        "related_hidden": related_hidden,
        "relation_form": RelationForm(),
        "followers": list(ticket.followers.all()),
        "follower_form": FollowerForm(),
        "merged_in": merged_into_this(ticket)[:20],
    }


def _render_ticket(request, ticket: Ticket, bound=None, status: int = 200, **extra):
    context = {**_ticket_context(request, ticket, bound), **extra}
    if request.htmx:
        return render(
            request, "cases/_ticket_panel.html", {**context, "fragment": True}, status=status
        )
    return render(request, "cases/ticket_detail.html", context, status=status)


def _visible_ticket(request, pk: int) -> Ticket:
    return get_object_or_404(tickets_visible_to(request.user), pk=pk)


@staff_required
@require_GET
def ticket_detail(request, pk):
    return _render_ticket(request, _visible_ticket(request, pk))


@staff_required
def ticket_action(request, pk, action):
    spec = TICKET_ACTIONS.get(action)
    if spec is None:
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    ticket = _visible_ticket(request, pk)
    form = spec.form(ticket, request.POST, request.FILES)
    if not form.is_valid():
        return _render_ticket(request, ticket, form, status=400)
    try:
        result = spec.run(ticket, request.user, form)
    except (TransitionError, ConflictError) as exc:
        messages.error(request, exc.message)
        ticket = _visible_ticket(request, pk)
        collision = None
        if isinstance(form, ReplyForm) and isinstance(exc, ConflictError):
            # Someone acted while this reply was written: show what they did above the kept
            # draft, which now goes out only if sent again (the traffic cop).
            collision = changes_since(ticket, form.cleaned_data.get("seen") or 0)
        form.refresh_version(ticket.version)
        return _render_ticket(request, ticket, form, status=409, collision=collision)
    except ServicePermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc
    except CasesError as exc:
        add_service_error(form, exc)
        return _render_ticket(request, ticket, form, status=400)
    messages.success(request, spec.done)
    if spec.lands_on_result:
        pk = result.pk
    ticket = tickets_visible_to(request.user).filter(pk=pk).first()
    if ticket is None:
        # Handed over to a team the user is not in: the ticket has left their view.
        messages.info(request, _("The ticket has moved out of your teams' queues."))
        url = reverse("cases:queue")
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    if request.htmx and not spec.lands_on_result:
        return _render_ticket(request, ticket)
    url = reverse("cases:ticket_detail", args=[ticket.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


# --- a new ticket -----------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def ticket_create(request):
    form = TicketCreateForm(request.POST) if request.method == "POST" else TicketCreateForm()
    if form.is_bound and form.is_valid():
        try:
            # Both or neither: a refused ticket must not leave a new customer behind.
            with transaction.atomic():
                # The customer picked in the finder; else the one with this e-mail, or new.
                customer = form.chosen_customer or services.find_or_create_customer(
                    **form.customer_data()
                )
                ticket = services.register_ticket(
                    by=request.user, customer=customer, **form.ticket_data(request.user)
                )
        except ServicePermissionDenied as exc:
            raise PermissionDenied(exc.message) from exc
        except CasesError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request, _("Ticket %(reference)s registered.") % {"reference": ticket.reference}
            )
            if can_see_ticket(request.user, ticket):
                return redirect("cases:ticket_detail", pk=ticket.pk)
            return redirect("cases:queue")
    chosen = form.chosen_customer if form.is_bound else None
    return render(
        request,
        "cases/ticket_create.html",
        {
            "nav": "new",
            "form": form,
            # Kept chosen when something else was wrong: the block shows them, not the finder.
            "chosen": open_cases_of(request.user, chosen) if chosen is not None else None,
        },
        status=400 if form.is_bound else 200,
    )
