# syntax=docker/dockerfile:1
# forest-ledger image: one image for the API, the worker and the migration job.
#   docker build -t forest-ledger .
#   docker run --rm forest-ledger node dist/scripts/start.js --migrate-only   # create DB, migrate, demo data, exit
#   docker run -p 3000:3000 forest-ledger                                     # API (default CMD)
#   docker run forest-ledger node --max-semi-space-size=64 dist/apps/worker/src/main.js   # worker
# Config comes from the environment: DATABASE_URL, REDIS_URL, PORT, LOG_LEVEL, DB_POOL_SIZE, DEMO_DATA, NODE_ENV.

# ---- build: full dependency tree, compile TypeScript to dist/ ----
FROM node:20-bookworm-slim AS build
WORKDIR /app
# argon2 is a native addon; its install script compiles it when the prebuilt binary does not load.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

# ---- runtime: production dependencies + compiled output only ----
FROM node:20-bookworm-slim AS runtime
WORKDIR /app
COPY package.json package-lock.json ./
# The compiler is needed only while argon2 installs, so it is removed in the same layer.
# fonts-noto-cjk stays: 林票 certificate PDFs embed its Simplified-Chinese face (a subset per PDF).
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ fonts-noto-cjk \
 && npm ci --omit=dev && npm cache clean --force \
 && apt-get purge -y python3 make g++ && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
# dist/ holds the apps, the libs (entities, migrations) and scripts/start.js.
COPY --from=build /app/dist ./dist
ENV NODE_ENV=production \
    PORT=3000
# The official image ships the unprivileged user "node"; files stay root-owned (read-only to the app).
USER node
EXPOSE 3000
# Node 20 has a global fetch; no curl/wget in the slim image. Only meaningful for the API container
# (docker-compose disables it for the worker and the migrate job).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/health',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/apps/api/src/main.js"]
