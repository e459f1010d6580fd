from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from cases.signals import (
            customer_case_links,
            customer_merge_counts,
            customers_merged,
            ticket_merged,
            ticket_reopened,
            ticket_resolved,
        )

        from . import receivers

        ticket_resolved.connect(receivers.on_ticket_resolved, dispatch_uid="surveys-resolved")
        ticket_reopened.connect(receivers.on_ticket_reopened, dispatch_uid="surveys-reopened")
        ticket_merged.connect(receivers.on_ticket_merged, dispatch_uid="surveys-merged")
        customer_case_links.connect(
            receivers.offer_survey_on_case_page, dispatch_uid="surveys-case-page"
        )
        customers_merged.connect(
            receivers.on_customers_merged, dispatch_uid="surveys-customers-merged"
        )
        customer_merge_counts.connect(
            receivers.on_customer_merge_counts, dispatch_uid="surveys-customer-merge-counts"
        )
