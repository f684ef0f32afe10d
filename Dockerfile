# The image the Helm chart runs (helm/values.yaml: image.repository). Code at /app, the
# locked dependencies on PATH, static files collected at build time, running as uid 10001.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH ZHURNAL_VAR_DIR=/app/var
WORKDIR /app

# Pango for WeasyPrint (the printable PDF register of change requests); fonts with Cyrillic.
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

COPY requirements.lock pyproject.toml ./
RUN python -m venv /opt/venv && pip install --no-cache-dir uv==0.13.9 \
    && uv pip install --no-cache --compile-bytecode -r requirements.lock

COPY . .
# collectstatic needs settings but no database: placeholder values for the build only.
RUN SECRET_KEY=build-only DATABASE_URL=postgres://build@localhost/build \
    python manage.py collectstatic --noinput \
    && python -m compileall -q -x '/(var|tests)/' /app \
    && useradd --uid 10001 --no-create-home zhurnal && mkdir -p /app/var && chown -R 10001 /app/var

USER 10001
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "2", "--access-logfile", "-"]
