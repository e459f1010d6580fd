from collections import Counter

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import (
    Attachment,
    BusinessCalendar,
    Category,
    Channel,
    Customer,
    Holiday,
    InboundEmail,
    InboundOutcome,
    OutboundEmail,
    SLAPolicy,
    Team,
    Ticket,
    TicketEvent,
    User,
    WorkingHours,
)
from .services.inbound import reprocess


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "display_name", "email", "role_label", "is_active")
    list_filter = ("groups", "is_active", "teams")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (
            _("Pulso"),
            {"fields": ("language", "is_available", "notify_assigned", "notify_escalated")},
        ),
    )

    @admin.display(description=_("role"))
    def role_label(self, obj):
        return obj.role or "—"


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "level", "calendar", "assignment", "is_active")
    list_filter = ("level", "is_active")
    filter_horizontal = ("members",)
    search_fields = ("name",)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "default_team", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name",)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "company", "language", "active_since", "churned_at")
    list_filter = ("language",)
    search_fields = ("name", "email", "company", "phone")
    date_hierarchy = "created_at"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Tickets change only through the services (lifecycle, events): the admin only reads."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ("reference", "subject", "status", "priority", "level", "team", "assignee")
    list_filter = ("status", "priority", "channel", "level", "team")
    search_fields = ("subject", "customer__email")
    list_select_related = ("team", "assignee")


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "kind", "actor", "at")
    list_filter = ("kind",)
    list_select_related = ("ticket", "actor")


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
    """Every e-mail about a ticket and how its sending went (failed ones with the error)."""

    list_display = ("ticket", "kind", "to", "status", "attempts", "sent_at", "last_error")
    list_filter = ("status", "kind")
    list_select_related = ("ticket", "ticket__customer", "recipient")
    search_fields = ("message_id", "ticket__customer__email", "recipient__email")

    @admin.display(description=_("to"))
    def to(self, obj):
        return obj.recipient.email if obj.recipient_id else obj.ticket.customer.email


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone", "always_open")
    inlines = [WorkingHoursInline, HolidayInline]
    search_fields = ("name",)


class SLAPolicyForm(forms.ModelForm):
    channels = forms.TypedMultipleChoiceField(
        label=_("only these channels"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every channel."),
    )

    class Meta:
        model = SLAPolicy
        fields = [
            "name",
            "priority",
            "first_response_minutes",
            "resolution_minutes",
            "categories",
            "teams",
            "channels",
            "escalate_to",
            "is_active",
        ]


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    form = SLAPolicyForm
    list_display = (
        "name",
        "priority",
        "first_response_minutes",
        "resolution_minutes",
        "escalate_to",
        "is_active",
    )
    list_filter = ("priority", "is_active")
    filter_horizontal = ("categories", "teams")
    search_fields = ("name",)


@admin.register(InboundEmail)
class InboundEmailAdmin(ReadOnlyAdmin):
    """What the mailbox received; quarantined messages with their reason. An admin can
    read a message as it arrived and take it in again (after a fix, or when it was not
    machine mail after all)."""

    list_display = ("received_at", "outcome", "sender", "subject", "ticket", "reason")
    list_filter = ("outcome",)
    search_fields = ("sender", "subject", "message_id")
    exclude = ("raw",)
    readonly_fields = ("raw_message",)
    actions = ["take_in_again"]

    @admin.display(description=_("raw message (first 64 KB)"))
    def raw_message(self, obj):
        text = bytes(obj.raw[:65536]).decode("utf-8", errors="replace")
        return format_html('<pre style="white-space: pre-wrap; max-height: 40em">{}</pre>', text)

    @admin.action(description=_("Take the selected quarantined or ignored messages in again"))
    def take_in_again(self, request, queryset):
        outcomes = Counter()
        for record in queryset.filter(
            outcome__in=[InboundOutcome.QUARANTINED, InboundOutcome.IGNORED]
        ):
            outcomes[str(InboundOutcome(reprocess(record).outcome).label)] += 1
        summary = ", ".join(f"{label}: {count}" for label, count in sorted(outcomes.items()))
        self.message_user(request, summary or _("Nothing to take in again."))


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ("filename", "ticket", "content_type", "size", "inline", "created_at")
    list_filter = ("inline",)
    search_fields = ("filename", "ticket__subject")
    list_select_related = ("ticket",)
    exclude = ("file",)
