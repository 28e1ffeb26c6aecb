FROM busybox
ARG SET=value
ARG EMPTY=
ARG UNSET
ENV B=bee
WORKDIR /a/${UNSET:-$B}/${EMPTY:-default}/${EMPTY-notused}/${UNSET-unsetdefault}
WORKDIR /b/${SET:+plus}/${EMPTY:+no}/${EMPTY+yes}/${UNSET+no}
WORKDIR /c/${SET:-${B:-x}}/$SET$B/${SET}_suffix/$SET_suffix
WORKDIR /d/\$SET/'$SET'/"$SET"/\${B}
USER "${SET} with space"
WORKDIR /e/$/${B#b}/${B%e}/${B%%e*}/${B/e/E}/${B//e/E}
WORKDIR /f/$1/${SET:-'quoted default'}
STOPSIGNAL ${SIG:-SIGKILL}
ARG PS="80 443/udp"
EXPOSE ${PORTS:-8080} $PS
