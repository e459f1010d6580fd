"""Where surveys hears from cases (see cases/signals.py for the contract)."""

from django.utils.translation import gettext as _

from cases.signals import CustomerCaseLink

from . import selectors, services


def on_ticket_resolved(sender, *, ticket, event, at, replay=False, **kwargs):
    # Replayed history (demo data, imports) brings its own survey history, if any.
    if replay:
        return
    services.schedule_survey(ticket=ticket, event=event, at=at)


def on_ticket_reopened(sender, *, ticket, at, replay=False, **kwargs):
    services.withdraw_surveys(ticket=ticket, at=at)


def on_ticket_merged(sender, *, source, at, replay=False, **kwargs):
    # docs/kpis.md: an unanswered invitation of a merged ticket is withdrawn; answers stay.
    services.withdraw_surveys(ticket=source, at=at, reason="ticket_merged")


def on_customers_merged(sender, *, kept, duplicate, **kwargs):
    return services.move_customer_surveys(kept_id=kept.pk, duplicate_id=duplicate.pk)


def on_customer_merge_counts(sender, *, customer, **kwargs):
    return services.customer_survey_counts(customer_id=customer.pk)


def offer_survey_on_case_page(sender, *, ticket, **kwargs):
    """The customer portal's case page offers the case's survey while it can be answered
    (the same page as the e-mail's link: answering there records the answer)."""
    invitation = selectors.invitation_to_answer(ticket.pk)
    if invitation is None:
        return None
    return [
        CustomerCaseLink(
            label=_("How did we do? Answer our short survey"),
            url=services.survey_path(invitation),
            icon="star",
        )
    ]
