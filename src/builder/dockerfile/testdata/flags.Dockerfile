FROM --platform=linux/amd64 busybox AS tools
FROM busybox
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked,id=apt --network=none apt-get update
RUN --mount=type=secret,id=token,required --mount=type=ssh --mount=type=tmpfs,target=/tmp,size=1048576 true
RUN --mount=target=/src,rw --mount=type=bind,from=tools,src=/bin,dst=/tools,ro true
RUN --network=host --security=insecure -- echo dashdash
COPY --link --chmod=0644 --chown=1000:1000 --exclude=*.md --exclude=tmp "--from=tools" /bin/sh /sh
COPY --parents ./a/b/c.txt ./d/ /dst/
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d --keep-git-dir=true --unpack=false https://example.com/x.tar /x/
COPY ["with space.txt", "/dest dir/"]
