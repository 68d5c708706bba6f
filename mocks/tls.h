/* HTTPS for the mock: run-local certificate material (a CA, a good leaf and the faulty ones of
 * the TLS faults) and the OpenSSL contexts that serve it. Connections use it through
 * mock_internal.h; callers only create the material and hand it to mxc_mock_config.tls. */
#ifndef MXC_TLS_H
#define MXC_TLS_H

typedef struct mxc_tls_material mxc_tls_material;

/* Makes the certificates of a run in memory and writes the trusted CA bundle `DIR/ca.pem`
 * (the run-local CA only; no private key is ever written). `dir` must exist and belong to the
 * caller, who removes ca.pem with it after mxc_tls_material_free. The leaves (EC P-256):
 *   good        127.0.0.1 and localhost (SAN IP and DNS), signed by the CA, valid now;
 *   expired     the same names, expired yesterday;
 *   wrong host  SAN DNS wrong.example only;
 *   untrusted   the good names, signed by a second CA that is in no bundle.
 * Safe to call from several threads at once. The material is immutable once made: one may be
 * shared by mocks on different threads. On success 0 and *out; otherwise MXC_ENOMEM or
 * MXC_EIO (OpenSSL or file failure) and *out is NULL. */
int mxc_tls_material_create(const char *dir, mxc_tls_material **out);
/* The same, with `host` (an IP address or a DNS name; NULL: none) added to the names of the
 * good, expired and untrusted leaves: for clients that reach the mock by another name than the
 * loopback one (serve --agents --public-host). */
int mxc_tls_material_create_for(const char *dir, const char *host, mxc_tls_material **out);
/* Path of the CA bundle to trust (`DIR/ca.pem`); valid until mxc_tls_material_free. */
const char *mxc_tls_ca_file(const mxc_tls_material *tm);
/* Frees the material (after every mock using it was freed). NULL-safe; leaves ca.pem. */
void mxc_tls_material_free(mxc_tls_material *tm);

#endif
