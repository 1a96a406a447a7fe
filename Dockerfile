# syntax=docker/dockerfile:1
# Ponte's container image: `docker build -t ponte .` from the repository's root.
#
# Stage 1 builds the `ponte` binary; the WebAssembly plugins (plugins/<p>/plugin.wasm) are built
# by the same cargo build (plugins/build). Stage 2 is a small Debian with the binary, the bundled
# plugins (manifests, Rhai scripts, wasm components; no sources) and a non-root user.
# Checked by host/tests/deployment.rs.

FROM rust:1.95-bookworm AS build
RUN rustup target add wasm32-wasip2
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin ponte \
 && install -D target/release/ponte /out/ponte \
 && mkdir -p /out/plugins \
 && for dir in plugins/*/; do \
      [ -f "$dir/plugin.toml" ] || continue; \
      name="$(basename "$dir")"; mkdir -p "/out/plugins/$name"; \
      find "$dir" -maxdepth 2 \( -name 'plugin.toml' -o -name '*.rhai' -o -name '*.wasm' -o -name 'README.md' \) \
        -not -path '*/target/*' -exec cp --parents {} /out/ \; ; \
    done

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 ponte \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/ponte --create-home ponte \
 && mkdir -p /etc/ponte/automations
COPY --from=build /out/ponte /usr/local/bin/ponte
COPY --from=build /out/plugins /opt/ponte/plugins
ENV PONTE_LISTEN=0.0.0.0:8080 \
    PONTE_PLUGINS=/opt/ponte/plugins \
    PONTE_AUTOMATIONS=/etc/ponte/automations \
    PONTE_LOG_FORMAT=json \
    DATABASE_URL=sqlite:///var/lib/ponte/ponte.db
USER 10001:10001
WORKDIR /var/lib/ponte
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/ponte"]
CMD ["serve"]
