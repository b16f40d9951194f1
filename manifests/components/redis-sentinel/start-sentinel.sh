#!/bin/sh
# A Sentinel for the set: monitors the primary the other Sentinels name (pod 0 on the very first
# start), announces this pod's stable name, and requires the same password as the data nodes.
set -eu
self="$(hostname).hoop-redis-nodes"
export REDISCLI_AUTH="$REDIS_PASSWORD"
primary=""
for i in 0 1 2; do
  answer="$(redis-cli -h "hoop-redis-$i.hoop-redis-nodes" -p 26379 --raw \
    sentinel get-master-addr-by-name hoop 2>/dev/null | head -n 1 || true)"
  if [ -n "$answer" ]; then primary="$answer"; break; fi
done
if [ -z "$primary" ]; then primary="hoop-redis-0.hoop-redis-nodes"; fi
umask 077
cat > /sentinel/sentinel.conf <<CONF
port 26379
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel announce-ip $self
requirepass $REDIS_PASSWORD
sentinel monitor hoop $primary 6379 2
sentinel auth-pass hoop $REDIS_PASSWORD
sentinel down-after-milliseconds hoop 5000
sentinel failover-timeout hoop 30000
sentinel parallel-syncs hoop 1
CONF
exec redis-server /sentinel/sentinel.conf --sentinel
