"""The web form's deflection: visits shown suggested articles (docs/knowledge.md). Filled
by its author; imported at the end of knowledge/models.py."""
