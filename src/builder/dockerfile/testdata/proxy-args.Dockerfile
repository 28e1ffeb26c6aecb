FROM busybox
ARG HTTPS_PROXY
RUN wget http://example.com/
ARG UNUSED_DEFAULT=x
