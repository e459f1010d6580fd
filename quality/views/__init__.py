"""Quality's pages, one module per domain (reviews, coaching, problems)."""
