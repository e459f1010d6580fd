from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = _("Metrics")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from cases.models import Ticket
        from cases.signals import customers_merged
        from surveys.models import SurveyInvitation, SurveyResponse
        from surveys.signals import invitation_sent, summarise_responses

        from . import receivers

        post_save.connect(receivers.on_ticket_saved, Ticket, dispatch_uid="metrics-ticket")
        post_delete.connect(receivers.on_ticket_deleted, Ticket, dispatch_uid="metrics-ticket-d")
        for model in (SurveyResponse, SurveyInvitation):
            post_save.connect(
                receivers.on_survey_row_saved, model, dispatch_uid=f"metrics-{model.__name__}"
            )
        post_delete.connect(
            receivers.on_response_deleted, SurveyResponse, dispatch_uid="metrics-response-d"
        )
        post_delete.connect(
            receivers.on_invitation_deleted, SurveyInvitation, dispatch_uid="metrics-invite-d"
        )
        invitation_sent.connect(receivers.on_invitation_sent, dispatch_uid="metrics-sent")
        customers_merged.connect(receivers.on_customers_merged, dispatch_uid="metrics-merged")
        summarise_responses.connect(
            receivers.on_summarise_responses, dispatch_uid="metrics-response-summary"
        )
