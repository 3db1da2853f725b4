# Multi-stage build: compile in the Rust image, run on slim Debian as a non-root user.
FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends cmake && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY benches ./benches
RUN cargo build --release --locked --bin rampart

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/rampart --create-home rampart
COPY --from=build /src/target/release/rampart /usr/local/bin/rampart
COPY conf /etc/rampart/conf
COPY filters /etc/rampart/filters
USER rampart
WORKDIR /var/lib/rampart
ENV RAMPART_PID_FILE=/var/lib/rampart/rampart.pid \
    RAMPART_UPGRADE_SOCK=/var/lib/rampart/upgrade.sock \
    RAMPART_METRICS_LISTEN=0.0.0.0:9090 \
    RAMPART_ADMIN_LISTEN=0.0.0.0:9091 \
    RAMPART_ADMIN_STATE_DIR=/var/lib/rampart/admin
EXPOSE 8080 9090 9091
HEALTHCHECK --interval=10s --timeout=2s CMD ["/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9090 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q 200 <&3"]
ENTRYPOINT ["/usr/local/bin/rampart"]
CMD ["run", "-c", "/etc/rampart/conf/rampart.yaml"]
