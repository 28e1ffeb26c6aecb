FROM busybox
ONBUILD ADD . /app/src
onbuild   run   echo "${NOT_EXPANDED}"
ONBUILD HEALTHCHECK --interval=5s CMD true
ONBUILD COPY --from=builder /a /b
