# One image for the API and the worker; docker-compose.yml chooses the command.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY apps/cli/package.json apps/cli/
COPY apps/admin/package.json apps/admin/
COPY packages/config/package.json packages/config/
COPY packages/contracts/package.json packages/contracts/
COPY packages/db/package.json packages/db/
COPY packages/queue/package.json packages/queue/
COPY packages/imports/package.json packages/imports/
COPY packages/metrics/package.json packages/metrics/
COPY packages/storage/package.json packages/storage/
COPY packages/testing/package.json packages/testing/
RUN npm install --no-audit --no-fund
COPY . .
ENV NODE_ENV=production
EXPOSE 3000
CMD ["npm", "run", "api"]
