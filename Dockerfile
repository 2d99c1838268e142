# Build a wheel in a throwaway stage, install it in a slim runtime stage.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
# The bot runs as an unprivileged user that owns only /data (database and key).
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin stillhere \
    && mkdir /data && chown stillhere:stillhere /data && chmod 0700 /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
COPY docker/settings.toml /etc/stillhere/settings.toml
USER stillhere
WORKDIR /data
VOLUME ["/data"]
# No token here: pass TELEGRAM_TOKEN or TELEGRAM_TOKEN_FILE at `docker run` time.
ENTRYPOINT ["python", "-m", "bot", "--config", "/etc/stillhere/settings.toml"]
