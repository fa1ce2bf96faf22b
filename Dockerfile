# syntax=docker/dockerfile:1
# The order notifier as a container: bundled in a build stage (scripts/build.ts), run as the
# unprivileged `node` user with production dependencies only. Build: docker build -t mantago-order-notifier .
# The last stage is the service (the default target); `--target simulator` builds the MantaGO simulator.

FROM node:24-slim AS build
WORKDIR /app
# NODE_ENV stays unset here: npm ci must install the build tools (esbuild, TypeScript).
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.ts ./scripts/
COPY src ./src
COPY simulator ./simulator
RUN npm run build && node scripts/build.ts --simulator --outdir /app/dist-simulator

# The MantaGO simulator for docker-compose's sandbox (`--target simulator`): a development tool,
# kept out of the service's image. One bundled file, no dependencies.
FROM node:24-slim AS simulator
WORKDIR /app
COPY --from=build /app/dist-simulator ./
USER node
EXPOSE 4010
CMD ["node", "simulator.js"]

FROM node:24-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    DATABASE_URL=/data/notifier.db \
    MAPPING_FILE=/app/config/mapping.yaml
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY config ./config
# /data holds the SQLite file (orders, deliveries, MantaGO's current token and secret).
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 3000
# Node's own fetch: no curl in the image. /healthz answers while the process runs.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Run with `docker run --init` (compose: init: true) so PID 1 reaps and forwards signals; node runs
# directly, not through npm, so SIGTERM reaches it. The flags match `npm start`.
CMD ["node", "--max-semi-space-size=8", "--max-old-space-size=512", "dist/server.js"]
