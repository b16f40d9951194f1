# hoop-gateway container image: a build stage compiles the TypeScript to dist/ (npm run build);
# the final stage holds only dist/ and the production dependencies — no sources, no sandbox, no
# demo issuer, no dev tools — and runs as a non-root user.
FROM node:24-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY packages ./packages
# --ignore-scripts: `prepare` bundles the console, whose sources are not copied yet; `npm run build`
# below does it.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY bin ./bin
COPY cli ./cli
COPY src ./src
COPY gateway ./gateway
COPY bot ./bot
COPY examples ./examples
COPY scripts ./scripts
COPY console ./console
RUN npm run build

FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
# jemalloc instead of glibc's malloc: glibc keeps a fragmented heap at its peak after a burst of
# connections; jemalloc's background thread gives idle pages back within about a second
# (docs/performance.md: RSS after 1,000 watches closed 2.8× → 1.7× the RSS before; 1,000 held
# calls 214–216 → 195–199 MB). The link under /usr/local/lib names it the same on amd64 and arm64.
# Setting LD_PRELOAD to an empty value when running the image turns it off.
RUN apt-get update && apt-get install -y --no-install-recommends libjemalloc2 \
  && rm -rf /var/lib/apt/lists/* \
  && ln -s "/usr/lib/$(uname -m)-linux-gnu/libjemalloc.so.2" /usr/local/lib/libjemalloc.so.2 \
  && test -e /usr/local/lib/libjemalloc.so.2
ENV LD_PRELOAD=/usr/local/lib/libjemalloc.so.2 \
  MALLOC_CONF=background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` builds the console, which the build stage did (dist/console).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist ./dist
# The data directory, owned by the runtime user so a fresh volume mounted there is writable.
RUN mkdir -p /var/lib/hoop && chown 10001:10001 /var/lib/hoop
USER 10001
EXPOSE 8443
# /livez needs no token; the serving certificate is the gateway's own, so it is not verified here.
HEALTHCHECK --interval=30s --timeout=3s CMD ["node", "-e", "require('node:https').get({host:'127.0.0.1',port:8443,path:'/livez',rejectUnauthorized:false},(r)=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]
# Semi-spaces of at most 4 MB: under a burst of requests V8 otherwise grows its young generation to
# tens of MB and keeps them (docs/performance.md: 1,000 held calls in ~200 instead of ~310 MB);
# 4 rather than 2 MB, because at 2 the recording of an exec stream spent 13 % more CPU per MB in
# garbage collection, for the same memory.
ENTRYPOINT ["node", "--max-semi-space-size=4", "dist/bin/hoop-gateway.js"]
CMD ["serve", "--config", "/etc/hoop/hoop.yaml"]
