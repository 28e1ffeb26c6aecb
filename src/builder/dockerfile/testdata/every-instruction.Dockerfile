ARG VERSION=1.2
FROM busybox:${VERSION} AS base
MAINTAINER Jane Doe <jane@example.com>
LABEL org.opencontainers.image.version=$VERSION description="a \"quoted\" label"
ARG VERSION
ENV APP_HOME=/app
WORKDIR $APP_HOME
USER app:app
EXPOSE 80 443/tcp 53/udp 8000-8002
VOLUME ["/data", "$APP_HOME/cache"]
VOLUME /logs /tmp/x
COPY --chown=app:app . $APP_HOME/
ADD https://example.com/file.tar.gz /opt/
RUN make
SHELL ["/bin/sh", "-ec"]
STOPSIGNAL SIGTERM
HEALTHCHECK CMD wget -q -O- http://localhost/ || exit 1
ONBUILD COPY . /src
CMD ["./app"]
ENTRYPOINT ["/entry.sh"]
