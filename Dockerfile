# syntax=docker/dockerfile:1

# cartback's image: the `cartback` binary for `worker`, `server`, `start` and `state` (see
# docker-compose.yml). The `nodev` build tag leaves out `cartback dev`'s embedded Temporal server,
# Web UI and WhatsApp sandbox, which would make the binary about 200 MB; the README's `go run`
# keeps them.

# The build runs on the builder's own platform and cross-compiles for the target (no emulation).
FROM --platform=$BUILDPLATFORM golang:1.26.8 AS build
WORKDIR /src
ARG TARGETOS TARGETARCH
COPY . .
# The caches keep modules and compiled packages between builds; the build downloads only the
# modules the nodev binary needs (not the Temporal server's).
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -tags nodev -trimpath -ldflags="-s -w" -o /cartback ./cmd/cartback

# Static binary, no shell, no package manager; CA certificates and time zone data included.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /cartback /cartback
# nonroot (65532), by number so that runtimes can check it is not root.
USER 65532:65532
# `cartback server` listens here when CARTBACK_HTTP_ADDR=0.0.0.0:8080 (its default is 127.0.0.1).
EXPOSE 8080
ENTRYPOINT ["/cartback"]
