#!/bin/sh
# Makes the secret files a dynaudit sidecar reads, for one service, in a folder
# of their own (default: ./secrets), and prints the service's key for its .env
# or Kubernetes Secret. Nothing it makes belongs in git.
#
#   deploy/make-secrets.sh [OUT_DIR]
#
#   OUT_DIR/credentials.yaml  auth.credentials_file: one key issued to the service
#   OUT_DIR/masking.key       masking.key_file: 32 random bytes, hex
#   OUT_DIR/checkpoint.key    audit.checkpoint_key_file: Ed25519 private key (PEM)
#   OUT_DIR/checkpoint.pub    its public key: keep a copy away from the host, for
#                             `dynaudit audit verify --public-key` (not secret, and
#                             not needed by the sidecar)
#
# Environment:
#   SERVICE         principal name of the service (default: orders)
#   SERVICE_GROUPS  its groups, comma-separated (default: orders-service)
#   DYNAUDIT        how to run dynaudit, for `audit keygen` (default: `dynaudit` when
#                   on PATH, else the dynaudit:local image through docker)
#   CHOWN           a uid[:gid] to give the files to, e.g. 10001:10001 for compose's
#                   bind-mounted secrets (needs root); default: leave them to the caller
#
# It refuses to overwrite existing files: a new checkpoint key or masking key on a
# running store changes hash tokens and the key checkpoints are verified with.
set -eu

out="${1:-secrets}"
service="${SERVICE:-orders}"
groups="${SERVICE_GROUPS:-orders-service}"

umask 077
mkdir -p "$out"

docker_out=0
if [ -z "${DYNAUDIT:-}" ]; then
  if command -v dynaudit >/dev/null 2>&1; then
    DYNAUDIT=dynaudit
  else
    DYNAUDIT="docker run --rm --user $(id -u):$(id -g) -v $(cd "$out" && pwd):/out dynaudit:local"
    docker_out=1
  fi
fi
for f in credentials.yaml masking.key checkpoint.key checkpoint.pub; do
  if [ -e "$out/$f" ]; then
    echo "make-secrets: $out/$f exists; not replacing it (remove it first if you mean to)" >&2
    exit 1
  fi
done

key_id="AKID$(openssl rand -hex 8 | tr 'a-f' 'A-F')"
secret="$(openssl rand -base64 30)"
group_list="$(printf '%s' "$groups" | sed 's/,/, /g')"
cat > "$out/credentials.yaml" <<EOF
# dynaudit credentials file: the keys dynaudit issues to its callers (made by
# deploy/make-secrets.sh). The service signs with this pair exactly as it would
# for AWS; it is worthless anywhere but at this sidecar.
keys:
  - access_key_id: $key_id
    secret_access_key: "$secret"
    principal: $service
    groups: [$group_list]
EOF

openssl rand -hex 32 > "$out/masking.key"

if [ "$docker_out" = 1 ]; then
  $DYNAUDIT audit keygen --private-key /out/checkpoint.key --public-key /out/checkpoint.pub >/dev/null
else
  $DYNAUDIT audit keygen --private-key "$out/checkpoint.key" --public-key "$out/checkpoint.pub" >/dev/null
fi

chmod 0400 "$out/credentials.yaml" "$out/masking.key" "$out/checkpoint.key"
chmod 0444 "$out/checkpoint.pub"
if [ -n "${CHOWN:-}" ]; then
  chown "$CHOWN" "$out/credentials.yaml" "$out/masking.key" "$out/checkpoint.key"
fi

echo "# made $out/credentials.yaml, masking.key, checkpoint.key, checkpoint.pub" >&2
echo "# the service's key (compose: its .env; Kubernetes: the orders-dynaudit-client Secret):" >&2
echo "ORDERS_ACCESS_KEY_ID=$key_id"
echo "ORDERS_SECRET_ACCESS_KEY=$secret"
