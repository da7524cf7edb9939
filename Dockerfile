# syntax=docker/dockerfile:1
# pos-producer: one compiled executable on a small Debian runtime.
#
#   docker build -t pos-producer .
#   docker run --rm --read-only --tmpfs /tmp -v "$PWD/data:/data:ro" -p 9464:9464 \
#     pos-producer --broker kafka:9092
#
# See docs/packaging.md for what each choice buys and what was verified where.

ARG DENO_VERSION=2.9.6

# ---- build: the official Deno image, pinned to the version the project uses ----
FROM denoland/deno:${DENO_VERSION} AS build
WORKDIR /src
# Dependencies first, so this layer is cached until deno.json/deno.lock change; --frozen: exactly
# the versions deno.lock pins, and a failure if the lock file is out of date.
COPY deno.json deno.lock ./
RUN deno install --frozen
COPY main.ts ./
COPY lib/ lib/
# `deno task compile` downloads the matching `denort` runtime from dl.deno.land (Deno skips the
# download when DENORT_BIN names a local denort). Then a smoke test of the binary itself.
RUN deno task compile && ./dist/pos-producer --version && ./dist/pos-producer run --help >/dev/null

# ---- runtime: glibc, bash for the health check, nothing else ----
FROM debian:bookworm-slim AS runtime
RUN useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin pos
COPY --from=build /src/dist/pos-producer /usr/local/bin/pos-producer
COPY deploy/healthcheck.sh /usr/local/bin/pos-producer-healthcheck

# The binary writes nothing but V8's code cache, which goes to $TMPDIR: run with a read-only root
# file system and a tmpfs on /tmp (`--read-only --tmpfs /tmp`, compose: read_only + tmpfs).
ENV TMPDIR=/tmp \
    DENO_DIR=/tmp/deno
# glibc's malloc: buffers from 128 KiB up (fetch responses) are mapped and given back when freed,
# instead of fragmenting the heap (a backfill's peak RSS; docs/service.md, "Footprint").
ENV MALLOC_MMAP_THRESHOLD_=131072
# The price book (defaults /data/store_inventory_final.parquet, /data/all_discounts.parquet):
# mount it read-only (`-v ./data:/data:ro`); the files are reloaded when they change.
VOLUME ["/data"]
EXPOSE 9464
USER 10001:10001

# Liveness from /healthz, with bash's /dev/tcp (no curl in the image), on the port the service
# was given (--metrics-port or METRICS_PORT, read from /proc/1); port 0 means no check.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["bash", "/usr/local/bin/pos-producer-healthcheck"]

# `docker stop` sends SIGTERM: the service commits what is in flight and exits 0 within 10 s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/pos-producer"]
CMD ["run"]
