# Builds the `taio` binary and runs it as an unprivileged user.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin taio

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/taio --create-home taio
COPY --from=build /src/target/release/taio /usr/local/bin/taio
USER taio
WORKDIR /var/lib/taio
ENV TAIO_LISTEN=0.0.0.0:8080 \
    TAIO_DATABASE_URL=sqlite:///var/lib/taio/taio.db?mode=rwc
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["taio"]
CMD ["serve"]
