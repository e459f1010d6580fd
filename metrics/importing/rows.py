"""Rows for the bulk writer (metrics/bulkload.Sink) from model instances built in memory:
every stored column, in the model's order, with JSON columns as text."""

import json
from typing import Any

from django.db import models

# Per model: (attribute, is a JSON column, its encoder) of each stored column.
_LAYOUTS: dict[type[models.Model], list[tuple[str, bool, Any]]] = {}


def _layout(model: type[models.Model]) -> list[tuple[str, bool, Any]]:
    if model not in _LAYOUTS:
        _LAYOUTS[model] = [
            (
                field.attname,
                isinstance(field, models.JSONField),
                getattr(field, "encoder", None),
            )
            for field in model._meta.concrete_fields
            if not getattr(field, "generated", False)
        ]
    return _LAYOUTS[model]


def columns_of(model: type[models.Model]) -> tuple[str, ...]:
    columns = {
        field.attname: field.column
        for field in model._meta.concrete_fields
        if field.column is not None  # always: a concrete field is one with a column
    }
    return tuple(columns[attname] for attname, _json, _encoder in _layout(model))


def row_of(instance: models.Model) -> tuple:
    """The instance's values for `columns_of` its model (a JSON column's None is NULL, as
    Django stores it)."""
    values = []
    for attname, is_json, encoder in _layout(type(instance)):
        value = getattr(instance, attname)
        values.append(json.dumps(value, cls=encoder) if is_json and value is not None else value)
    return tuple(values)
