FROM busybox AS a
FROM a AS b
COPY --from=0 / /
FROM busybox AS c
COPY --from=b / /
FROM c AS d
