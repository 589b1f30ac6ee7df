# syntax=docker/dockerfile:1
# Build stage: a static kindred binary.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# nodynamic: HEIC photos are decoded by libheif compiled to WebAssembly
# (wazero), sandboxed, never by a shared libheif found on the host.
RUN CGO_ENABLED=0 go build -tags nodynamic -trimpath -ldflags="-s -w" -o /out/kindred ./cmd/kindred && mkdir -p /out/documents /out/images /out/exports

# Run stage: no shell, no package manager, an unprivileged user.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/kindred /usr/local/bin/kindred
# Clinicians' proof documents: a volume owned by the unprivileged user.
COPY --from=build --chown=65532:65532 --chmod=0700 /out/documents /var/lib/kindred/documents
# Images in posts (KINDRED_STORAGE=local): likewise.
COPY --from=build --chown=65532:65532 --chmod=0700 /out/images /var/lib/kindred/images
# Members' data exports until downloaded or expired: likewise.
COPY --from=build --chown=65532:65532 --chmod=0700 /out/exports /var/lib/kindred/exports
USER nonroot:nonroot
EXPOSE 8080
ENV KINDRED_ADDR=:8080 KINDRED_DOCUMENT_DIR=/var/lib/kindred/documents KINDRED_IMAGE_DIR=/var/lib/kindred/images KINDRED_EXPORT_DIR=/var/lib/kindred/exports
ENTRYPOINT ["/usr/local/bin/kindred"]
CMD ["serve"]
