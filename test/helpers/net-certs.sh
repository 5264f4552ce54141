#!/bin/sh
# net-certs.sh DIR — the certificates the TLS tests use, made with openssl:
#
#   ca.pem ca.key           a test CA (RSA 2048)
#   other-ca.pem            another CA that signed nothing here (an unrelated
#                           "system" bundle)
#   rsa.pem rsa.key         server, RSA, for registry.test and 127.0.0.1
#   ec.pem ec.key           server, EC P-256, same names
#   expired.pem expired.key server, valid 2020-01-01 .. 2020-01-02 only
#   client-rsa.pem/.key     client certificate, RSA key in PKCS#8
#   client-ec.pem/.key      client certificate, EC key in SEC1 ("EC PRIVATE KEY")
#   default.pem default.key server, for default.test only (SNI tests)
#
# Everything stays in DIR; nothing of the host's is touched.
set -eu
D=$1
mkdir -p "$D"
cd "$D"
q() { "$@" >/dev/null 2>&1 || { echo "net-certs.sh: failed: $*" >&2; "$@"; exit 1; }; }

q openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 \
	-subj "/CN=cpod test CA/O=cpod tests"
q openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem -days 30 \
	-subj "/CN=unrelated CA"

printf 'subjectAltName=DNS:registry.test,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
printf 'extendedKeyUsage=clientAuth\n' > client.ext

server() {  # name keyopts...
	name=$1; shift
	q openssl req -new -nodes "$@" -keyout "$name.key" -out "$name.csr" \
		-subj "/CN=registry.test/O=cpod tests"
	q openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
		-days 30 -extfile server.ext -out "$name.pem"
}
server rsa -newkey rsa:2048
server ec -newkey ec -pkeyopt ec_paramgen_curve:P-256

# a certificate that expired: openssl ca takes explicit dates
mkdir -p ca-db
: > ca-db/index.txt
echo 01 > ca-db/serial
cat > ca.cnf <<CNF
[ ca ]
default_ca = test
[ test ]
dir = ca-db
database = ca-db/index.txt
serial = ca-db/serial
new_certs_dir = ca-db
default_md = sha256
policy = anything
copy_extensions = none
[ anything ]
commonName = supplied
organizationName = optional
CNF
q openssl req -new -nodes -newkey rsa:2048 -keyout expired.key -out expired.csr \
	-subj "/CN=registry.test/O=cpod tests"
q openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr \
	-startdate 20200101000000Z -enddate 20200102000000Z -extfile server.ext -out expired.pem

q openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out client-rsa.key
q openssl req -new -key client-rsa.key -out client-rsa.csr -subj "/CN=cpod client rsa"
q openssl x509 -req -in client-rsa.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
	-extfile client.ext -out client-rsa.pem
q openssl ecparam -name prime256v1 -genkey -noout -out client-ec.key
q openssl req -new -key client-ec.key -out client-ec.csr -subj "/CN=cpod client ec"
q openssl x509 -req -in client-ec.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
	-extfile client.ext -out client-ec.pem

# the certificate a server gives when the client sends no (or another) SNI
printf 'subjectAltName=DNS:default.test\n' > default.ext
q openssl req -new -nodes -newkey rsa:2048 -keyout default.key -out default.csr \
	-subj "/CN=default.test"
q openssl x509 -req -in default.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
	-extfile default.ext -out default.pem
