# Worker and webhook receiver image: compiled JavaScript plus a prebuilt workflow bundle.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
RUN npm run build && npm run build:bundle

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts
COPY --from=build /app/dist ./dist
USER node
ENV CASCADE_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js
EXPOSE 9464
CMD ["node", "dist/bin/worker.js"]
