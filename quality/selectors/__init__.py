"""Quality's read-only queries, one module per domain; they decide who sees what."""
