from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Category, Customer, CustomerNotification, Team, Ticket, TicketEvent, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "display_name", "email", "role_label", "is_active")
    list_filter = ("groups", "is_active", "teams")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Pulso"), {"fields": ("language",)}),
    )

    @admin.display(description=_("role"))
    def role_label(self, obj):
        return obj.role or "—"


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "level", "is_active")
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
