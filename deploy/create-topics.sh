#!/usr/bin/env bash
# Creates pos-producer's topics (idempotent), as `pos-producer --create-topics` would: the four
# data topics with TOPIC_PARTITIONS partitions, then the internal topics with as many partitions
# as the foot topic has (P, however it was made): the repartition topic (REPARTITION_TOPIC,
# default <APPLICATION_ID>-by-customer, not compacted) and the compacted state changelog.
# P is also the most instances that get work (docs/service.md, "Several instances"). Runs in the
# apache/kafka image (docker-compose.yml, service `topics`); any shell with kafka-topics.sh works:
#   KAFKA_BROKER=host:9092 deploy/create-topics.sh
# Give it the same topic variables and APPLICATION_ID as the service.
set -euo pipefail
: "${KAFKA_BROKER:=kafka:9092}"
: "${TOPIC_PARTITIONS:=3}"
: "${REPLICATION_FACTOR:=1}"
topics_sh=${KAFKA_TOPICS_SH:-$(command -v kafka-topics.sh || echo /opt/kafka/bin/kafka-topics.sh)}
foot=${FOOT_TOPIC:-foot_traffic}
# As the service: APPLICATION_ID, else the deprecated TRANSACTIONAL_ID, else pos-producer.
app=${APPLICATION_ID:-${TRANSACTIONAL_ID:-pos-producer}}
repartition=${REPARTITION_TOPIC:-$app-by-customer}

# Wait for the broker (compose also waits for its health check; this covers plain use).
for i in $(seq 1 60); do
  if "$topics_sh" --bootstrap-server "$KAFKA_BROKER" --list >/dev/null 2>&1; then break; fi
  [ "$i" = 60 ] && { echo "create-topics: broker $KAFKA_BROKER unreachable" >&2; exit 1; }
  sleep 2
done

create() { # topic partitions [--config k=v …]
  "$topics_sh" --bootstrap-server "$KAFKA_BROKER" --create --if-not-exists \
    --topic "$1" --partitions "$2" --replication-factor "$REPLICATION_FACTOR" "${@:3}"
}
for t in "$foot" "${SHELF_TOPIC:-shelf_events}" \
  "${POS_TOPIC:-pos_transactions}" "${DLQ_TOPIC-pos_dlq}"; do
  if [ -n "$t" ]; then create "$t" "$TOPIC_PARTITIONS"; fi   # DLQ_TOPIC="" turns the DLQ off
done

# P: the foot topic's partition count, which the internal topics must share.
p=$("$topics_sh" --bootstrap-server "$KAFKA_BROKER" --describe --topic "$foot" |
  grep -o 'PartitionCount: *[0-9]*' | head -1 | grep -o '[0-9]*$' || true)
[ -n "$p" ] || { echo "create-topics: cannot read the partition count of $foot" >&2; exit 1; }
create "$repartition" "$p" --config cleanup.policy=delete
create "${STATE_TOPIC:-pos_producer_state}" "$p" \
  --config cleanup.policy=compact --config min.compaction.lag.ms=0 --config segment.ms=21600000
echo "create-topics: $foot has $p partitions: $repartition and ${STATE_TOPIC:-pos_producer_state} made with $p (at most $p instances get work)"
"$topics_sh" --bootstrap-server "$KAFKA_BROKER" --list
