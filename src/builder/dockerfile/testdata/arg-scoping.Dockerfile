ARG GLOBAL=global-default
ARG OVERRIDDEN=default
ARG IMAGE=busybox
FROM ${IMAGE} AS first
# a global ARG is not visible without re-declaring it
RUN echo $GLOBAL
WORKDIR /$GLOBAL
ARG GLOBAL
WORKDIR /$GLOBAL
ARG OVERRIDDEN
WORKDIR /$OVERRIDDEN
ARG LOCAL=local-default
ARG CONT_IMG_VER
ENV CONT_IMG_VER=v1.0.0
WORKDIR /$CONT_IMG_VER
RUN echo $LOCAL

FROM first AS second
# ARGs do not carry into the next stage; ENV does
WORKDIR /$LOCAL/$CONT_IMG_VER
ARG A=1 B=$A C
RUN true
