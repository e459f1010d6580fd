"""The customer page's experience panel (and the organisation page's): their own KPIs, survey
answers over time, open follow-ups and churn state, from `metrics.experience`.

Served by `metrics` because `cases` never imports surveys or metrics: the customer and
organisation pages load it with htmx (`hx-get`), or link to it as a page of its own without
JavaScript. The same visibility as those pages: anyone with a role, 404 for an unknown id;
the figures count only the tickets and answers the viewer may see."""

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from cases.models import Customer, Organisation
from cases.selectors import customers_visible_to, organisations_visible_to
from cases.views.workspace import staff_required, staff_user
from surveys.selectors import sees_every_response

from .experience import ANSWERS_SHOWN, Experience, customer_experience, organisation_contacts
from .presentation.experience import experience_chart, follow_up_status_label, nps_group_label


def _context(experience: Experience, **extra: Any) -> dict[str, Any]:
    return {
        "experience": experience,
        # In an attribute, not json_script: htmx drops <script> tags it swaps in (_head.html).
        "chart_json": json.dumps(experience_chart(experience["answers"]), cls=DjangoJSONEncoder),
        "last_nps_label": nps_group_label(experience["last_nps_group"]),
        "follow_ups": [
            {**follow_up, "status_label": follow_up_status_label(follow_up["status"])}
            for follow_up in experience["follow_ups"]
        ],
        "answers_shown": ANSWERS_SHOWN,
        **extra,
    }


def _render(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    """The panel alone for htmx; a page of its own for the link followed without JS."""
    partial = request.headers.get("HX-Request") == "true"
    template = "metrics/_experience.html" if partial else "metrics/experience_page.html"
    return render(request, template, context)


@staff_required
@require_GET
def customer_experience_panel(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    customer: Customer = get_object_or_404(customers_visible_to(user), pk=pk)
    experience = customer_experience([customer.pk], user)
    return _render(
        request,
        _context(
            experience,
            customer=customer,
            organisation=None,
            sees_follow_ups=sees_every_response(user),
            nav="customers",
        ),
    )


@staff_required
@require_GET
def organisation_experience_panel(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    organisation: Organisation = get_object_or_404(organisations_visible_to(user), pk=pk)
    experience = customer_experience(organisation_contacts(organisation.pk), user)
    return _render(
        request,
        _context(
            experience,
            customer=None,
            organisation=organisation,
            sees_follow_ups=sees_every_response(user),
            nav="organisations",
        ),
    )
