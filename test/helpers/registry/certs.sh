#!/bin/sh
# certs.sh DIR — the keys and certificates of the registry tests, made with
# openssl, all in DIR (nothing of the host's is read or written):
#
#   ca.crt ca.key            a test CA (EC P-256, 30 days)
#   server.crt server.key    server certificate from that CA (RSA 2048, as
#                            most registries have) for 127.0.0.1, 127.0.0.2,
#                            localhost and registry.test
#   self.crt self.key        a self-signed server certificate (EC) for the
#                            same names (the --tls-verify=false case)
#   client.cert client.key   a client certificate from the CA (EC,
#                            clientAuth), named as certs.d wants them
#   token.crt token.key      the bearer-token server's signing certificate
#                            (self-signed RSA 2048: RS256 tokens), the
#                            registry's rootcertbundle
#
# EC keys where the kind does not matter: RSA key generation is slow.
#
# Prints nothing; exits non-zero with openssl's output on failure.
set -eu
D=$1
mkdir -p "$D"
cd "$D"
q() { "$@" >/dev/null 2>&1 || { echo "certs.sh: failed: $*" >&2; "$@"; exit 1; }; }

SAN="subjectAltName=IP:127.0.0.1,IP:127.0.0.2,DNS:localhost,DNS:registry.test"
printf '%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$SAN" > server.ext
printf 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n' > client.ext

q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 30 \
	-subj "/CN=cpod registry test CA/O=cpod tests"
q openssl req -new -nodes -newkey rsa:2048 -keyout server.key -out server.csr \
	-subj "/CN=127.0.0.1/O=cpod tests"
q openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 \
	-extfile server.ext -out server.crt
q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout self.key -out self.crt -days 30 \
	-subj "/CN=127.0.0.1/O=cpod tests self-signed" -addext "$SAN"
q openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout client.key -out client.csr \
	-subj "/CN=cpod test client"
q openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 \
	-extfile client.ext -out client.cert
q openssl req -x509 -newkey rsa:2048 -nodes -keyout token.key -out token.crt -days 30 \
	-subj "/CN=cpod test token issuer"
rm -f ./*.csr ./*.ext ca.srl
chmod 0600 ./*.key
