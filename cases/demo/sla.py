"""The demo's service levels: one policy per priority, the office calendar of levels 1 and 2
with its holidays (level 3 has none: on call around the clock)."""

from datetime import date
from datetime import time as dt_time

from ..models import BusinessCalendar, Holiday, Priority, SLAPolicy, Team, WorkingHours

# The demo's SLA: levels 1 and 2 work office hours in Bogotá (Colombia's fixed-date
# holidays off), level 3 is on call around the clock. (first response, resolution) minutes.
SLA_POLICIES = [
    ("Urgente", Priority.URGENT, 30, 4 * 60),
    ("Alta", Priority.HIGH, 60, 8 * 60),
    ("Normal", Priority.NORMAL, 4 * 60, 24 * 60),
    ("Baja", Priority.LOW, 8 * 60, 72 * 60),
]
FIXED_HOLIDAYS = [(1, 1, "Año Nuevo"), (5, 1, "Día del Trabajo"), (7, 20, "Independencia"),
                  (8, 7, "Batalla de Boyacá"), (12, 8, "Inmaculada Concepción"),
                  (12, 25, "Navidad")]  # fmt: skip


def _sla_setup(teams: dict[int, Team], today: date) -> None:
    calendar, created = BusinessCalendar.objects.get_or_create(
        name="Oficina Bogotá", defaults={"time_zone": "America/Bogota"}
    )
    if created:
        for weekday in range(5):
            WorkingHours.objects.create(
                calendar=calendar, weekday=weekday, opens=dt_time(8), closes=dt_time(18)
            )
        WorkingHours.objects.create(
            calendar=calendar, weekday=5, opens=dt_time(9), closes=dt_time(13)
        )
        for year in (today.year - 1, today.year, today.year + 1):
            for month, day, name in FIXED_HOLIDAYS:
                Holiday.objects.create(calendar=calendar, day=date(year, month, day), name=name)
    for level in (1, 2):
        teams[level].calendar = calendar
        teams[level].save(update_fields=["calendar"])
    for name, priority, first, resolution in SLA_POLICIES:
        SLAPolicy.objects.get_or_create(
            name=name,
            defaults={
                "priority": priority,
                "first_response_minutes": first,
                "resolution_minutes": resolution,
            },
        )
