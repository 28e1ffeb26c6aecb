from busybox
run echo crlf \
  continued
EnV Key=Value
copy a b
WorkDir /w
  # indented comment
	  user nobody
