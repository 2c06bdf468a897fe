# Production image: gunicorn web, Celery worker and beat share it (docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_ENV=production
WORKDIR /app

COPY pyproject.toml ./
COPY portal ./portal
COPY tenants ./tenants
COPY families ./families
COPY reservations ./reservations
COPY billing ./billing
COPY news ./news
COPY requests_inbox ./requests_inbox
COPY templates ./templates
COPY static ./static
COPY manage.py ./

RUN pip install --no-cache-dir -e . \
    && SECRET_KEY=build DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost \
       EMAIL_HOST=localhost python manage.py collectstatic --noinput \
    && useradd --system --home /app espace \
    && mkdir -p /data/media /data/private \
    && chown espace:espace /data/media /data/private && chmod 0750 /data/private

# Named volumes copy the image's folder (and its owner) when first created: both must exist
# here, owned by the app user, or uploads fail with « Permission denied ».
VOLUME ["/data/media", "/data/private"]
USER espace
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
