FROM busybox
# exec form
RUN ["echo", "hello world"]
# shell form
RUN echo hello world
# invalid JSON falls back to shell form
RUN [ "echo", unquoted ]
CMD ["sh", "-c", "echo $HOME"]
ENTRYPOINT echo "entry"
ENTRYPOINT []
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN ["echo", "$NOT_EXPANDED"]
CMD
