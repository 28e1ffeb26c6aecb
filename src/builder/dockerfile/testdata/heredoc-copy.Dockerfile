FROM busybox
ARG NAME=world
ENV GREETING=hello
COPY <<EOF /etc/greeting
$GREETING ${NAME}
"quotes stay" and 'these too'
EOF
COPY --chmod=755 <<'EOF' /usr/local/bin/run.sh
#!/bin/sh
echo $GREETING
EOF
COPY <<A <<B /multi/
a
A
b
B
ADD <<EOF local.txt /dst/
from add
EOF
