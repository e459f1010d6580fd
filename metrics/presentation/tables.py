"""A table of the dashboard, shown on the page and exported as CSV: columns, rows, the gap
of each row to the overall figure."""

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from cases.csv_safety import neutralise

from .formatting import Unit, format_gap, format_value

# A cell on the page: its text and CSS classes, and a gap's (`gap`, `gap_css`) beside them.
HtmlCell = dict[str, str]


@dataclass(frozen=True)
class Column:
    label: Any
    unit: Unit = "text"


@dataclass
class Table:
    name: str
    title: Any
    columns: list[Column]
    # Each cell as its column's unit says: a text, a number, None for an empty set.
    rows: list[list[Any]] = field(default_factory=list)
    # Rows computed over a small sample (their index): greyed on the page, read with care.
    muted: set[int] = field(default_factory=set)
    # Single cells (row, column index in `columns`) over a small sample, their sample's words
    # (a tooltip: "12 answers"), and the list of tickets or answers behind them.
    muted_cells: set[tuple[int, int]] = field(default_factory=set)
    notes: dict[tuple[int, int], str] = field(default_factory=dict)
    links: dict[tuple[int, int], str] = field(default_factory=dict)

    @property
    def has_few(self) -> bool:
        """Whether a shown figure is over a small sample (the table then says what * means)."""
        return any(self.rows[row][column] is not None for row, column in self.muted_cells)

    def html_columns(self) -> list[Column]:
        """On the page a gap shares its value's cell; the CSV keeps it in a column of its own."""
        return [column for column in self.columns if not column.unit.startswith("gap")]

    def html_rows(self) -> list[list[HtmlCell]]:
        result = []
        for index, row in enumerate(self.rows):
            cells: list[HtmlCell] = []
            for position, (column, value) in enumerate(zip(self.columns, row, strict=True)):
                if column.unit.startswith("gap"):
                    unit: Unit = "score2" if column.unit == "gap2" else "score1"
                    tone = (
                        "text-body-secondary"
                        if not value
                        else ("text-success" if value > 0 else "text-danger")
                    )
                    if row_value_present(cells[-1]):
                        cells[-1].update(gap=format_gap(value, unit), gap_css=tone)
                elif column.unit == "text":
                    cells.append({"text": format_value(value, "text"), "css": ""})
                else:
                    cells.append({"text": format_value(value, column.unit), "css": "text-end"})
                if column.unit.startswith("gap"):
                    continue
                cell = cells[-1]
                if (index, position) in self.muted_cells and row_value_present(cell):
                    cell["css"] = f"{cell['css']} text-body-secondary few-sample".strip()
                if (index, position) in self.notes:
                    cell["title"] = self.notes[index, position]
                if (index, position) in self.links and row_value_present(cell):
                    cell["href"] = self.links[index, position]
            if index in self.muted:
                for cell in cells:
                    cell["css"] = f"{cell['css']} text-body-secondary".strip()
            result.append(cells)
        return result

    def csv_header(self) -> list[str]:
        return [
            _("%(label)s (seconds)") % {"label": column.label}
            if column.unit == "duration"
            else str(column.label)
            for column in self.columns
        ]

    def csv_rows(self) -> list[list[Any]]:
        """Numbers as numbers (a spreadsheet does not run `-12.5`), durations in seconds,
        empty sets as empty cells; text neutralised against formula injection."""
        return [
            [
                neutralise(value) if column.unit == "text" else ("" if value is None else value)
                for column, value in zip(self.columns, row, strict=True)
            ]
            for row in self.rows
        ]


def row_value_present(cell: HtmlCell) -> bool:
    return cell["text"] != "—"
