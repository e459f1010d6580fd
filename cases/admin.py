from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import (
    BusinessCalendar,
    Category,
    Channel,
    Customer,
    CustomerNotification,
    Holiday,
    InboundEmail,
    SLAPolicy,
    Team,
    Ticket,
    TicketEvent,
    User,
    WorkingHours,
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "display_name", "email", "role_label", "is_active")
    list_filter = ("groups", "is_active", "teams")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Pulso"), {"fields": ("language", "is_available")}),
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


@admin.register(CustomerNotification)
class CustomerNotificationAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "kind", "status", "attempts", "sent_at", "last_error")
    list_filter = ("status", "kind")


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
    """What the mailbox received; quarantined messages with their reason."""

    list_display = ("received_at", "outcome", "sender", "subject", "ticket", "reason")
    list_filter = ("outcome",)
    search_fields = ("sender", "subject", "message_id")
    exclude = ("raw",)
