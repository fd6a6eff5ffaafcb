# syntax=docker/dockerfile:1
# Multi-stage: compile TypeScript with dev dependencies, ship only dist/ and production modules.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=9095 LOG_FORMAT=json
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY remediations ./remediations
COPY alert-rules ./alert-rules
# Non-root. The worker reaches the Docker socket through the socket's group (compose: group_add).
USER node
# 9095: HTTP (start, serve); 9096: `remediator worker`'s /healthz, /readyz and /metrics.
EXPOSE 9095 9096
# Healthy when either listener answers: each role has exactly one of them.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s \
  CMD node -e "Promise.any([process.env.PORT||9095,process.env.WORKER_PORT||9096].map(p=>fetch('http://127.0.0.1:'+p+'/healthz').then(r=>{if(!r.ok)throw r.status}))).then(()=>process.exit(0),()=>process.exit(1))"
# V8's default young generation (16 MB semi-spaces). NODE_OPTIONS="--max-semi-space-size=2"
# takes idle RSS of `start` from ~105 to ~90-98 MB but costs ~35% more CPU per delivery under a
# flood of new episodes and slows a storm (README, Performance): set it where memory is tighter
# than CPU. npm run bench runs the service with whatever NODE_OPTIONS this file sets.
ENTRYPOINT ["node", "bin/remediator.js"]
CMD ["start"]
