#!/bin/sh
# A Redis data node of the Sentinel-managed set. The primary is whoever the Sentinels name; only
# when none answers (the very first start) is pod 0 the primary and the others its replicas.
set -eu
self="$(hostname).hoop-redis-nodes"
export REDISCLI_AUTH="$REDIS_PASSWORD" # redis-cli reads it from the environment, not argv
primary=""
for i in 0 1 2; do
  answer="$(redis-cli -h "hoop-redis-$i.hoop-redis-nodes" -p 26379 --raw \
    sentinel get-master-addr-by-name hoop 2>/dev/null | head -n 1 || true)"
  if [ -n "$answer" ]; then primary="$answer"; break; fi
done
if [ -z "$primary" ]; then primary="hoop-redis-0.hoop-redis-nodes"; fi
# The password is passed as an argument expanded here, never written to a file on the volume.
set -- --appendonly yes --requirepass "$REDIS_PASSWORD" --masterauth "$REDIS_PASSWORD" \
  --replica-announce-ip "$self"
if [ "$primary" != "$self" ]; then set -- "$@" --replicaof "$primary" 6379; fi
exec redis-server "$@"
