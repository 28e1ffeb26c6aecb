FROM busybox
RUN <<EOF
echo hello
echo $HOME
EOF
RUN <<-EOT bash
		echo tabs stripped
	EOT
RUN cat <<"EOF" > /quoted && cat <<EOF2 > /unquoted
$NOT_EXPANDED
EOF
$EXPANDED_BY_SHELL
EOF2
RUN 3<<FD cat /proc/self/fd/3
fd three
FD
RUN python3 <<PY
#!/usr/bin/env python3
print("hi")
PY
RUN ["echo", "<<EOF"]
RUN echo "<<NOTHEREDOC"
