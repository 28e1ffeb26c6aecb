FROM busybox
HEALTHCHECK NONE
HEALTHCHECK --interval=30s --timeout=1m30s --start-period=1.5s --start-interval=500ms --retries=3 CMD curl -f http://localhost/ || exit 1
HEALTHCHECK --interval=0s CMD ["/bin/check", "--fast"]
healthcheck --timeout=1h2m3.004005006s cmd true
