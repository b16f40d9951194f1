# hoop-gateway container image. Node 24 runs the TypeScript sources directly (type stripping).
FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY cli ./cli
COPY src ./src
COPY gateway ./gateway
COPY bot ./bot
COPY examples ./examples
USER 10001
EXPOSE 8443
ENTRYPOINT ["node", "bin/hoop-gateway.ts"]
CMD ["serve", "--config", "/etc/hoop/hoop.yaml"]
