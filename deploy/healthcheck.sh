#!/usr/bin/env bash
# Liveness of the pos-producer in this container (the image's HEALTHCHECK): GET /healthz on the
# port the service was given, found as the service finds it: a --metrics-port flag beats
# METRICS_PORT, else 9464. Port 0 turns metrics off, and with them this check (healthy).
# POS_PID names the process when it is not PID 1 (tests).
set -u
pid=${POS_PID:-1}
port=""
mapfile -d '' args <"/proc/$pid/cmdline"
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
  --metrics-port) port=${args[i + 1]:-} ;;
  --metrics-port=*) port=${args[i]#*=} ;;
  esac
done
if [ -z "$port" ]; then
  port=$(tr '\0' '\n' <"/proc/$pid/environ" | sed -n 's/^METRICS_PORT=//p' | tail -n 1)
fi
port=${port:-9464}
[ "$port" = 0 ] && exit 0
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
printf 'GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
head -n 1 <&3 | grep -q ' 200 '
