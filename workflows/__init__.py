"""The engine-facing core: SpiffWorkflow behind a small API, with no web or database code."""
