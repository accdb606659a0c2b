# Multi-stage build: compile in the Rust image, run in a slim Debian with only the binary
# (templates, static files and migrations are embedded in it) as a non-root user.
# Written by reading, not built here: this project's machines have no Docker engine.

FROM rust:1.95-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends pkg-config libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
# The bundled SQLite's compile-time options.
COPY .cargo .cargo
COPY src src
COPY migrations migrations
COPY templates templates
COPY static static
RUN cargo build --release --locked --bin conduit

FROM debian:bookworm-slim
# libssl3: the bundled libpq links OpenSSL dynamically; ca-certificates for TLS to PostgreSQL.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin conduit \
 && mkdir -p /data && chown conduit:conduit /data
COPY --from=build /src/target/release/conduit /usr/local/bin/conduit
USER conduit
WORKDIR /data
ENV DATABASE_URL=/data/conduit.db \
    CONDUIT_BIND=0.0.0.0:8080 \
    RUST_LOG=info
VOLUME ["/data"]
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/conduit"]
CMD ["serve"]
