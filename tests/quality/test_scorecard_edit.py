"""Editing a scorecard on its page: the rows of the current criteria come filled in, and the
new version keeps every row left as it was, drops only the ticked ones and adds the new."""

from django.urls import reverse

from quality.services import reviews
from quality.services.reviews import CriterionData, current_version

CRITERIA = [
    CriterionData("Greeting", weight=1, max_score=5),
    CriterionData("Accuracy", weight=3, max_score=5, is_critical=True),
    CriterionData("Empathy", weight=2, max_score=5),
]


def posted(page, **changes):
    """The edit page's form as a browser would send it, with `changes` applied."""
    form, formset = page.context["form"], page.context["criteria"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            f"{formset.prefix}-TOTAL_FORMS": str(len(formset.forms)),
            f"{formset.prefix}-INITIAL_FORMS": str(formset.initial_form_count()),
            f"{formset.prefix}-MIN_NUM_FORMS": "0",
            f"{formset.prefix}-MAX_NUM_FORMS": "1000",
        }
    )
    for row in formset.forms:
        for name, field in row.fields.items():  # what the page shows, a blank row's defaults too
            value = (row.initial or {}).get(name, field.initial)
            if value is True:
                data[row.add_prefix(name)] = "on"
            elif value not in (None, False):
                data[row.add_prefix(name)] = str(value)
    data.update(changes)
    return data


def test_an_edit_keeps_the_criteria_left_as_they_were(client, marta):
    card = reviews.create_scorecard(by=marta, name="Conversation", criteria=CRITERIA)
    client.force_login(marta)
    url = reverse("quality:scorecard_edit", args=[card.pk])
    page = client.get(url)
    assert page.status_code == 200

    # Only the description changes: every criterion stays, in a new version.
    response = client.post(url, posted(page, description="How we talk to customers."))
    assert response.status_code == 302, response.content.decode()[:2000]
    names = [c.name for c in current_version(card).criteria.order_by("position")]
    assert names == ["Greeting", "Accuracy", "Empathy"]

    # Drop Empathy, add Follow-up, leave the others: two kept, one added.
    page = client.get(url)
    rows = page.context["criteria"].forms
    empathy = next(row for row in rows if (row.initial or {}).get("name") == "Empathy")
    blank = next(row for row in rows if not row.initial)
    response = client.post(
        url,
        posted(
            page,
            **{
                empathy.add_prefix("DELETE"): "on",
                blank.add_prefix("name"): "Follow-up",
                blank.add_prefix("weight"): "2",
                blank.add_prefix("max_score"): "5",
            },
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    version = current_version(card)
    assert version is not None and version.number == 3
    kept = {c.name: (c.weight, c.is_critical) for c in version.criteria.all()}
    assert kept == {"Greeting": (1, False), "Accuracy": (3, True), "Follow-up": (2, False)}
