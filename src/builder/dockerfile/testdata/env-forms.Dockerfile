FROM busybox
ENV LEGACY value with   spaces
ENV A=1 B="two words" C=three\ four D='single $A' E="double $A"
ENV abc=hello
ENV abc=bye def=$abc
ENV ghi=$abc
ENV EMPTY= NEXT=x
ENV Q="a\"b" R=a\$b S="\$A" T=\\ U=1
LABEL "com.example.quoted key"="v" multi="line1 \
line2"
