# syntax=docker/dockerfile:1
#
# sectigo-proxy: the production image.   docker build -t sectigo-proxy .
# The same image runs the standalone simulator:   CMD ["node", "/app/dist/simulator/server.js"]
# `npm run test:container` builds this file with podman (`--format docker`, which keeps HEALTHCHECK)
# and runs the image; where no registry answers it passes stand-in bases as the two ARGs below.
#
# Node 24 on Debian 12 (bookworm), the same Debian release in both stages. For a reproducible
# build pin both by digest (Renovate or Dependabot keep the digest current):
#   docker buildx imagetools inspect node:24-bookworm-slim      # prints the digest
#   docker build --build-arg NODE_RUNTIME_IMAGE=node:24-bookworm-slim@sha256:<digest> \
#                --build-arg NODE_BUILD_IMAGE=node:24-bookworm@sha256:<digest> -t sectigo-proxy .
ARG NODE_BUILD_IMAGE=node:24-bookworm
ARG NODE_RUNTIME_IMAGE=node:24-bookworm-slim

# ---- build: every dependency from the lock file, then TypeScript to dist/ -----------------------
FROM ${NODE_BUILD_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency needs an install script (esbuild's only checks its binary).
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- prod-deps: production dependencies only, from the same lock file and its overrides --------
# A stage of its own (not `npm prune`), so it is cached until the lock file changes.
FROM ${NODE_BUILD_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime: node, the compiled service and its production dependencies; no npm is ever run --
FROM ${NODE_RUNTIME_IMAGE} AS runtime
ARG NODE_RUNTIME_IMAGE
# VERSION follows package.json (test:container checks it); CI passes the commit and the repository.
ARG VERSION=1.0.0
ARG REVISION=""
ARG SOURCE_URL=""
LABEL org.opencontainers.image.title="sectigo-proxy" \
      org.opencontainers.image.description="REST/JSON front for Sectigo's legacy certificate API (AutoUpdateDCV, AutoReplaceMC), with a built-in Sectigo simulator" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.licenses="LicenseRef-Proprietary" \
      org.opencontainers.image.base.name="${NODE_RUNTIME_IMAGE}"

# BUILD_REVISION: the revision label again, for the sectigo_proxy_build_info metric.
# The runtime the bench measures (BENCHMARKS.md, "Memory"; it reads these very lines): semi-spaces
# of 16 MiB, Node 20's default (Node 24 would let the young generation grow to 64 MiB ones), and two
# malloc arenas instead of one for each of V8's threads. No cap on the old generation: in the same
# runs one of 256 or 512 MiB cost 13 % of the DCV throughput and 20-25 % of the replacement's, and
# 2 MiB semi-spaces a third to a half; set them with NODE_OPTIONS where memory matters more (README).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    NODE_OPTIONS="--max-semi-space-size=16" \
    MALLOC_ARENA_MAX=2 \
    BUILD_REVISION=${REVISION}

WORKDIR /app
# Owned by root and read-only for the service's user: the code cannot be changed at run time.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/dist ./dist

# The base image's `node` user, by number so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 3000
STOPSIGNAL SIGTERM
# No curl in the image: a small Node script asks /healthz on 127.0.0.1:$PORT (a URL argument
# asks elsewhere, e.g. the simulator's http://127.0.0.1:8081/healthz).
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["node", "/app/dist/healthcheck.js"]

# Node itself is PID 1 (never npm): it handles SIGTERM and SIGINT and drains for SHUTDOWN_GRACE_MS.
# Run with `docker run --init` / compose `init: true` to add a zombie reaper and signal forwarder.
CMD ["node", "/app/dist/server.js"]
