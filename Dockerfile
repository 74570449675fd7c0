# syntax=docker/dockerfile:1

# Build stage: the same script scripts/check-image proves, so the binary is the tested one.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock rust-toolchain.toml ./
COPY src ./src
COPY benches ./benches
COPY scripts/build-static ./scripts/build-static
RUN cp "$(scripts/build-static)" /janrain-emulator && mkdir /data

# The binary alone, for release downloads: docker build --target binary --output dist .
FROM scratch AS binary
COPY --from=build /janrain-emulator /janrain-emulator

# Runtime stage: one statically linked binary and an empty directory for --state-file.
FROM scratch
COPY --from=build /janrain-emulator /janrain-emulator
COPY --from=build --chown=65532:65532 /data /data
USER 65532:65532
ENV JANRAIN_EMULATOR_LISTEN=0.0.0.0:8080 JANRAIN_EMULATOR_HTTPS_LISTEN=0.0.0.0:8443
EXPOSE 8080 8443
HEALTHCHECK --interval=5s --timeout=3s --start-period=2s --retries=3 \
  CMD ["/janrain-emulator", "healthcheck"]
ENTRYPOINT ["/janrain-emulator"]
