"""Kept for one importer, insights/views_themes.py, while another change to it is under way:
the lead switches it to `quality.views.common` and then deletes this module."""

from quality.views.common import *  # noqa

__all__ = ["dashboard_fragment", "private", "show_refusal"]  # noqa: F405
