#!/usr/bin/env bash
# Creates pos-producer's topics (idempotent), as `pos-producer --create-topics` would: the four
# data topics with TOPIC_PARTITIONS partitions and the compacted state changelog. Runs in the
# apache/kafka image (docker-compose.yml, service `topics`); any shell with kafka-topics.sh works:
#   KAFKA_BROKER=host:9092 deploy/create-topics.sh
set -euo pipefail
: "${KAFKA_BROKER:=kafka:9092}"
: "${TOPIC_PARTITIONS:=3}"
: "${REPLICATION_FACTOR:=1}"
topics_sh=${KAFKA_TOPICS_SH:-$(command -v kafka-topics.sh || echo /opt/kafka/bin/kafka-topics.sh)}

# Wait for the broker (compose also waits for its health check; this covers plain use).
for i in $(seq 1 60); do
  if "$topics_sh" --bootstrap-server "$KAFKA_BROKER" --list >/dev/null 2>&1; then break; fi
  [ "$i" = 60 ] && { echo "create-topics: broker $KAFKA_BROKER unreachable" >&2; exit 1; }
  sleep 2
done

create() {
  "$topics_sh" --bootstrap-server "$KAFKA_BROKER" --create --if-not-exists \
    --topic "$1" --partitions "$TOPIC_PARTITIONS" --replication-factor "$REPLICATION_FACTOR" \
    "${@:2}"
}
for t in "${FOOT_TOPIC:-foot_traffic}" "${SHELF_TOPIC:-shelf_events}" \
  "${POS_TOPIC:-pos_transactions}" "${DLQ_TOPIC-pos_dlq}"; do
  if [ -n "$t" ]; then create "$t"; fi   # DLQ_TOPIC="" turns the DLQ off
done
create "${STATE_TOPIC:-pos_producer_state}" \
  --config cleanup.policy=compact --config min.compaction.lag.ms=0 --config segment.ms=21600000
"$topics_sh" --bootstrap-server "$KAFKA_BROKER" --list
