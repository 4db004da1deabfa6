# Lectern: one binary plus a data volume.
# Build stage: cgo is needed for SQLite (mattn/go-sqlite3).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /out/lectern .

# Run stage: a small Debian with only CA certificates; non-root user.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates wget \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin lectern \
 && mkdir -p /data && chown lectern:lectern /data
COPY --from=build /out/lectern /usr/local/bin/lectern
USER lectern
VOLUME ["/data"]
# The LMS and the content origin (SCOs run there, never on the LMS origin).
# Behind a proxy, set LECTERN_BASE_URL and LECTERN_CONTENT_URL to the public
# https origins, for example https://lms.example.org and https://content.example.org.
ENV LECTERN_DATA=/data \
    LECTERN_ADDR=0.0.0.0:8080 \
    LECTERN_CONTENT_ADDR=0.0.0.0:8081
EXPOSE 8080 8081
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD wget -q -O /dev/null http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["lectern"]
CMD ["serve"]
