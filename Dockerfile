# Hotline's Python processes (controller, web console, worker): one image, the command picks the role.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app

# psycopg2-binary and gevent ship wheels; nothing to compile.
COPY pyproject.toml README.md ./
COPY control control
COPY records records
COPY web web
COPY worker worker
COPY simulator simulator
COPY migrations migrations
COPY ivr_flows ivr_flows
COPY queues queues
RUN pip install --no-cache-dir . \
 && useradd --system --home /app hotline \
 && mkdir -p /app/var && chown hotline /app/var
USER hotline

CMD ["hotline", "--help"]
