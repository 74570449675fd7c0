# syntax=docker/dockerfile:1
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock rust-toolchain.toml ./
COPY src ./src
RUN cargo build --release --locked --bin janrain-emulator

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/janrain-emulator /usr/local/bin/janrain-emulator
ENV JANRAIN_EMULATOR_LISTEN=0.0.0.0:8080
EXPOSE 8080
USER nonroot
ENTRYPOINT ["/usr/local/bin/janrain-emulator"]
