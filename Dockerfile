# Hotline's Python processes (controller, web console, worker): one image, the command picks the role.
# The image is the installed wheel: the shipped flows, queues, migrations and FreeSWITCH configuration
# come from the package (<prefix>/share/hotline, control/paths.py), the same as a pip install.
FROM python:3.11-slim AS build
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --no-deps . -w /wheels

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HOTLINE_VAR_DIR=/app/var
WORKDIR /app
COPY --from=build /wheels /wheels
COPY requirements.lock /wheels/
# psycopg2-binary and gevent ship wheels; nothing to compile. The lock file pins what the tests ran.
RUN pip install --no-cache-dir -c /wheels/requirements.lock /wheels/*.whl \
 && useradd --system --home /app hotline \
 && mkdir -p /app/var && chown hotline /app/var
USER hotline

CMD ["hotline", "--help"]
