FROM debian:bookworm-slim AS release
ARG EDITION
ARG VERSION
