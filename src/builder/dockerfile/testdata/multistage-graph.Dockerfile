FROM busybox AS Deps
RUN echo deps

FROM golang:1.22 AS build
COPY --from=deps /x /x
RUN --mount=type=cache,target=/root/.cache/go-build --mount=type=bind,from=deps,source=/y,target=/y go build

FROM build AS test
RUN go test

FROM scratch AS unused
COPY --from=nginx:latest /etc/nginx /nginx

FROM alpine AS final
COPY --from=1 /out /out
COPY --from=build /bin/app /app
