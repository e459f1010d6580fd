"""Metrics tables."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportedRecord(models.Model):
    """What a history import made of one record of the file: the Pulso row that a
    (type, external id) of the previous helpdesk became. Importing the file again finds it
    here and leaves it alone (IMPORT.md: records are matched by type + external_id)."""

    class Type(models.TextChoices):
        TEAM = "team", _("Team")
        CUSTOMER = "customer", _("Customer")
        AGENT = "agent", _("Agent")
        TICKET = "ticket", _("Ticket")

    type = models.CharField(_("type"), max_length=10, choices=Type.choices)
    external_id = models.CharField(_("external id"), max_length=200)
    # The id of the Team, Customer, User or Ticket (no foreign key: it depends on the type).
    object_id = models.PositiveBigIntegerField(_("object id"))
    imported_at = models.DateTimeField(_("imported"), default=timezone.now)

    class Meta:
        verbose_name = _("imported record")
        verbose_name_plural = _("imported records")
        constraints = [
            models.UniqueConstraint(
                fields=["type", "external_id"], name="imported_record_type_external_id"
            )
        ]

    def __str__(self):
        return f"{self.type} {self.external_id} → {self.object_id}"
