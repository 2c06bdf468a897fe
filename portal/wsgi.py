import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

application = get_wsgi_application()

# Every booking checks the horizon, which reads the school-holiday data (~130 ms of CPU to
# parse, cached per process): read it when the worker starts, not during a parent's click.
from reservations.calendar import SchoolHolidays  # noqa: E402

SchoolHolidays.from_package()
