# workshop-bot in HTTP mode: the small default install (the embedding model on ONNX Runtime, no PyTorch)
# plus the postgres extra, run by a non-root user. See docs/deploying.md.
#   docker build -t workshop-bot .
#   docker run --env-file workshop-bot.env -p 3000:3000 -v workshop-bot-data:/data workshop-bot
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# The bot and everything it imports, at the versions (and hashes) in uv.lock, in /opt/venv, with the bytecode
# of what it imports; uv, the sources and the build's CA stay behind.
FROM ${PYTHON_IMAGE} AS builder
ARG UV_VERSION=0.13.9
# Locked packages the bot never imports, left out of /opt/venv: the Kubernetes client chromadb requires for its
# distributed server (and what only that client requires), and hf-xet, huggingface_hub's download backend.
ARG LEAVE_OUT="kubernetes aiohttp aiohttp-retry aiohappyeyeballs aiosignal frozenlist multidict propcache yarl \
    durationpy oauthlib requests-oauthlib websocket-client hf-xet"
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    UV_PYTHON_DOWNLOADS=never UV_LINK_MODE=copy UV_NO_CACHE=1 UV_PROJECT_ENVIRONMENT=/opt/venv
# Behind a TLS-intercepting proxy, the downloads trust its CA too, given as a build secret (a certificate or a
# whole bundle): `--secret id=ca,src=proxy-ca.pem`. Added to the image's bundle for pip and uv in the steps
# that download, and removed at their end: a secret is never part of a layer, and only /opt/venv leaves this
# stage. Without the secret, the usual roots.
RUN --mount=type=secret,id=ca \
    if [ -s /run/secrets/ca ]; then cat /etc/ssl/certs/ca-certificates.crt /run/secrets/ca >/tmp/ca.pem \
        && export PIP_CERT=/tmp/ca.pem SSL_CERT_FILE=/tmp/ca.pem; fi \
    && pip install "uv==${UV_VERSION}" \
    && rm -f /tmp/ca.pem
WORKDIR /src
# The dependencies at uv.lock's versions (and hashes) first: a layer that a change to the bot alone reuses.
COPY pyproject.toml uv.lock ./
RUN --mount=type=secret,id=ca \
    if [ -s /run/secrets/ca ]; then cat /etc/ssl/certs/ca-certificates.crt /run/secrets/ca >/tmp/ca.pem \
        && export SSL_CERT_FILE=/tmp/ca.pem; fi \
    && uv sync --frozen --no-dev --extra postgres --no-install-project $(printf -- '--no-install-package %s ' $LEAVE_OUT) \
        --python python3 \
    && rm -f /tmp/ca.pem
COPY setup.py MANIFEST.in README.md ./
COPY bot ./bot
COPY prompts ./prompts
RUN --mount=type=secret,id=ca \
    if [ -s /run/secrets/ca ]; then cat /etc/ssl/certs/ca-certificates.crt /run/secrets/ca >/tmp/ca.pem \
        && export SSL_CERT_FILE=/tmp/ca.pem; fi \
    && uv sync --frozen --no-dev --extra postgres --no-editable $(printf -- '--no-install-package %s ' $LEAVE_OUT) \
        --python python3 \
    && rm -f /tmp/ca.pem
# Out too, never read: the packages' own tests, ONNX Runtime's model tools, type stubs and C headers, and Babel's
# locale data but English (python-liquid imports Babel for message catalogs; the bot formats no dates or
# numbers with it). Then bytecode, for what the bot imports only (compiling all of /opt/venv added 100 MB):
# every module of the bot (/opt/venv's: the script is not beside /src/bot), and what its commands, answering a
# question, upgrading a database load.
COPY knowledge ./knowledge
COPY deploy/import-everything.py /build/
RUN site=$(echo /opt/venv/lib/python3*/site-packages) \
    && find "$site" -mindepth 2 -type d \( -name tests -o -name test \) -prune -exec rm -rf {} + \
    && rm -rf "$site/onnxruntime/transformers" "$site/onnxruntime/tools" "$site/onnxruntime/quantization" \
        "$site/onnxruntime/datasets" \
    && find "$site" -type f \( -name '*.pyi' -o -name '*.h' -o -name '*.pxd' -o -name '*.pyx' \) -delete \
    && find "$site/babel/locale-data" -name '*.dat' ! -name root.dat ! -name en.dat ! -name 'en_*.dat' -delete \
    && find /opt/venv -name __pycache__ -prune -exec rm -rf {} + \
    && cd / && /opt/venv/bin/python /build/import-everything.py && /opt/venv/bin/workshop-bot --help >/dev/null \
    && BOT_DATA_DIR=/tmp/warm KNOWLEDGE_DIR=/src/knowledge /opt/venv/bin/workshop-bot ask "When is the deadline?" \
        >/dev/null \
    && BOT_DATA_DIR=/tmp/warm /opt/venv/bin/workshop-bot db upgrade >/dev/null \
    && rm -rf /tmp/warm

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
