# dynaudit container image.
#
#   docker build -t dynaudit .
#   docker run --rm -p 8443:8443 -p 9901:9901 \
#     -v "$PWD/conf:/etc/dynaudit:ro" -v dynaudit-data:/var/lib/dynaudit dynaudit
#
# Mount a folder with dynaudit.yaml (plus its credentials file and TLS files) at
# /etc/dynaudit. Inside a container the listeners must bind 0.0.0.0 (not
# 127.0.0.1 as in examples/dynaudit.yaml) to be reachable through -p; keep the
# admin listener on 127.0.0.1 unless an orchestrator probes it from outside
# (the HEALTHCHECK below runs inside the container). Example configs are in
# /usr/share/dynaudit/examples.

# ---- build: the same ./dev script developers and CI use ---------------------
FROM debian:bookworm AS build
WORKDIR /src
COPY . .
RUN ./dev setup --build-only \
 && ./dev build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDYNAUDIT_TESTS=OFF \
 && strip --strip-debug build/bin/dynaudit \
 && build/bin/dynaudit --help >/dev/null

# ---- runtime: the binary and its shared libraries only ----------------------
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libssl3 libyaml-cpp0.7 librocksdb7.8 libsimdjson14 libsodium23 zlib1g ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/dynaudit --shell /usr/sbin/nologin dynaudit \
 && mkdir -p /etc/dynaudit /var/lib/dynaudit /usr/share/dynaudit \
 && chown dynaudit:dynaudit /var/lib/dynaudit
COPY --from=build /src/build/bin/dynaudit /usr/local/bin/
COPY examples/ /usr/share/dynaudit/examples/
# Fail the image build, not the first start, if a shared library is missing.
RUN ! ldd /usr/local/bin/dynaudit | grep -q 'not found'
USER dynaudit
WORKDIR /var/lib/dynaudit
VOLUME /var/lib/dynaudit
EXPOSE 8000 8443 9901
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS http://127.0.0.1:9901/healthz || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["dynaudit"]
CMD ["serve", "--config", "/etc/dynaudit/dynaudit.yaml"]
