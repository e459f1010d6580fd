"""Agents' use of articles in replies (docs/knowledge.md). Filled by its author; imported at
the end of knowledge/models.py."""
