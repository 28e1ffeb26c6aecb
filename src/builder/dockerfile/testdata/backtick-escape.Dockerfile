# escape=`

FROM mcr.microsoft.com/windows/servercore
ENV PATHX="C:\Program Files\App" WIN=C:\dir`\
RUN dir c:\ `
    && echo done
COPY testfile.txt c:\
ENV Q="a`"b" SP=two` words
WORKDIR C:\Users\$USERNAME
