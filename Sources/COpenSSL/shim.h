// OpenSSL for Swift: the headers, plus static inline copies of the macros and
// constants Swift cannot import (function-like macros and SSL_OP_* bit shifts).
#ifndef RELAY_COPENSSL_SHIM_H
#define RELAY_COPENSSL_SHIM_H

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/evp.h>

static const uint64_t RELAY_SSL_OP_IGNORE_UNEXPECTED_EOF = SSL_OP_IGNORE_UNEXPECTED_EOF;
static const uint64_t RELAY_SSL_OP_NO_RENEGOTIATION = SSL_OP_NO_RENEGOTIATION;
static const long RELAY_SSL_MODES = SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;

/// TLS 1.2 or later, partial writes from a moving buffer, a peer's missing
/// close_notify read as a clean end, no renegotiation.
static inline int relay_ssl_ctx_configure(SSL_CTX *ctx) {
    if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) return 0;
    SSL_CTX_set_mode(ctx, RELAY_SSL_MODES);
    SSL_CTX_set_options(ctx, RELAY_SSL_OP_IGNORE_UNEXPECTED_EOF | RELAY_SSL_OP_NO_RENEGOTIATION);
    return 1;
}

/// A server's TLS 1.2 suites: forward secrecy (ECDHE) and AEAD ciphers only;
/// TLS 1.3's suites are all of that kind already.
static inline int relay_ssl_ctx_server_ciphers(SSL_CTX *ctx) {
    return SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20");
}

/// SNI (a name, never an IP literal).
static inline int relay_ssl_set_sni(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

/// The name or address the peer's certificate must carry.
static inline int relay_ssl_expect_ip(SSL *ssl, const char *address) {
    return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), address);
}

static inline void relay_openssl_free(void *pointer) { OPENSSL_free(pointer); }

#endif
