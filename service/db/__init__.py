"""Persistence: typed models, sessions, the unit of work, migrations."""
