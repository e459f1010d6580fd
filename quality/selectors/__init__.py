"""Quality's read-only queries, one module per domain."""
