"""Quality's services: the only code that changes quality's state."""
