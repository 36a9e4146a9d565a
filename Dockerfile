# workshop-bot in HTTP mode: the small default install (the embedding model on ONNX Runtime, no PyTorch)
# plus the postgres extra, run by a non-root user. See "Deploying" in the README.
#   docker build -t workshop-bot .
#   docker run --env-file workshop-bot.env -p 3000:3000 -v workshop-bot-data:/data workshop-bot
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# The bot and everything it needs, at the versions (and hashes) in uv.lock, in /opt/venv; uv stays behind.
# Compiled to bytecode here: the bot's user cannot write to /opt/venv, and would compile every import at
# every start.
FROM ${PYTHON_IMAGE} AS builder
ARG UV_VERSION=0.13.9
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    UV_PYTHON_DOWNLOADS=never UV_LINK_MODE=copy UV_NO_CACHE=1 UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_COMPILE_BYTECODE=1
# Behind a TLS-intercepting proxy, the downloads trust its CA too, given as a build secret (a certificate or a
# whole bundle): `--secret id=ca,src=proxy-ca.pem`. Added to the image's bundle for pip and uv in the step
# that downloads, and removed at its end: a secret is never part of a layer, and only /opt/venv leaves this
# stage. Without the secret, the usual roots.
RUN --mount=type=secret,id=ca \
    if [ -s /run/secrets/ca ]; then cat /etc/ssl/certs/ca-certificates.crt /run/secrets/ca >/tmp/ca.pem \
        && export PIP_CERT=/tmp/ca.pem SSL_CERT_FILE=/tmp/ca.pem; fi \
    && pip install "uv==${UV_VERSION}" \
    && rm -f /tmp/ca.pem
WORKDIR /src
COPY pyproject.toml uv.lock setup.py MANIFEST.in README.md ./
COPY bot ./bot
COPY prompts ./prompts
RUN --mount=type=secret,id=ca \
    if [ -s /run/secrets/ca ]; then cat /etc/ssl/certs/ca-certificates.crt /run/secrets/ca >/tmp/ca.pem \
        && export SSL_CERT_FILE=/tmp/ca.pem; fi \
    && uv sync --frozen --no-dev --extra postgres --no-editable --python python3 \
    && rm -f /tmp/ca.pem

FROM ${PYTHON_IMAGE}
ENV PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH
COPY --from=builder /opt/venv /opt/venv
RUN groupadd --system --gid 10001 workshop-bot \
    && useradd --system --uid 10001 --gid workshop-bot --home-dir /app --shell /usr/sbin/nologin workshop-bot \
    && mkdir -p /data && chown workshop-bot:workshop-bot /data
WORKDIR /app
# The sample editions; mount your own over /app/knowledge (read-only is enough).
COPY knowledge ./knowledge
ENV BOT_DATA_DIR=/data KNOWLEDGE_DIR=/app/knowledge HOST=0.0.0.0 PORT=3000
VOLUME ["/data"]
USER workshop-bot
# 3000: Slack (HTTP mode), /healthz, /readyz, /metrics; 2525: questions by email over LMTP, where
# INBOUND_PORT=2525 is set (deploy/compose.yaml and deploy/k8s do).
EXPOSE 3000 2525
# Liveness: /healthz answers as soon as the bot listens on PORT (HTTP mode and Socket Mode alike).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['PORT'] + '/healthz', timeout=4)"]
CMD ["workshop-bot", "serve"]
