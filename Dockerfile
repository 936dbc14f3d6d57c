# The initbox image: one static binary on scratch, run as a non-root user.
#
# Build it with the Go toolchain image (BuildKit, multi-arch with buildx):
#
#   docker build --build-arg VERSION=v1.0.0 -t initbox .
#   docker buildx build --platform linux/amd64,linux/arm64 -t initbox .
#
# or, where no base image can be pulled, from a binary built on the host
# (the same final image; the e2e tests build and test this target):
#
#   scripts/build.sh initbox v1.0.0
#   docker build --target prebuilt --build-arg VERSION=v1.0.0 -t initbox .
#
# Stage order matters. The legacy builder (no BuildKit) builds every stage
# up to the target, so "prebuilt" comes before the toolchain stage and never
# needs the golang image. BuildKit builds only the stages the target uses, so
# the default build skips "prebuilt" and needs no binary in the context.
# No "# syntax=" line: it would make BuildKit pull a frontend image.
#
# BuildKit sets BUILDPLATFORM itself; the legacy builder does not, and an
# empty "--platform=" fails to parse there. The default below is what the
# legacy builder sees (it builds for its own platform anyway).
ARG BUILDPLATFORM=linux/amd64

# runtime is everything the image is besides the binary; both ways of
# building it start from here, so they cannot drift apart.
FROM scratch AS runtime
ARG VERSION=dev
LABEL org.opencontainers.image.title="initbox" \
      org.opencontainers.image.description="Wait for dependencies, fetch files, render config: for init containers and healthchecks" \
      org.opencontainers.image.source="https://github.com/initbox/initbox" \
      org.opencontainers.image.documentation="https://github.com/initbox/initbox#readme" \
      org.opencontainers.image.version="${VERSION}"
# 65532 is distroless's "nonroot": files it writes into shared volumes
# belong to the same user as a distroless app's.
USER 65532:65532
ENTRYPOINT ["/initbox"]

# prebuilt takes the binary from the build context. It must be static
# (CGO_ENABLED=0), for the image's platform, and mode 0755: the legacy
# builder has no COPY --chmod.
FROM runtime AS prebuilt
COPY initbox /initbox

FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Cross-compiled on the build platform: pure Go needs no emulator.
RUN GOOS=$TARGETOS GOARCH=$TARGETARCH scripts/build.sh /out/initbox "$VERSION"

FROM runtime
COPY --from=build /out/initbox /initbox
