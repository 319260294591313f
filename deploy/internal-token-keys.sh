#!/usr/bin/env sh
# Creates the internal-token Secrets a Parley release reads: one Ed25519 private key per service
# (<fullname>-<service>-internal-token, key private-key) and every public key as a JWKS
# (<fullname>-internal-token-public, key jwks; kid = service name). Private keys never leave the pipe
# into kubectl. Needs openssl (1.1.1+), base64 and kubectl.
#   deploy/internal-token-keys.sh <namespace> <fullname>     e.g. deploy/internal-token-keys.sh parley parley
set -eu
namespace=${1:?namespace}
fullname=${2:?release fullname}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
jwks=''
for svc in gateway identity numbering messaging billing privacy; do
  openssl genpkey -algorithm ed25519 -out "$work/$svc.pem"
  kubectl -n "$namespace" create secret generic "$fullname-$svc-internal-token" \
    --from-file=private-key="$work/$svc.pem"
  # The raw 32-byte public key is the tail of its DER form; a JWK wants it base64url without padding.
  x=$(openssl pkey -in "$work/$svc.pem" -pubout -outform DER | tail -c 32 | base64 | tr '+/' '-_' | tr -d '=\n')
  jwks="$jwks${jwks:+,}{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"$x\",\"kid\":\"$svc\"}"
done
kubectl -n "$namespace" create secret generic "$fullname-internal-token-public" \
  --from-literal=jwks="{\"keys\":[$jwks]}"
