"""Survey rows in the Django admin, read-only: invitations change only through the send
services, follow-ups through the inbox. Managers may look (a permanently failed survey
e-mail must be visible to them), whatever the model permissions of their group say."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cases.admin import (
    PossibleDuplicateFilter,
    ReadOnlyAdmin,
    SendAttemptsAdmin,
    SendAttemptsInline,
)
from cases.models import Role

from .models import (
    FollowUp,
    FollowUpNote,
    SurveyInvitation,
    SurveyInvitationAttempt,
    SurveyResponse,
)

_LOOKERS = (Role.MANAGER, Role.ADMIN)


class ManagersLookAdmin(ReadOnlyAdmin):
    """Read-only, and visible to managers and admins (Pulso decides by role)."""

    def _looks(self, request) -> bool:
        user = request.user
        return user.is_active and user.is_staff and user.role in _LOOKERS

    def has_view_permission(self, request, obj=None):
        return self._looks(request) or super().has_view_permission(request, obj)

    def has_module_permission(self, request):
        return self._looks(request) or super().has_module_permission(request)


class SurveyInvitationAttemptInline(SendAttemptsInline):
    model = SurveyInvitationAttempt
    fields = ("mail", *SendAttemptsInline.fields)
    readonly_fields = fields


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(SendAttemptsAdmin, ManagersLookAdmin):
    attempt_model = SurveyInvitationAttempt
    inlines = [SurveyInvitationAttemptInline]
    list_display = (
        "ticket",
        "customer",
        "status",
        "attempts",
        "possible_duplicate",
        "last_error",
        "send_after",
        "sent_at",
        "reminder_sent_at",
        "answered_at",
    )
    list_filter = ("status", PossibleDuplicateFilter, "from_history", "language", "team")
    search_fields = ("customer__email", "customer__name", "ticket__subject")
    list_select_related = ("ticket", "customer")
    date_hierarchy = "created_at"
    # The nonce and the token hash open the survey link: never shown.
    exclude = ("nonce", "token_hash", "resolution_event")
    readonly_fields = (
        "ticket",
        "customer",
        "agent",
        "team",
        "resolved_at",
        "language",
        "questions",
        "status",
        "created_at",
        "send_after",
        "expires_at",
        "lease_until",
        "enqueued_at",
        "attempts",
        "possible_duplicate",
        "last_error",
        "sent_at",
        "reminder_sent_at",
        "answered_at",
        "withdrawn_at",
        "withdrawn_reason",
        "from_history",
    )


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ManagersLookAdmin):
    list_display = ("ticket", "answered_at", "agent", "team", "csat", "ces", "nps", "source")
    list_filter = ("source", "team", "csat", "nps")
    search_fields = ("comment", "ticket__subject", "ticket__customer__email")
    list_select_related = ("ticket", "agent", "team")
    date_hierarchy = "answered_at"
    exclude = ("invitation",)


class FollowUpNoteInline(admin.TabularInline):
    model = FollowUpNote
    extra = 0
    can_delete = False
    fields = ("created_at", "author", "body")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.role in _LOOKERS or super().has_view_permission(request, obj)


@admin.register(FollowUp)
class FollowUpAdmin(ManagersLookAdmin):
    list_display = ("ticket", "team", "owner", "status", "reasons_label", "created_at")
    list_filter = ("status", "team", "alert_status")
    list_select_related = ("ticket", "team", "owner")
    date_hierarchy = "created_at"
    exclude = ("response",)
    inlines = [FollowUpNoteInline]

    @admin.display(description=_("reasons"))
    def reasons_label(self, obj):
        return ", ".join(obj.reasons) or "—"
