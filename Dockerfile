# syntax=docker/dockerfile:1.7
# QNWIS production image (service spec §10.1): a build stage with dev dependencies, a slim runtime without them.
#
# Base image: the tag below is pinned to a Node 20 patch line. Before a release, pin the digest too:
#   docker buildx imagetools inspect node:20.19-bookworm-slim    # copy the index digest, then
#   ARG NODE_IMAGE=node:20.19-bookworm-slim@sha256:<digest>
ARG NODE_IMAGE=node:20.19-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
ENV NODE_ENV=development

# curl only here: it fetches the PostgreSQL apt signing key that the runtime stage copies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && install -d -m 0755 /out/keyrings \
 && curl -fsSL --proto '=https' --tlsv1.2 https://www.postgresql.org/media/keys/ACCC4CF8.asc -o /out/keyrings/pgdg.asc \
 && rm -rf /var/lib/apt/lists/*

# Manifests first so the dependency layer is cached across source changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

COPY . .
# Build, make the CLI directly executable (tsc keeps the shebang but not the mode), seed the synthetic LMIS pack,
# make sure config/ exists, then replace node_modules with production dependencies only.
RUN npm run build \
 && chmod 0755 dist/cli/main.js \
 && node dist/cli/main.js seed --out data/lmis \
 && mkdir -p config \
 && npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ARG QNWIS_VERSION=0.1.0
ARG VCS_REF=unknown
ARG SOURCE_URL=https://github.com/albarami/qnwis

LABEL org.opencontainers.image.title="qnwis" \
      org.opencontainers.image.description="Qatar National Workforce Intelligence System API" \
      org.opencontainers.image.version="${QNWIS_VERSION}" \
      org.opencontainers.image.revision="${VCS_REF}" \
      org.opencontainers.image.source="${SOURCE_URL}"

# postgresql-client-16 comes from apt.postgresql.org so pg_dump/pg_restore/pg_isready report major 16
# (bookworm itself ships 15); tini forwards SIGTERM to the server as PID 1.
COPY --from=build /out/keyrings/pgdg.asc /etc/apt/keyrings/pgdg.asc
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tini \
 && echo "deb [signed-by=/etc/apt/keyrings/pgdg.asc] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" \
      > /etc/apt/sources.list.d/pgdg.list \
 && apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-16 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 qnwis \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin qnwis

WORKDIR /app
# Everything under /app belongs to root and is only readable by the app user; backups/ and var/ are its only writable places.
COPY --from=build --chown=root:root /src/package.json /src/package-lock.json ./
COPY --from=build --chown=root:root /src/node_modules ./node_modules
COPY --from=build --chown=root:root /src/dist ./dist
COPY --from=build --chown=root:root /src/data ./data
COPY --from=build --chown=root:root /src/config ./config
# The PNG exports draw with the dashboard's bundled fonts (dist/web holds the built dashboard itself).
COPY --from=build --chown=root:root /src/web/src/assets/fonts ./web/src/assets/fonts
COPY --from=build --chown=root:root --chmod=0755 /src/scripts ./scripts
RUN install -d -o 10001 -g 10001 -m 0700 /app/backups /app/var \
 && ln -s /app/dist/cli/main.js /usr/local/bin/qnwis

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    QNWIS_STATE_DIR=/app/var \
    QNWIS_VERSION=${QNWIS_VERSION}

USER 10001:10001
EXPOSE 8000 9464

HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=5 CMD ["qnwis","healthcheck"]

ENTRYPOINT ["tini","--"]
CMD ["scripts/entrypoint.sh"]
