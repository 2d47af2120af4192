"""The Flask service: directory, process definitions and instances, tasks, events, JSON API."""

from service.app import create_app

__all__ = ["create_app"]
