# The Canopy portal image: web (gunicorn + whitenoise), worker and beat all run from it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

WORKDIR /app

# Dependencies first, so this layer is rebuilt only when pyproject.toml changes.
COPY pyproject.toml README.md ./
RUN pip install . && rm -rf build *.egg-info

COPY . .
# Static files are part of the image; whitenoise serves them with hashed names. The German
# and French catalogues are compiled here (msgfmt from Debian's gettext, removed after).
RUN apt-get update && apt-get install -y --no-install-recommends gettext \
    && DEBUG=false SECRET_KEY=build-time-only-collectstatic \
       python manage.py compilemessages --verbosity 0 \
    && apt-get purge -y gettext && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
RUN DEBUG=false SECRET_KEY=build-time-only-collectstatic \
    python manage.py collectstatic --noinput --verbosity 0

RUN useradd --system --uid 10001 --no-create-home --home-dir /app canopy
USER canopy

EXPOSE 8000
CMD ["gunicorn", "portal.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
