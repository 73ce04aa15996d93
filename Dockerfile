# syntax=docker/dockerfile:1
# One image with all Pasar binaries; compose's `command` picks the service:
#   command-api | projector run | query-api | midtrans-sim | rajaongkir-sim
#
#   docker build -t pasar .
#   docker run --rm pasar command-api

FROM rust:1-bookworm AS builder
WORKDIR /src
# Only the workspace's sources: no target/, no .env.
COPY Cargo.toml Cargo.lock ./
COPY events events
COPY domain domain
COPY command-api command-api
COPY projector projector
COPY query-api query-api
COPY service service
COPY tests tests
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
        --bin command-api --bin projector --bin query-api --bin midtrans-sim --bin rajaongkir-sim \
    && mkdir -p /out \
    && cp target/release/command-api target/release/projector \
          target/release/query-api target/release/midtrans-sim \
          target/release/rajaongkir-sim /out/

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home pasar \
    && mkdir -p /var/lib/pasar/media && chown pasar /var/lib/pasar/media
COPY --from=builder /out/ /usr/local/bin/
USER pasar
# Inside a container the services must listen on every interface.
ENV COMMAND_API_ADDR=0.0.0.0:8081 \
    QUERY_API_ADDR=0.0.0.0:8082 \
    PROJECTOR_ADDR=0.0.0.0:8083 \
    MIDTRANS_SIM_ADDR=0.0.0.0:8090 \
    RUST_LOG=info
# The services' allocator (mimalloc) gives freed memory back at once rather than 10 ms later on
# the next allocation of the same thread (which an idle thread never makes): see README
# "Performance", memory.
ENV MIMALLOC_PURGE_DELAY=0
EXPOSE 8081 8082 8083 8090
CMD ["command-api"]
