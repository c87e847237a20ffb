#!/bin/bash
# Makes a development CA, a server certificate for localhost and one client
# certificate per role, with an access configuration naming them, for
# running portraitd with mutual TLS on one machine (docs/SECURITY.md).
# Never for production: the CA key lies next to the certificates.
#
#   tools/make_dev_certs.sh [DIR]      # default var/dev-certs
#
# DIR/ca.pem                 the CA (--tls_client_ca_file, and the clients'
#                            root of trust)
# DIR/server.pem, .key       the server (--tls_cert_file, --tls_key_file);
#                            valid for localhost and 127.0.0.1
# DIR/<role>.pem, .key       a client per role: feed, push-scheduler,
#                            toggle-handler, event-pipeline, privacy-desk,
#                            admin (the certificate's common name)
# DIR/stranger.pem, .key     a client the CA signed but no role names
# DIR/access.textproto       the access configuration (--access_config)
set -euo pipefail
dir=${1:-var/dev-certs}
command -v openssl >/dev/null || { echo "make_dev_certs: needs openssl" >&2; exit 1; }
mkdir -p "$dir"
chmod 700 "$dir"
cd "$dir"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 \
          -out "$1.key" 2>/dev/null; chmod 600 "$1.key"; }

key ca
openssl req -x509 -new -key ca.key -days 30 -subj "/CN=portrait dev CA" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign" -out ca.pem 2>/dev/null

# sign NAME EXTENSIONS: a certificate for NAME signed by the CA.
sign() {
  key "$1"
  openssl req -new -key "$1.key" -subj "/CN=$1" -out "$1.csr" 2>/dev/null
  printf '%s\n' "$2" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
    -days 30 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

# Also a client: a shard calls the other shards of its cluster with it.
sign server "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth,clientAuth"
roles=(feed:ROLE_FEED push-scheduler:ROLE_PUSH_SCHEDULER
       toggle-handler:ROLE_TOGGLE_HANDLER event-pipeline:ROLE_EVENT_PIPELINE
       privacy-desk:ROLE_PRIVACY_DESK admin:ROLE_ADMIN
       shard-peer:ROLE_SHARD_PEER)
{
  echo "# Development callers (tools/make_dev_certs.sh)."
  for entry in "${roles[@]}"; do
    name=${entry%%:*}
    sign "$name" "extendedKeyUsage=clientAuth"
    echo "callers { identity: \"$name\" roles: ${entry#*:} }"
  done
  echo "callers { identity: \"server\" roles: ROLE_SHARD_PEER }"
} >access.textproto
sign stranger "extendedKeyUsage=clientAuth"
rm -f ca.srl
echo "make_dev_certs: CA, server and ${#roles[@]} role certificates in $dir"
