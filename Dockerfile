# Worker and webhook receiver image: the package as a user installs it (its tarball), the SDK it
# is tested with, pg for the receipt index, and a prebuilt workflow bundle.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json README.md LICENSE CHANGELOG.md .env.example ./
COPY src ./src
COPY scripts ./scripts
COPY examples ./examples
RUN npm run build && npm pack --ignore-scripts --pack-destination /pkg \
  && node dist/bin/cli.js bundle /pkg/workflow-bundle.js

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /pkg /pkg
RUN npm init -y >/dev/null && npm install --omit=dev --no-audit --no-fund /pkg/temporal-cascade-*.tgz \
    @temporalio/client@1.24.0 @temporalio/common@1.24.0 @temporalio/proto@1.24.0 @temporalio/workflow@1.24.0 \
    @temporalio/worker@1.24.0 @temporalio/activity@1.24.0 @temporalio/plugin@1.24.0 pg@8 \
  && npm cache clean --force
USER node
ENV CASCADE_WORKFLOW_BUNDLE=/pkg/workflow-bundle.js
EXPOSE 9464 8091
CMD ["node_modules/.bin/temporal-cascade-worker"]
