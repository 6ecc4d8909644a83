"""WSGI entry point: production HTTP runs here under gunicorn (see DESIGN.md for why)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community.settings")

application = get_wsgi_application()
