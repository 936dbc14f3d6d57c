# An app image with initbox copied in: the way to give a distroless or
# scratch image (no shell, no curl, no wget) a HEALTHCHECK and a start-up
# chain. The e2e tests build the stand-in app from e2e/cmd/app with it:
#
#   docker build -f app.Dockerfile --build-arg INITBOX_IMAGE=initbox -t initbox-e2e-app DIR_WITH_APP_BINARY
ARG INITBOX_IMAGE=initbox
FROM ${INITBOX_IMAGE} AS initbox

# Your app's own image; any base works.
FROM scratch
COPY app /app
COPY --from=initbox /initbox /initbox
USER 65532:65532
ENTRYPOINT ["/app"]
