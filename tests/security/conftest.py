"""The pages' fixtures (`browser`, `new_browser`) for the security tests too."""

from tests.web.conftest import browser, new_browser

__all__ = ["browser", "new_browser"]
