/* HTTPS for the mock: run-local certificates, an OpenSSL context per certificate variant, and
 * the per-connection TLS engine (memory BIOs between the libuv stream and the HTTP code). */
#include "mocks/tls.h"

#include "mocks/mock_internal.h"

#include "common/mxc_error.h"
#include "common/mxc_util.h"

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The contexts a connection can be served from. */
typedef enum {
  VARIANT_GOOD,
  VARIANT_EXPIRED,
  VARIANT_WRONG_HOST,
  VARIANT_UNTRUSTED,
  VARIANT_OLD_PROTOCOL, /* the good leaf, TLS 1.0 only */
  VARIANT__COUNT
} variant;

struct mxc_tls_material {
  char *ca_file;
  SSL_CTX *ctx[VARIANT__COUNT];
};

#define DAY_S (24L * 60L * 60L)
#define GOOD_NAMES "IP:127.0.0.1,DNS:localhost"

/* ---- certificates ---- */

static int ext_add(X509 *x, X509 *issuer, int nid, const char *value) {
  X509V3_CTX v3;
  X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
  X509_EXTENSION *e = X509V3_EXT_nconf_nid(NULL, &v3, nid, value);
  int ok = e && X509_add_ext(x, e, -1);
  X509_EXTENSION_free(e);
  return ok ? 0 : MXC_EIO;
}

/* A certificate for `key` named `cn`, valid from now+from_s to now+to_s, signed by issuer
 * (NULL: self-signed, a CA). `san` NULL for a CA. NULL on failure. */
static X509 *cert_new(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
                      const char *san, long from_s, long to_s) {
  X509 *x = X509_new();
  X509_NAME *name = X509_NAME_new();
  BIGNUM *serial = BN_new();
  int ok =
      x && name && serial && X509_set_version(x, 2) && BN_rand(serial, 63, 0, 0) &&
      BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) &&
      X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"mxconform", -1,
                                 -1, 0) &&
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) &&
      X509_set_subject_name(x, name) &&
      X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) &&
      X509_gmtime_adj(X509_getm_notBefore(x), from_s) &&
      X509_gmtime_adj(X509_getm_notAfter(x), to_s) && X509_set_pubkey(x, key);
  X509 *signer = issuer ? issuer : x;
  if (ok && !san)
    ok = ext_add(x, signer, NID_basic_constraints, "critical,CA:TRUE") == 0 &&
         ext_add(x, signer, NID_key_usage, "critical,keyCertSign,cRLSign") == 0 &&
         ext_add(x, signer, NID_subject_key_identifier, "hash") == 0;
  else if (ok)
    ok = ext_add(x, signer, NID_basic_constraints, "critical,CA:FALSE") == 0 &&
         ext_add(x, signer, NID_key_usage, "critical,digitalSignature") == 0 &&
         ext_add(x, signer, NID_ext_key_usage, "serverAuth") == 0 &&
         ext_add(x, signer, NID_subject_key_identifier, "hash") == 0 &&
         ext_add(x, signer, NID_authority_key_identifier, "keyid:always") == 0 &&
         ext_add(x, signer, NID_subject_alt_name, san) == 0;
  if (ok)
    ok = X509_sign(x, issuer ? issuer_key : key, EVP_sha256()) > 0;
  X509_NAME_free(name);
  BN_free(serial);
  if (!ok) {
    X509_free(x);
    return NULL;
  }
  return x;
}

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg) {
  static const unsigned char http11[] = "\x08http/1.1";
  unsigned char *sel = NULL;
  if (SSL_select_next_proto(&sel, outlen, http11, sizeof http11 - 1, in, inlen) !=
      OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK; /* no ALPN: HTTP/1.1 anyway */
  *out = sel;
  return SSL_TLSEXT_ERR_OK;
}

/* A server context serving cert/key: TLS 1.2 and 1.3, or TLS 1.0 only (`old`). No session
 * resumption (every handshake is a full one, so a fault acts on each connection alike); no
 * renegotiation. NULL on failure. */
static SSL_CTX *ctx_new(X509 *cert, EVP_PKEY *key, bool old) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx)
    return NULL;
  int ok = 1;
  if (old) { /* TLS 1.0 needs security level 0 in OpenSSL 3 */
    SSL_CTX_set_security_level(ctx, 0);
    ok = SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0") &&
         SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION) &&
         SSL_CTX_set_max_proto_version(ctx, TLS1_VERSION);
  } else {
    ok = SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  }
  ok = ok && SSL_CTX_use_certificate(ctx, cert) && SSL_CTX_use_PrivateKey(ctx, key) &&
       SSL_CTX_check_private_key(ctx) && SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
  if (!ok) {
    SSL_CTX_free(ctx);
    return NULL;
  }
  return ctx;
}

/* Writes the CA to path through a temporary name. */
static int ca_write(const char *path, X509 *ca) {
  char *tmp = mxc_asprintf("%s.tmp", path);
  if (!tmp)
    return MXC_ENOMEM;
  int rc = MXC_EIO;
  FILE *f = fopen(tmp, "w");
  if (f) {
    int ok = PEM_write_X509(f, ca);
    if (fclose(f) == 0 && ok && rename(tmp, path) == 0)
      rc = 0;
  }
  if (rc)
    remove(tmp);
  free(tmp);
  return rc;
}

int mxc_tls_material_create(const char *dir, mxc_tls_material **out) {
  return mxc_tls_material_create_for(dir, NULL, out);
}

int mxc_tls_material_create_for(const char *dir, const char *host, mxc_tls_material **out) {
  int rc = MXC_EIO;
  *out = NULL;
  unsigned char addr[16];
  bool ip = host && (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1);
  bool extra = host && *host && strcmp(host, "127.0.0.1") != 0 && strcmp(host, "localhost") != 0;
  char *names = extra ? mxc_asprintf("%s,%s:%s", GOOD_NAMES, ip ? "IP" : "DNS", host)
                      : mxc_strdup(GOOD_NAMES);
  enum { CA, ROGUE_CA, GOOD, EXPIRED, WRONG, UNTRUSTED, NKEYS };
  EVP_PKEY *key[NKEYS] = {0};
  X509 *cert[NKEYS] = {0};
  mxc_tls_material *tm = calloc(1, sizeof *tm);
  if (!tm || !names || !(tm->ca_file = mxc_asprintf("%s/ca.pem", dir))) {
    rc = MXC_ENOMEM;
    goto out;
  }
  for (int i = 0; i < NKEYS; i++)
    if (!(key[i] = EVP_EC_gen("P-256")))
      goto out;
  cert[CA] = cert_new(key[CA], "mxconform run-local CA", NULL, NULL, NULL, -3600, 30 * DAY_S);
  cert[ROGUE_CA] =
      cert_new(key[ROGUE_CA], "mxconform untrusted CA", NULL, NULL, NULL, -3600, 30 * DAY_S);
  if (!cert[CA] || !cert[ROGUE_CA])
    goto out;
  cert[GOOD] = cert_new(key[GOOD], "localhost", cert[CA], key[CA], names, -3600, 30 * DAY_S);
  cert[EXPIRED] =
      cert_new(key[EXPIRED], "localhost", cert[CA], key[CA], names, -30 * DAY_S, -DAY_S);
  cert[WRONG] = cert_new(key[WRONG], "wrong.example", cert[CA], key[CA], "DNS:wrong.example", -3600,
                         30 * DAY_S);
  cert[UNTRUSTED] = cert_new(key[UNTRUSTED], "localhost", cert[ROGUE_CA], key[ROGUE_CA], names,
                             -3600, 30 * DAY_S);
  if (!cert[GOOD] || !cert[EXPIRED] || !cert[WRONG] || !cert[UNTRUSTED])
    goto out;
  tm->ctx[VARIANT_GOOD] = ctx_new(cert[GOOD], key[GOOD], false);
  tm->ctx[VARIANT_EXPIRED] = ctx_new(cert[EXPIRED], key[EXPIRED], false);
  tm->ctx[VARIANT_WRONG_HOST] = ctx_new(cert[WRONG], key[WRONG], false);
  tm->ctx[VARIANT_UNTRUSTED] = ctx_new(cert[UNTRUSTED], key[UNTRUSTED], false);
  tm->ctx[VARIANT_OLD_PROTOCOL] = ctx_new(cert[GOOD], key[GOOD], true);
  for (int v = 0; v < VARIANT__COUNT; v++)
    if (!tm->ctx[v])
      goto out;
  rc = ca_write(tm->ca_file, cert[CA]);
out:
  for (int i = 0; i < NKEYS; i++) { /* the contexts hold their own references */
    EVP_PKEY_free(key[i]);
    X509_free(cert[i]);
  }
  ERR_clear_error();
  free(names);
  if (rc)
    mxc_tls_material_free(tm);
  else
    *out = tm;
  return rc;
}

const char *mxc_tls_ca_file(const mxc_tls_material *tm) { return tm->ca_file; }

void mxc_tls_material_free(mxc_tls_material *tm) {
  if (!tm)
    return;
  for (int v = 0; v < VARIANT__COUNT; v++)
    SSL_CTX_free(tm->ctx[v]);
  free(tm->ca_file);
  free(tm);
}

/* ---- connections ---- */

typedef enum { HS_PENDING, HS_OK, HS_FAILED } hs_state;

struct mxc_tls_conn {
  SSL *ssl;
  mxc_fault_kind fault; /* the handshake-time fault, or MXC_FAULT_NONE */
  hs_state handshake;
  bool must_refuse;  /* a correct client refuses this channel (certificate or protocol) */
  bool notify_sent;  /* our close_notify is out */
  char alert[64];    /* the first alert other than close_notify */
  char alert_by[8];  /* "client" or "server" */
  char error[128];   /* OpenSSL's reason when the handshake or a record failed */
  uint64_t app_data; /* plaintext bytes received */
};

static void on_info(const SSL *ssl, int where, int ret) {
  mxc_tls_conn *t = SSL_get_app_data(ssl);
  if (!(where & SSL_CB_ALERT) || t->alert[0] || (ret & 0xff) == SSL_AD_CLOSE_NOTIFY)
    return;
  snprintf(t->alert, sizeof t->alert, "%s", SSL_alert_desc_string_long(ret));
  snprintf(t->alert_by, sizeof t->alert_by, "%s", (where & SSL_CB_READ) ? "client" : "server");
}

int mxc__tls_accept(conn *c, mxc_fault_kind fault) {
  variant v = fault == MXC_FAULT_TLS_UNTRUSTED      ? VARIANT_UNTRUSTED
              : fault == MXC_FAULT_TLS_EXPIRED      ? VARIANT_EXPIRED
              : fault == MXC_FAULT_TLS_WRONG_HOST   ? VARIANT_WRONG_HOST
              : fault == MXC_FAULT_TLS_OLD_PROTOCOL ? VARIANT_OLD_PROTOCOL
                                                    : VARIANT_GOOD;
  mxc_tls_conn *t = calloc(1, sizeof *t);
  if (!t)
    return MXC_ENOMEM;
  t->fault = fault;
  t->must_refuse = v != VARIANT_GOOD;
  t->ssl = SSL_new(c->mock->tls->ctx[v]);
  BIO *rbio = BIO_new(BIO_s_mem()), *wbio = BIO_new(BIO_s_mem());
  if (!t->ssl || !rbio || !wbio) {
    BIO_free(rbio);
    BIO_free(wbio);
    SSL_free(t->ssl);
    free(t);
    ERR_clear_error();
    return MXC_ENOMEM;
  }
  BIO_set_mem_eof_return(rbio, -1); /* empty means "wait for more", not EOF */
  SSL_set_bio(t->ssl, rbio, wbio);
  SSL_set_accept_state(t->ssl);
  SSL_set_app_data(t->ssl, t);
  SSL_set_info_callback(t->ssl, on_info);
  c->tls = t;
  mxc__tls_record(c);
  return 0;
}

/* Sends what OpenSSL wrote to the memory BIO. 0 or a write error. */
static int flush(conn *c) {
  BIO *w = SSL_get_wbio(c->tls->ssl);
  char *p = NULL;
  long n = BIO_get_mem_data(w, &p);
  int rc = 0;
  if (n > 0 && c->state != CONN_CLOSED)
    rc = mxc__conn_write_raw(c, p, (size_t)n);
  (void)BIO_reset(w);
  return rc;
}

static void note_error(mxc_tls_conn *t) {
  unsigned long e = ERR_peek_last_error();
  if (e && !t->error[0])
    snprintf(t->error, sizeof t->error, "%s",
             ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "?");
  ERR_clear_error();
}

void mxc__tls_input(conn *c, const char *data, size_t len, mxc__plain_fn deliver) {
  mxc_tls_conn *t = c->tls;
  ERR_clear_error();
  if (t->fault == MXC_FAULT_TLS_HANDSHAKE_RESET) { /* the ClientHello arrived: reset */
    mxc__conn_close(c, "fault_tls_handshake_reset", true);
    return;
  }
  if (BIO_write(SSL_get_rbio(t->ssl), data, (int)len) != (int)len) {
    mxc__conn_close(c, "server_error", false);
    return;
  }
  if (t->handshake == HS_PENDING) {
    int r = SSL_do_handshake(t->ssl);
    int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(t->ssl, r);
    if (e != SSL_ERROR_NONE && e != SSL_ERROR_WANT_READ)
      note_error(t);
    if (flush(c) != 0) {
      mxc__conn_close(c, "write_error", false);
      return;
    }
    if (e == SSL_ERROR_WANT_READ)
      return;
    if (e != SSL_ERROR_NONE) { /* the alert (ours or theirs) is recorded; let it reach the peer */
      t->handshake = HS_FAILED;
      mxc__tls_record(c);
      snprintf(c->drain_how, sizeof c->drain_how, "tls_handshake_failed");
      mxc__conn_drain(c);
      return;
    }
    t->handshake = HS_OK;
    mxc__tls_record(c);
  }
  while (c->state == CONN_READING && !c->input_done && !c->stalled) {
    size_t n = 0;
    int r = SSL_read_ex(t->ssl, c->mock->plainbuf, sizeof c->mock->plainbuf, &n);
    int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(t->ssl, r);
    if (e != SSL_ERROR_NONE && e != SSL_ERROR_WANT_READ && e != SSL_ERROR_ZERO_RETURN)
      note_error(t);
    if (flush(c) != 0) {
      mxc__conn_close(c, "write_error", false);
      return;
    }
    if (e == SSL_ERROR_NONE) {
      t->app_data += n;
      deliver(c, c->mock->plainbuf, n);
      continue;
    }
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_ZERO_RETURN)
      return; /* more to come, or the client's close_notify: its FIN follows */
    mxc__conn_close(c, "tls_error", false);
    return;
  }
}

int mxc__tls_write(conn *c, const char *data, size_t len) {
  size_t n;
  if (len == 0)
    return 0;
  ERR_clear_error();
  if (SSL_write_ex(c->tls->ssl, data, len, &n) != 1) {
    note_error(c->tls);
    return MXC_EIO;
  }
  return flush(c);
}

void mxc__tls_close_notify(conn *c) {
  mxc_tls_conn *t = c->tls;
  if (!t || t->handshake != HS_OK || t->notify_sent || c->abrupt_close || c->state == CONN_CLOSED)
    return;
  t->notify_sent = true;
  ERR_clear_error();
  SSL_shutdown(t->ssl);
  ERR_clear_error();
  (void)flush(c);
}

void mxc__tls_end(conn *c, bool reset) {
  mxc_tls_conn *t = c->tls;
  if (!t)
    return;
  if (!reset && c->state != CONN_DRAINING)
    mxc__tls_close_notify(c);
  if (t->handshake == HS_PENDING)
    t->handshake = HS_FAILED;
  mxc__tls_record(c);
}

void mxc__tls_record(conn *c) {
  mxc_tls_conn *t = c->tls;
  if (!t || !c->record)
    return;
  cJSON_DeleteItemFromObjectCaseSensitive(c->record, "tls");
  cJSON_DeleteItemFromObjectCaseSensitive(c->record, "app_data_before_failure");
  cJSON *o = cJSON_AddObjectToObject(c->record, "tls");
  if (!o)
    return;
  bool ok = t->handshake == HS_OK;
  const unsigned char *alpn = NULL;
  unsigned alpn_len = 0;
  if (ok)
    SSL_get0_alpn_selected(t->ssl, &alpn, &alpn_len);
  char alpn_text[64];
  snprintf(alpn_text, sizeof alpn_text, "%.*s", (int)alpn_len, alpn ? (const char *)alpn : "");
  cJSON_AddStringToObject(o, "version", ok ? SSL_get_version(t->ssl) : "");
  cJSON_AddStringToObject(o, "cipher", ok ? SSL_get_cipher_name(t->ssl) : "");
  cJSON_AddStringToObject(o, "alpn", alpn_text);
  cJSON_AddStringToObject(o, "handshake",
                          ok                          ? "ok"
                          : t->handshake == HS_FAILED ? "failed"
                                                      : "pending");
  if (t->alert[0]) {
    cJSON_AddStringToObject(o, "alert", t->alert);
    cJSON_AddStringToObject(o, "alert_by", t->alert_by);
  }
  if (t->error[0])
    cJSON_AddStringToObject(o, "error", t->error);
  if (t->fault != MXC_FAULT_NONE)
    cJSON_AddStringToObject(o, "fault", mxc_fault_kind_name(t->fault));
  bool failed = t->must_refuse || t->handshake == HS_FAILED;
  cJSON_AddNumberToObject(c->record, "app_data_before_failure", failed ? (double)t->app_data : 0.0);
}

void mxc__tls_conn_free(conn *c) {
  if (!c->tls)
    return;
  SSL_free(c->tls->ssl);
  free(c->tls);
  c->tls = NULL;
}
