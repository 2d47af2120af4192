"""Kept so that imports of `service.web.i18n` made before the split keep working: what things
are called lives in `service.web.labels`, numbers and dates in `service.web.formats`."""

from service.web.formats import *  # noqa: F403
from service.web.labels import *  # noqa: F403
