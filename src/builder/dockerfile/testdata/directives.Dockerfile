# syntax=docker/dockerfile:1.7
# check=skip=JSONArgsRecommended
# a plain comment ends the directives
# escape=`
FROM busybox
RUN echo one \
    two
