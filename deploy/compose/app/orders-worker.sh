#!/bin/sh
# The example application of deploy/compose and deploy/kubernetes: a worker
# that writes and reads orders through its dynaudit sidecar, with the AWS CLI.
# Any SDK works the same way: point its DynamoDB endpoint at the sidecar and
# sign with the access key dynaudit issued to the service (auth.mode: verify).
#
# Environment:
#   AWS_ENDPOINT_URL_DYNAMODB  the sidecar, http://127.0.0.1:8000 (passed as
#                              --endpoint-url too, for CLIs older than 2.13)
#   AWS_REGION                 the region dynaudit accepts (auth.allowed_regions)
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
#                              the key from dynaudit's credentials file, not an AWS key
#   ORDERS_TABLE               default: orders (made by your deployment pipeline,
#                              with key schema customer_id (HASH), order_id (RANGE))
#   INTERVAL                   seconds between rounds, default 5
#   ITERATIONS                 rounds to run, 0 (default) = forever
#
# A round that fails (the sidecar is not ready yet, or it refuses calls while
# its audit store cannot write) is logged and retried at the next round.
set -u

endpoint="${AWS_ENDPOINT_URL_DYNAMODB:?set AWS_ENDPOINT_URL_DYNAMODB to the dynaudit sidecar}"
table="${ORDERS_TABLE:-orders}"
interval="${INTERVAL:-5}"
iterations="${ITERATIONS:-0}"
failures=0
i=0

while [ "$iterations" -eq 0 ] || [ "$i" -lt "$iterations" ]; do
  i=$((i + 1))
  customer="c$((i % 10))"
  if aws dynamodb put-item --endpoint-url "$endpoint" --table-name "$table" \
       --item "{\"customer_id\":{\"S\":\"$customer\"},\"order_id\":{\"S\":\"o$i\"},\"status\":{\"S\":\"new\"}}" \
       >/dev/null \
     && aws dynamodb query --endpoint-url "$endpoint" --table-name "$table" \
       --key-condition-expression "customer_id = :c" \
       --expression-attribute-values "{\":c\":{\"S\":\"$customer\"}}" \
       --max-items 5 >/dev/null; then
    echo "round $i ok"
  else
    failures=$((failures + 1))
    echo "round $i failed (is the dynaudit sidecar ready? GET :9901/readyz)" >&2
  fi
  if [ "$iterations" -eq 0 ] || [ "$i" -lt "$iterations" ]; then
    sleep "$interval"
  fi
done
[ "$failures" -eq 0 ]
