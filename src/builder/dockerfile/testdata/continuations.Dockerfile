FROM busybox
RUN apk add \
    curl \
# a comment inside the continuation
    # indented comment

    git \   
    make
LABEL a=1 \
      b=2
RUN echo "no continuation" \
