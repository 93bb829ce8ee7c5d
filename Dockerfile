# syntax=docker/dockerfile:1
# Runyard image: one image for every role.
#   api / all-in-one: node dist/apps/api/main.js        (RUNYARD_ROLE=all|api|worker, default all)
#   worker:           node --max-semi-space-size=2 --v8-pool-size=1 --expose-gc dist/apps/worker/main.js
# See docker-compose.yml for a Postgres + Redis + api + scalable worker stack.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: full dependency tree, TypeScript -> dist/ ----------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# .npmrc (legacy-peer-deps=true) must be present before npm ci or the install fails on peer ranges.
COPY package.json package-lock.json .npmrc ./
RUN npm ci
COPY . .
RUN npm run build

# ---- runtime: production dependencies, dist/, non-root --------------------------------------
FROM ${NODE_IMAGE} AS runtime

# lmod: the LMOD module loader (init script /usr/share/lmod/lmod/init/bash, the LMOD_INIT default).
# openssh-client: for the SSH runner (coming in a later release).
RUN apt-get update \
 && apt-get install -y --no-install-recommends lmod openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system runyard \
 && useradd --system --gid runyard --create-home --home-dir /home/runyard --shell /bin/bash runyard \
 && mkdir -p /var/lib/runyard /etc/runyard \
 && chown runyard:runyard /var/lib/runyard

WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
# The Runner SDK's executors travel with their runs from here: the Python client and the built Node SDK.
COPY --from=build /app/clients/python ./clients/python
COPY --from=build /app/packages/sdk/package.json ./packages/sdk/package.json
COPY --from=build /app/packages/sdk/dist ./packages/sdk/dist
# The demo profile's stand-in for Autosubmit (used when there is no runyard.yaml and no autosubmit on PATH).
COPY --from=build /app/scripts/demo ./scripts/demo

# RUNYARD_CONFIG is deliberately not set here: a path named explicitly must exist, so an image run
# without a mounted file would refuse to start. Unset, Runyard falls back to its built-in demo profile.
# docker-compose.yml sets it to /etc/runyard/runyard.yaml (a read-only bind mount).
ENV HOST=0.0.0.0 \
    PORT=8080 \
    RUNYARD_DATA_DIR=/var/lib/runyard

USER runyard
EXPOSE 8080

# Liveness of the HTTP roles (all, api). A worker has no HTTP server: docker-compose.yml disables
# this check for the worker service. No curl in the slim image: node's built-in fetch.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

CMD ["node", "dist/apps/api/main.js"]
