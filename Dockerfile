# Hopper's embedded control plane on Linux, for machines whose kernel cannot give the
# simulated hosts their namespaces (macOS, Windows, containers without them).
#   docker build -t hopper .
#   docker run --rm -it --privileged --name hopper hopper            # npm start inside
#   docker exec -it hopper npx hopper create cluster --name demo --zones us-east-1a --yes
# --privileged lets bubblewrap (or unshare) make the hosts' namespaces inside the
# container; Docker's default seccomp profile refuses them. Servers listen on the
# container's 127.0.0.1, as everywhere: use the CLI through `docker exec`.
FROM node:22-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap util-linux shellcheck ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /hopper
# patches/: fixes to dependencies that npm's postinstall applies (patch-package).
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY . .
CMD ["npm", "start"]
