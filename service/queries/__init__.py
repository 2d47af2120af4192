"""The read side: what the API and pages show, as plain dataclasses and dicts."""
