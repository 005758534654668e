# syntax=docker/dockerfile:1
# ai-task-processor image. Targets:
#   (default) runtime  the service: production dependencies and the built service only, non-root
#   sandbox            the local tasks API / OAuth2 issuer / embeddings endpoint for the Compose `dev`
#                      profile; it keeps the dev dependencies (oidc-provider is one), so never ship it
# test/docker.e2e-spec.ts checks these rules and runs the stages' commands outside Docker.
#
# Base image: node:24-bookworm-slim pinned by the digest of its multi-platform
# index, so that a rebuild gets the same Node and Debian until someone updates
# it on purpose (the tag alone moves with every Node and Debian release). The
# digest is the one docker-library/repo-info recorded for the tag (Node 24.19.0,
# built 2026-08-25). To update, on both FROM lines together:
#   docker buildx imagetools inspect node:24-bookworm-slim   # the "Digest:" line
# or let Dependabot/Renovate propose it (both update tag@digest FROM lines).

# ---- build: every dependency, then compile both apps -------------------------------------------
FROM node:24-bookworm-slim@sha256:a9f5f7c91a432850b2a8a7797adf5eadb6c733ceed61167806cee7ea7fbc29df AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json rspack.config.js ./
COPY apps ./apps
COPY libs ./libs
RUN npm run build

# ---- sandbox: the dev-profile peer, built from the same sources --------------------------------
FROM build AS sandbox
ENV NODE_ENV=development
USER 1000:1000
EXPOSE 3000
CMD ["node", "dist/apps/sandbox/main.js"]

# ---- runtime: what runs in production ------------------------------------------------------------
FROM node:24-bookworm-slim@sha256:a9f5f7c91a432850b2a8a7797adf5eadb6c733ceed61167806cee7ea7fbc29df AS runtime
# A heap budget keeps resident memory bounded and predictable (about 230 MiB
# under full load, docs/performance.md); V8's defaults size the heap from
# the host's memory, not the container's.
ENV NODE_ENV=production \
    METRICS_PORT=8001 \
    NODE_OPTIONS="--max-old-space-size=160 --max-semi-space-size=8"
WORKDIR /app
# rspack keeps node_modules external, so the bundle needs the production
# dependency tree and nothing else; install scripts are not needed by any of them.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY --from=build /app/dist/apps/ai-task-processor ./dist/apps/ai-task-processor
# The budgets' SQLite file (BUDGET_STORE's default, ./data/budgets.sqlite) is
# the one thing the service writes: the folder is the service user's, and a
# volume mounted here keeps the usage across restarts.
RUN mkdir data && chown 1000:1000 data
# Files stay owned by root: the service user can read them, not change them.
# 1000 is the base image's `node` user, numeric so that Kubernetes'
# runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8001
# The service finishes or releases its claimed tasks on SIGTERM within
# SHUTDOWN_TIMEOUT_SECONDS (30 by default): give `docker stop` more than
# that (`--stop-timeout 45`, Compose `stop_grace_period`).
STOPSIGNAL SIGTERM
# No curl in the image: Node's own fetch asks /health on METRICS_PORT.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.METRICS_PORT||8001}/health`,{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/apps/ai-task-processor/main.js"]
