"""CSV exports that a spreadsheet opens safely (docs/reliability.md, guarantee 6): every export in
Pulso — survey responses, dashboard tables — passes its text cells through `neutralise`."""

# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")


def neutralise(value) -> str:
    """A text cell as a spreadsheet will show it, never run it: a leading quote before
    anything a spreadsheet would take for a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text
