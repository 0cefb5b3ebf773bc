"""WSGI entry point for gunicorn (and runserver, which loads WSGI_APPLICATION)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safespaces.settings")

application = get_wsgi_application()

# After set-up, before any request: only web requests get the statement timeout.
from safespaces.database import web_statement_timeout_apply  # noqa: E402

web_statement_timeout_apply()
