"""How the customer page's experience panel (and its API) names what
`metrics.experience` returns: the NPS group, the follow-up's status, the chart's series."""

from typing import Any

from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from surveys.models import FollowUpStatus

from ..experience import Answer
from .labels import churn_group_label


def nps_group_label(group: str | None) -> str:
    return "—" if group is None else churn_group_label("nps", group)


def follow_up_status_label(status: str) -> str:
    return str(dict(FollowUpStatus.choices).get(status, status))


def experience_chart(answers: list[Answer]) -> dict[str, Any]:
    """The answers oldest first, as static/js/experience.js draws them: one series per score
    over the answer's date (an answer without a score leaves a gap)."""
    ordered = list(reversed(answers))
    return {
        "labels": [
            date_format(localtime(answer["answered_at"]), "SHORT_DATE_FORMAT") for answer in ordered
        ],
        "references": [answer["reference"] for answer in ordered],
        "series": [
            {"key": key, "label": label, "values": [answer[key] for answer in ordered]}  # type: ignore[literal-required]  # key is one of the three scores
            for key, label in (
                ("csat", _("CSAT (1–5)")),
                ("ces", _("CES (1–7)")),
                ("nps", _("NPS (0–10)")),
            )
        ],
        "y_title": _("Score"),
    }
