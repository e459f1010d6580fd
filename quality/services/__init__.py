"""Quality's services, one module per domain (reviews, sampling, coaching, problems): the only
code that changes quality's state (docs/quality.md)."""
