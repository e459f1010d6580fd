"""What the dashboard, its CSV exports and the metrics API show, computed from the KPI
engine's answers: names, number formatting, the KPI catalogue and cards, the tables. The
HTML views (`metrics/views.py`) and the API (`metrics/api/`) both depend on it; it depends
on neither."""
