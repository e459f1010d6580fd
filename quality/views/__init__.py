"""Quality's pages, one module per domain."""
