# Build a wheel in a throwaway stage, install it in a slim runtime stage.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
# The dependencies' versions are the tested ones (constraints.txt).
RUN pip wheel --no-cache-dir --wheel-dir /wheels -c constraints.txt .

FROM python:3.11-slim
# Keep the version equal to pyproject.toml's (a test checks it).
LABEL org.opencontainers.image.title="Still Here" \
      org.opencontainers.image.version="0.1.0"
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
# The bot runs as an unprivileged user (uid 10001) that owns only /data (the
# database) and /key (the encryption key), two volumes kept apart.
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin stillhere \
    && mkdir /data /key && chown stillhere:stillhere /data /key && chmod 0700 /data /key
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
COPY docker/settings.toml /etc/stillhere/settings.toml
USER stillhere
WORKDIR /data
VOLUME ["/data", "/key"]
# Healthy only while the bot ticks, delivers its alerts and hears from Telegram;
# it reads the database and the lock, so it answers even when the bot is frozen.
HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot", "health", "--config", "/etc/stillhere/settings.toml"]
# No token here: pass TELEGRAM_TOKEN or TELEGRAM_TOKEN_FILE at `docker run` time.
ENTRYPOINT ["python", "-m", "bot", "--config", "/etc/stillhere/settings.toml"]
