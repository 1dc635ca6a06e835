# hubtls in a container: the bundled CLI on node:20-slim, run as the unprivileged `node` user.
# The test PKI lives in the /data/certs volume (generated on first start, reused after), the
# exported roots devices should trust in /data/trust. Endpoints listen on 0.0.0.0:8883 inside the
# container; the admin API stays on the container's loopback (the healthcheck uses it).

FROM node:20-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

FROM node:20-slim
ENV NODE_ENV=production \
    HUBTLS_CERTS_DIR=/data/certs
WORKDIR /app
# The bundle needs no node_modules: the runtime image is node plus a few MB.
COPY --from=build /src/dist/bundle ./dist/bundle
COPY package.json README.md ./
COPY scenarios ./scenarios
RUN mkdir -p /data/certs /data/trust && chown -R node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8883
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9883/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/bundle/hubtls.mjs"]
CMD ["run", "--host", "0.0.0.0", "--port", "8883"]
