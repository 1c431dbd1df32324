/*
 * Unit tests: the sandbox server's TLS (tls/server.c) and certificates
 * (tls/gencert.c).  Certificates are generated into a temp directory; our
 * server session faces our client session over a socketpair.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "tls.h"
#include "tls_int.h"

#define DAY	86400

static const char *const names[] = { "mx.sandbox.test", "192.0.2.7" };
#define NNAMES	(sizeof(names) / sizeof(names[0]))

/* ------------------------------------------------------------------ */
/* Temp directories. */

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static char *
tmpdir(void)
{
	const char	*base = getenv("TMPDIR");
	char		*dir;

	if (base == NULL || *base == '\0' || strlen(base) > 200)
		base = "/tmp";
	if (asprintf(&dir, "%s/smtptool-tlss-XXXXXX", base) == -1)
		abort();
	if (mkdtemp(dir) == NULL) {
		free(dir);
		return NULL;
	}
	return dir;
}

static void
rmtree(char *dir)
{
	if (dir == NULL)
		return;
	(void)nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

static char *
path(const char *dir, const char *name)
{
	char	*p;

	if (asprintf(&p, "%s/%s", dir, name) == -1)
		abort();
	return p;
}

/* The whole file (NUL-terminated), or NULL. */
static char *
slurp(const char *dir, const char *name, size_t *len)
{
	char	*p = path(dir, name), *buf = NULL;
	FILE	*f;
	long	 n;

	if ((f = fopen(p, "rb")) != NULL) {
		if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
		    fseek(f, 0, SEEK_SET) == 0) {
			buf = malloc((size_t)n + 1);
			if (buf != NULL && fread(buf, 1, (size_t)n, f) !=
			    (size_t)n) {
				free(buf);
				buf = NULL;
			} else if (buf != NULL) {
				buf[n] = '\0';
				if (len != NULL)
					*len = (size_t)n;
			}
		}
		fclose(f);
	}
	free(p);
	return buf;
}

static int
spew(const char *dir, const char *name, const char *text)
{
	char	*p = path(dir, name);
	FILE	*f;
	int	 r = -1;

	if ((f = fopen(p, "w")) != NULL) {
		r = fputs(text, f) >= 0 ? 0 : -1;
		if (fclose(f) != 0)
			r = -1;
	}
	free(p);
	return r;
}

static bool
exists(const char *dir, const char *name)
{
	char		*p = path(dir, name);
	struct stat	 st;
	bool		 r = lstat(p, &st) == 0;

	free(p);
	return r;
}

static mode_t
mode_of(const char *dir, const char *name)
{
	char		*p = name != NULL ? path(dir, name) : strdup(dir);
	struct stat	 st;
	mode_t		 m = 0;

	if (stat(p, &st) == 0)
		m = st.st_mode & 07777;
	free(p);
	return m;
}

static size_t
count_entries(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	size_t		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

/* Copy FROM/NAME over TO/NAME. */
static int
copy_file(const char *from, const char *to, const char *name)
{
	char	*text = slurp(from, name, NULL);
	int	 r;

	if (text == NULL)
		return -1;
	r = spew(to, name, text);
	free(text);
	return r;
}

/* ------------------------------------------------------------------ */
/* A server session and a client session over a socketpair. */

struct pair {
	int			 cfd, sfd;
	struct tls_server	*srv;
	struct tls_client	*cli;
	struct tls_conn		*c, *s;
	char			*cerr, *serr;
};

static void
pair_close(struct pair *p)
{
	tls_conn_free(p->c);
	tls_conn_free(p->s);
	tls_client_free(p->cli);
	tls_server_free(p->srv);
	if (p->cfd != -1)
		close(p->cfd);
	if (p->sfd != -1)
		close(p->sfd);
	free(p->cerr);
	free(p->serr);
	memset(p, 0, sizeof(*p));
	p->cfd = p->sfd = -1;
}

static int
pair_sockets(struct pair *p)
{
	int	sv[2];

	memset(p, 0, sizeof(*p));
	p->cfd = p->sfd = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) == -1)
		return -1;
	p->cfd = sv[0];
	p->sfd = sv[1];
	return 0;
}

/* Step both handshakes in turn: 0 when both completed. */
static int
pair_handshake(struct pair *p)
{
	bool	cdone = false, sdone = false;
	int	i;

	for (i = 0; i < 200 && !(cdone && sdone); i++) {
		if (!cdone && p->cerr == NULL)
			cdone = tls_handshake(p->c, &p->cerr) == TLS_IO_OK;
		if (!sdone && p->serr == NULL)
			sdone = tls_handshake(p->s, &p->serr) == TLS_IO_OK;
		if (p->cerr != NULL && p->serr != NULL)
			break;
	}
	return cdone && sdone ? 0 : -1;
}

/*
 * The sandbox in DIR against our client trusting DIR/root.pem, with SNI,
 * and with the client certificate in CDIR when CDIR is not NULL.
 */
static int
pair_open(struct pair *p, const char *dir, const char *sni, const char *cdir)
{
	struct tls_config	 cfg;
	char			*chain = path(dir, "chain.pem"),
				*key = path(dir, "key.pem"),
				*root = path(dir, "root.pem"),
				*ccert = NULL, *ckey = NULL;
	int			 r = -1;

	if (pair_sockets(p) == -1)
		goto out;
	memset(&cfg, 0, sizeof(cfg));
	cfg.ca_file = root;
	if (cdir != NULL) {
		cfg.cert_file = ccert = path(cdir, "chain.pem");
		cfg.key_file = ckey = path(cdir, "key.pem");
	}
	if ((p->srv = tls_server_new(chain, key, NULL, &p->serr)) == NULL ||
	    (p->s = tls_conn_new_server(p->srv, p->sfd, &p->serr)) == NULL ||
	    (p->cli = tls_client_new(&cfg, &p->cerr)) == NULL ||
	    (p->c = tls_conn_new(p->cli, p->cfd, sni, &p->cerr)) == NULL)
		goto out;
	r = pair_handshake(p);
out:
	if (r == -1)
		fprintf(stderr, "    client: %s; server: %s\n",
		    p->cerr ? p->cerr : "-", p->serr ? p->serr : "-");
	free(chain);
	free(key);
	free(root);
	free(ccert);
	free(ckey);
	return r;
}

/*
 * LEN bytes from one session to the other, both stepped until all arrived:
 * 0 when what came out is what went in.
 */
static int
pump(struct tls_conn *from, struct tls_conn *to, const unsigned char *buf,
    size_t len)
{
	unsigned char	*got = malloc(len + 1), tmp[4096];
	size_t		 sent = 0, recvd = 0, n;
	char		*err = NULL;
	enum tls_io	 io;
	int		 i, r = -1;

	if (got == NULL)
		return -1;
	for (i = 0; i < 100000 && recvd < len; i++) {
		if (sent < len) {
			io = tls_write(from, buf + sent, len - sent, &n, &err);
			if (io == TLS_IO_ERROR)
				goto out;
			sent += n;
		}
		do {
			io = tls_read(to, tmp, sizeof(tmp), &n, &err);
			if (io == TLS_IO_ERROR || io == TLS_IO_EOF)
				goto out;
			if (n > len - recvd)
				goto out;
			memcpy(got + recvd, tmp, n);
			recvd += n;
		} while (n > 0 || tls_pending(to) > 0);
	}
	r = recvd == len && memcmp(got, buf, len) == 0 ? 0 : -1;
out:
	if (err != NULL)
		fprintf(stderr, "    pump: %s\n", err);
	free(err);
	free(got);
	return r;
}

/* ------------------------------------------------------------------ */
/* Reading the files back with GnuTLS. */

/* The certificates in DIR/NAME (PEM); the count, or -1. */
static int
load_crts(const char *dir, const char *name, gnutls_x509_crt_t **crts)
{
	gnutls_datum_t	 d;
	unsigned	 n = 0;
	size_t		 len = 0;
	char		*text = slurp(dir, name, &len);
	int		 r;

	*crts = NULL;
	if (text == NULL)
		return -1;
	d.data = (unsigned char *)text;
	d.size = (unsigned)len;
	r = gnutls_x509_crt_list_import2(crts, &n, &d, GNUTLS_X509_FMT_PEM, 0);
	free(text);
	return r < 0 ? -1 : (int)n;
}

static void
free_crts(gnutls_x509_crt_t *crts, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
}

/* The serial of the first certificate in DIR/NAME, hex; or "". */
static void
serial_of(const char *dir, const char *name, char *out, size_t outlen)
{
	gnutls_x509_crt_t	*crts;
	unsigned char		 serial[64];
	size_t			 len = sizeof(serial), i;
	int			 n = load_crts(dir, name, &crts);

	out[0] = '\0';
	if (n >= 1 && gnutls_x509_crt_get_serial(crts[0], serial, &len) >= 0) {
		for (i = 0; i < len && i * 2 + 2 < outlen; i++)
			snprintf(out + i * 2, 3, "%02x", serial[i]);
	}
	if (n > 0)
		free_crts(crts, n);
}

static bool
has_str(char **v, size_t n, const char *s)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strcmp(v[i], s) == 0)
			return true;
	}
	return false;
}

static bool
contains(const char *s, const char *part)
{
	if (s != NULL && strstr(s, part) != NULL)
		return true;
	fprintf(stderr, "    \"%s\" does not contain \"%s\"\n",
	    s != NULL ? s : "(null)", part);
	return false;
}

/* ------------------------------------------------------------------ */

static void
test_tls_server_gencert_files(void)
{
	gnutls_x509_crt_t	*chain = NULL, *root = NULL;
	char			*top = tmpdir(), *dir, *err = NULL;
	char			 s1[80], s2[80];
	unsigned		 ca = 0;
	time_t			 now = time(NULL), t;
	int			 nchain = 0, nroot = 0, crit, pathlen = -2;

	ASSERT(top != NULL);
	dir = path(top, "a/b/certs");
	EXPECT_INT(tls_gencert(dir, names, NNAMES, &err), 0);
	EXPECT(err == NULL);
	free(err);
	err = NULL;
	EXPECT_INT(mode_of(dir, NULL), 0700);
	EXPECT_INT(mode_of(top, "a"), 0700);
	EXPECT_INT(mode_of(dir, "key.pem"), 0600);
	EXPECT_INT(mode_of(dir, "chain.pem"), 0644);
	EXPECT_INT(mode_of(dir, "root.pem"), 0644);
	/* No temp file left behind. */
	EXPECT_INT(count_entries(dir), 3);

	EXPECT_INT(nchain = load_crts(dir, "chain.pem", &chain), 2);
	EXPECT_INT(nroot = load_crts(dir, "root.pem", &root), 1);
	if (nchain == 2 && nroot == 1) {
		/* The intermediate: a CA, path length 0, under the root. */
		crit = gnutls_x509_crt_get_basic_constraints(chain[1], NULL,
		    &ca, &pathlen);
		EXPECT(crit >= 0 && ca == 1 && pathlen == 0);
		EXPECT(gnutls_x509_crt_check_issuer(chain[1], root[0]));
		EXPECT(gnutls_x509_crt_check_issuer(chain[0], chain[1]));
		EXPECT(gnutls_x509_crt_check_hostname(chain[0],
		    "mx.sandbox.test"));
		EXPECT(gnutls_x509_crt_check_hostname(chain[0], "localhost"));
		EXPECT(!gnutls_x509_crt_check_hostname(chain[0], "x.test"));
		t = gnutls_x509_crt_get_activation_time(chain[0]);
		EXPECT(t >= now - DAY - 5 && t <= now - DAY + 5);
		t = gnutls_x509_crt_get_expiration_time(chain[0]);
		EXPECT(t >= now + 825L * DAY - 5 && t <= now + 825L * DAY + 5);
		EXPECT(gnutls_x509_crt_get_pk_algorithm(chain[0], NULL) ==
		    GNUTLS_PK_ECDSA);
	}
	if (nchain > 0)
		free_crts(chain, nchain);
	if (nroot > 0)
		free_crts(root, nroot);

	/* Random serials: two runs, two roots. */
	serial_of(dir, "root.pem", s1, sizeof(s1));
	EXPECT_INT(strlen(s1), 32);
	EXPECT_INT(tls_gencert(dir, names, NNAMES, &err), 0);
	serial_of(dir, "root.pem", s2, sizeof(s2));
	EXPECT(strcmp(s1, s2) != 0);
	EXPECT_INT(count_entries(dir), 3);
	free(err);
	free(dir);
	rmtree(top);
}

static void
test_tls_server_gencert_errors(void)
{
	static const char *const bad[] = { "bad name!" };
	static const char *const empty[] = { "" };
	static const char *const dots[] = { "a..b" };
	char	*top = tmpdir(), *dir, *err = NULL;

	ASSERT(top != NULL);
	dir = path(top, "certs");
	EXPECT_INT(tls_gencert(dir, bad, 1, &err), -1);
	EXPECT_STR(err, "cannot make a sandbox certificate for \"bad name!\": "
	    "not a host name or an IP address");
	free(err);
	err = NULL;
	EXPECT_INT(tls_gencert(dir, empty, 1, &err), -1);
	free(err);
	err = NULL;
	EXPECT_INT(tls_gencert(dir, dots, 1, &err), -1);
	free(err);
	err = NULL;
	EXPECT(!exists(top, "certs"));

	/* A file where a directory should be. */
	free(dir);
	ASSERT(spew(top, "file", "x\n") == 0);
	dir = path(top, "file/certs");
	EXPECT_INT(tls_gencert(dir, names, NNAMES, &err), -1);
	EXPECT(contains(err, "cannot create directory "));
	free(err);
	err = NULL;
	/* No names at all: localhost and the loopback IPs. */
	free(dir);
	dir = path(top, "bare");
	EXPECT_INT(tls_gencert(dir, NULL, 0, &err), 0);
	EXPECT(err == NULL);
	free(err);
	free(dir);
	rmtree(top);
}

static void
test_tls_server_handshake(void)
{
	static const char *const good[] = { "localhost", "127.0.0.1", "::1",
	    "[::1]", "mx.sandbox.test", "MX.Sandbox.Test.", "192.0.2.7" };
	struct pair		 p;
	struct tls_info		*info;
	char			*dir = tmpdir(), *err = NULL, *s;
	time_t			 now = time(NULL);
	size_t			 i;

	ASSERT(dir != NULL);
	ASSERT(tls_gencert(dir, names, NNAMES, &err) == 0);
	EXPECT(pair_open(&p, dir, "mx.sandbox.test", NULL) == 0);
	for (i = 0; p.s != NULL && i < sizeof(good) / sizeof(good[0]); i++) {
		info = tls_inspect(p.c, good[i], now);
		if (!info->verified)
			fprintf(stderr, "    %s: %s\n", good[i],
			    info->nreasons > 0 ? info->reasons[0] : "-");
		EXPECT(info->verified);
		tls_info_free(info);
	}
	info = tls_inspect(p.c, "other.test", now);
	EXPECT(!info->verified);
	EXPECT(info->problems & TLS_P_NAME_MISMATCH);
	ASSERT(info->nchain == 2);
	EXPECT_STR(info->chain[0].key_type, "ECDSA P-256");
	EXPECT(has_str(info->chain[0].san, info->chain[0].nsan,
	    "DNS:mx.sandbox.test"));
	EXPECT(has_str(info->chain[0].san, info->chain[0].nsan,
	    "DNS:localhost"));
	EXPECT(has_str(info->chain[0].san, info->chain[0].nsan,
	    "IP:127.0.0.1"));
	EXPECT(has_str(info->chain[0].san, info->chain[0].nsan, "IP:::1"));
	EXPECT(has_str(info->chain[0].san, info->chain[0].nsan,
	    "IP:192.0.2.7"));
	EXPECT(has_str(info->chain[0].eku, info->chain[0].neku,
	    "serverAuth"));
	EXPECT(!info->chain[0].is_ca);
	EXPECT(info->chain[1].is_ca);
	EXPECT_INT(info->chain[1].path_len, 0);
	EXPECT(contains(info->chain[1].subject, "smtptool sandbox "
	    "intermediate"));
	EXPECT(contains(info->chain[1].issuer, "CN=smtptool sandbox root"));
	EXPECT(contains(info->version, "TLS1.3"));
	tls_info_free(info);

	/* The server's view. */
	EXPECT((s = tls_conn_peer_subject(p.s)) == NULL);
	free(s);
	s = tls_conn_desc(p.s);
	EXPECT(contains(s, "(TLS1.3)"));
	free(s);
	pair_close(&p);

	/* Without SNI (an IP target): the same chain. */
	EXPECT(pair_open(&p, dir, NULL, NULL) == 0);
	if (p.c != NULL) {
		info = tls_inspect(p.c, "127.0.0.1", now);
		EXPECT(info->verified);
		tls_info_free(info);
	}
	pair_close(&p);
	free(err);
	rmtree(dir);
}

static void
test_tls_server_data(void)
{
	static const char	 ehlo[] = "EHLO client.test\r\n";
	static const char	 reply[] = "250-sandbox\r\n250 PIPELINING\r\n";
	struct pair		 p;
	unsigned char		*big;
	char			*dir = tmpdir(), *err = NULL, buf[64];
	size_t			 i, n;
	enum tls_io		 io;

	ASSERT(dir != NULL);
	ASSERT(tls_gencert(dir, names, NNAMES, &err) == 0);
	ASSERT(pair_open(&p, dir, "localhost", NULL) == 0);
	EXPECT(pump(p.c, p.s, (const unsigned char *)ehlo,
	    sizeof(ehlo) - 1) == 0);
	EXPECT(pump(p.s, p.c, (const unsigned char *)reply,
	    sizeof(reply) - 1) == 0);
	big = malloc(300000);
	ASSERT(big != NULL);
	for (i = 0; i < 300000; i++)
		big[i] = (unsigned char)(i * 7 + (i >> 9));
	EXPECT(pump(p.c, p.s, big, 300000) == 0);
	EXPECT(pump(p.s, p.c, big, 300000) == 0);
	free(big);

	/* close_notify from the client: EOF at the server. */
	tls_bye(p.c);
	io = TLS_IO_WANT_READ;
	for (i = 0; i < 10 && io == TLS_IO_WANT_READ; i++)
		io = tls_read(p.s, buf, sizeof(buf), &n, &err);
	EXPECT_INT(io, TLS_IO_EOF);
	pair_close(&p);
	free(err);
	rmtree(dir);
}

static void
test_tls_server_client_cert(void)
{
	static const char *const cnames[] = { "client.sandbox.test" };
	struct pair	 p;
	char		*dir = tmpdir(), *cdir, *err = NULL, *s;

	ASSERT(dir != NULL);
	cdir = path(dir, "client");
	ASSERT(tls_gencert(dir, names, NNAMES, &err) == 0);
	ASSERT(tls_gencert(cdir, cnames, 1, &err) == 0);
	EXPECT(pair_open(&p, dir, "localhost", cdir) == 0);
	s = tls_conn_peer_subject(p.s);
	EXPECT(contains(s, "CN=client.sandbox.test"));
	free(s);
	/* Before the handshake: nothing. */
	EXPECT(tls_conn_peer_subject(NULL) == NULL);
	EXPECT(tls_conn_desc(NULL) == NULL);
	pair_close(&p);
	free(cdir);
	free(err);
	rmtree(dir);
}

/*
 * A plain GnuTLS client with PRIORITY against our server in DIR: 0 when
 * both handshakes completed and a record came through.
 */
static int
raw_client(const char *dir, const char *priority)
{
	gnutls_certificate_credentials_t	 cred = NULL;
	gnutls_session_t			 cs = NULL;
	struct pair				 p;
	char					*chain = path(dir, "chain.pem"),
						*key = path(dir, "key.pem");
	char					 buf[64];
	bool					 cdone = false, sdone = false;
	size_t					 n;
	ssize_t					 got = -1;
	int					 i, r = -1, cr;

	if (pair_sockets(&p) == -1 ||
	    (p.srv = tls_server_new(chain, key, NULL, &p.serr)) == NULL ||
	    (p.s = tls_conn_new_server(p.srv, p.sfd, &p.serr)) == NULL ||
	    gnutls_certificate_allocate_credentials(&cred) < 0 ||
	    gnutls_init(&cs, GNUTLS_CLIENT | GNUTLS_NONBLOCK |
	    GNUTLS_NO_SIGNAL) < 0 ||
	    gnutls_priority_set_direct(cs, priority, NULL) < 0 ||
	    gnutls_credentials_set(cs, GNUTLS_CRD_CERTIFICATE, cred) < 0)
		goto out;
	gnutls_transport_set_int(cs, p.cfd);
	for (i = 0; i < 200 && !(cdone && sdone); i++) {
		if (!cdone) {
			cr = gnutls_handshake(cs);
			if (cr == 0)
				cdone = true;
			else if (gnutls_error_is_fatal(cr))
				break;
		}
		if (!sdone && p.serr == NULL)
			sdone = tls_handshake(p.s, &p.serr) == TLS_IO_OK;
	}
	if (!(cdone && sdone))
		goto out;
	if (tls_write(p.s, "220 hi\r\n", 8, &n, &p.serr) != TLS_IO_OK)
		goto out;
	for (i = 0; i < 20 && got < 0; i++) {
		got = gnutls_record_recv(cs, buf, sizeof(buf));
		if (got < 0 && got != GNUTLS_E_AGAIN)
			break;
	}
	if (got != 8 || memcmp(buf, "220 hi\r\n", 8) != 0)
		goto out;
	r = 0;
out:
	if (cs != NULL)
		gnutls_deinit(cs);
	if (cred != NULL)
		gnutls_certificate_free_credentials(cred);
	pair_close(&p);
	free(chain);
	free(key);
	return r;
}

static void
test_tls_server_resumes(void)
{
	struct tls_server	*srv;
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_session_t	 cs[2] = { NULL, NULL };
	gnutls_datum_t		 data = { NULL, 0 };
	struct tls_conn		*s[2] = { NULL, NULL };
	int			 sv[2][2] = { { -1, -1 }, { -1, -1 } };
	char			*dir = tmpdir(), *err = NULL, *chain, *key;
	char			 buf[16];
	bool			 cdone, sdone;
	size_t			 n;
	ssize_t			 got;
	int			 k, i, r;

	ASSERT(dir != NULL);
	ASSERT(tls_gencert(dir, names, NNAMES, &err) == 0);
	chain = path(dir, "chain.pem");
	key = path(dir, "key.pem");
	srv = tls_server_new(chain, key, NULL, &err);
	EXPECT(srv != NULL);
	EXPECT(gnutls_certificate_allocate_credentials(&cred) >= 0);
	for (k = 0; srv != NULL && k < 2; k++) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0, sv[k]) == -1)
			break;
		s[k] = tls_conn_new_server(srv, sv[k][1], &err);
		EXPECT(s[k] != NULL);
		if (s[k] == NULL || gnutls_init(&cs[k], GNUTLS_CLIENT |
		    GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL) < 0)
			break;
		gnutls_set_default_priority(cs[k]);
		gnutls_credentials_set(cs[k], GNUTLS_CRD_CERTIFICATE, cred);
		if (k == 1)
			gnutls_session_set_data(cs[k], data.data, data.size);
		gnutls_transport_set_int(cs[k], sv[k][0]);
		cdone = sdone = false;
		for (i = 0; i < 200 && !(cdone && sdone); i++) {
			if (!cdone) {
				r = gnutls_handshake(cs[k]);
				cdone = r == 0;
				if (r < 0 && gnutls_error_is_fatal(r))
					break;
			}
			if (!sdone && err == NULL)
				sdone = tls_handshake(s[k], &err) == TLS_IO_OK;
		}
		EXPECT(cdone && sdone);
		EXPECT_INT(gnutls_session_is_resumed(cs[k]) != 0, k == 1);
		EXPECT(tls_write(s[k], "220 hi\r\n", 8, &n, &err) ==
		    TLS_IO_OK);
		got = -1;
		for (i = 0; i < 20 && got < 0; i++) {
			got = gnutls_record_recv(cs[k], buf, sizeof(buf));
			if (got < 0 && got != GNUTLS_E_AGAIN)
				break;
		}
		EXPECT_INT(got, 8);
		if (k == 0)
			EXPECT(gnutls_session_get_data2(cs[k], &data) >= 0);
	}
	for (k = 0; k < 2; k++) {
		if (cs[k] != NULL)
			gnutls_deinit(cs[k]);
		tls_conn_free(s[k]);
		if (sv[k][0] != -1)
			close(sv[k][0]);
		if (sv[k][1] != -1)
			close(sv[k][1]);
	}
	gnutls_free(data.data);
	if (cred != NULL)
		gnutls_certificate_free_credentials(cred);
	tls_server_free(srv);
	free(chain);
	free(key);
	free(err);
	rmtree(dir);
}

static void
test_tls_server_no_old_tls(void)
{
	char	*dir = tmpdir(), *err = NULL;

	ASSERT(dir != NULL);
	ASSERT(tls_gencert(dir, names, NNAMES, &err) == 0);
	EXPECT(raw_client(dir, "NORMAL:-VERS-ALL:+VERS-TLS1.1") == -1);
	EXPECT(raw_client(dir, "NORMAL:-VERS-ALL:+VERS-TLS1.2") == 0);
	free(err);
	rmtree(dir);
}

static void
test_tls_server_errors(void)
{
	static const char *const other[] = { "other.test" };
	struct tls_server	*srv;
	char			*dir = tmpdir(), *odir, *err = NULL, *chain,
				*key, *okey;

	ASSERT(dir != NULL);
	odir = path(dir, "other");
	ASSERT(tls_gencert(dir, names, NNAMES, &err) == 0);
	ASSERT(tls_gencert(odir, other, 1, &err) == 0);
	chain = path(dir, "chain.pem");
	key = path(dir, "key.pem");
	okey = path(odir, "key.pem");

	EXPECT(tls_server_new("/nonexistent/chain.pem", key, NULL,
	    &err) == NULL);
	EXPECT_STR(err, "cannot load server certificate "
	    "/nonexistent/chain.pem: No such file or directory");
	free(err);
	err = NULL;
	EXPECT(tls_server_new(chain, "/nonexistent/key.pem", NULL,
	    &err) == NULL);
	EXPECT_STR(err, "cannot load server key /nonexistent/key.pem: No "
	    "such file or directory");
	free(err);
	err = NULL;
	/* Another key. */
	EXPECT(tls_server_new(chain, okey, NULL, &err) == NULL);
	EXPECT(contains(err, "cannot load server certificate "));
	EXPECT(contains(err, " with key "));
	free(err);
	err = NULL;
	EXPECT(tls_server_new(chain, key, "NORMAL:+BOGUS", &err) == NULL);
	EXPECT(contains(err, "cannot parse TLS priority at \"+BOGUS\": "));
	free(err);
	err = NULL;
	EXPECT((srv = tls_server_new(chain, key, "NORMAL:-VERS-TLS1.0",
	    &err)) != NULL);
	EXPECT(err == NULL);
	tls_server_free(srv);
	tls_server_free(NULL);
	free(chain);
	free(key);
	free(okey);
	free(odir);
	free(err);
	rmtree(dir);
}

/* ------------------------------------------------------------------ */
/* tls_gencert_ensure */

static void
test_tls_server_ensure_keeps(void)
{
	static const char *const same[] = { "MX.Sandbox.Test.", "[::1]",
	    "192.0.2.7", "localhost" };
	char	*dir = tmpdir(), *err = NULL, *a[3], *b[3];
	time_t	 now = time(NULL);
	int	 i;

	ASSERT(dir != NULL);
	/* None yet: made. */
	EXPECT_INT(tls_gencert_ensure(dir, names, NNAMES, &err), 1);
	EXPECT(contains(err, "new sandbox certificates in "));
	EXPECT(contains(err, ": there were none"));
	free(err);
	err = NULL;
	a[0] = slurp(dir, "root.pem", NULL);
	a[1] = slurp(dir, "chain.pem", NULL);
	a[2] = slurp(dir, "key.pem", NULL);
	EXPECT_INT(tls_gencert_ensure(dir, names, NNAMES, &err), 0);
	EXPECT(err == NULL);
	EXPECT_INT(tls_gencert_ensure(dir, same, 4, &err), 0);
	EXPECT(err == NULL);
	/* Made 31 days from the end: kept. */
	EXPECT_INT(tls_gencert_ensure_at(dir, names, NNAMES,
	    now + (825 - 31) * (time_t)DAY, &err), 0);
	EXPECT(err == NULL);
	b[0] = slurp(dir, "root.pem", NULL);
	b[1] = slurp(dir, "chain.pem", NULL);
	b[2] = slurp(dir, "key.pem", NULL);
	for (i = 0; i < 3; i++) {
		EXPECT(a[i] != NULL && b[i] != NULL && strcmp(a[i], b[i]) == 0);
		free(a[i]);
		free(b[i]);
	}
	/* The three and .lock. */
	EXPECT_INT(count_entries(dir), 4);
	free(err);
	rmtree(dir);
}

static void
test_tls_server_ensure_renews(void)
{
	static const char *const more[] = { "mx.sandbox.test", "192.0.2.7",
	    "new.sandbox.test", "192.0.2.8" };
	char	*dir = tmpdir(), *err = NULL;
	time_t	 now = time(NULL);

	ASSERT(dir != NULL);
	/* 29 days left. */
	ASSERT(tls_gencert_at(dir, names, NNAMES,
	    now - (825 - 29) * (time_t)DAY, &err) == 0);
	EXPECT_INT(tls_gencert_ensure_at(dir, names, NNAMES, now, &err), 1);
	EXPECT(contains(err, "the leaf certificate expires in 29 days"));
	free(err);
	err = NULL;
	EXPECT_INT(tls_gencert_ensure_at(dir, names, NNAMES, now, &err), 0);
	EXPECT(err == NULL);

	/* Expired. */
	ASSERT(tls_gencert_at(dir, names, NNAMES, now - 900 * (time_t)DAY,
	    &err) == 0);
	EXPECT_INT(tls_gencert_ensure(dir, names, NNAMES, &err), 1);
	EXPECT(contains(err, "the leaf certificate has expired"));
	EXPECT(contains(err, "the root certificate in "));
	free(err);
	err = NULL;

	/* Not valid yet. */
	ASSERT(tls_gencert_at(dir, names, NNAMES, now + 2 * DAY, &err) == 0);
	EXPECT_INT(tls_gencert_ensure(dir, names, NNAMES, &err), 1);
	EXPECT(contains(err, "the leaf certificate is not valid yet"));
	free(err);
	err = NULL;

	/* New names. */
	EXPECT_INT(tls_gencert_ensure(dir, more, 4, &err), 1);
	EXPECT(contains(err, "the leaf certificate does not cover "
	    "new.sandbox.test, 192.0.2.8"));
	free(err);
	err = NULL;
	EXPECT_INT(tls_gencert_ensure(dir, more, 4, &err), 0);
	/* Fewer names: still covered, kept. */
	EXPECT_INT(tls_gencert_ensure(dir, NULL, 0, &err), 0);
	EXPECT(err == NULL);
	EXPECT_INT(count_entries(dir), 4);
	free(err);
	rmtree(dir);
}

static void
test_tls_server_ensure_garbage(void)
{
	char	*dir = tmpdir(), *err = NULL, *text;

	ASSERT(dir != NULL);
	ASSERT(tls_gencert(dir, names, NNAMES, &err) == 0);
	ASSERT(spew(dir, "chain.pem", "my own notes\n") == 0);
	EXPECT_INT(tls_gencert_ensure(dir, names, NNAMES, &err), 1);
	EXPECT(contains(err, "/chain.pem did not parse and is now "));
	EXPECT(contains(err, "/chain.pem.bad"));
	free(err);
	err = NULL;
	text = slurp(dir, "chain.pem.bad", NULL);
	EXPECT_STR(text, "my own notes\n");
	free(text);
	EXPECT_INT(tls_gencert_ensure(dir, names, NNAMES, &err), 0);

	/* Again: the first .bad stays, the new one is .bad.1. */
	ASSERT(spew(dir, "chain.pem", "more notes\n") == 0);
	ASSERT(spew(dir, "key.pem", "") == 0);
	EXPECT_INT(tls_gencert_ensure(dir, names, NNAMES, &err), 1);
	EXPECT(contains(err, "/chain.pem.bad.1"));
	EXPECT(contains(err, "/key.pem did not parse and is now "));
	free(err);
	err = NULL;
	text = slurp(dir, "chain.pem.bad", NULL);
	EXPECT_STR(text, "my own notes\n");
	free(text);
	text = slurp(dir, "chain.pem.bad.1", NULL);
	EXPECT_STR(text, "more notes\n");
	free(text);
	EXPECT(exists(dir, "key.pem.bad"));
	EXPECT_INT(tls_gencert_ensure(dir, names, NNAMES, &err), 0);
	EXPECT_INT(count_entries(dir), 7);
	free(err);
	rmtree(dir);
}

static void
test_tls_server_ensure_mismatch(void)
{
	char	*dir = tmpdir(), *odir, *err = NULL, *sub;

	ASSERT(dir != NULL);
	odir = path(dir, "other");
	ASSERT(tls_gencert(dir, names, NNAMES, &err) == 0);
	ASSERT(tls_gencert(odir, names, NNAMES, &err) == 0);

	/* Another key. */
	ASSERT(copy_file(odir, dir, "key.pem") == 0);
	EXPECT_INT(tls_gencert_ensure(dir, names, NNAMES, &err), 1);
	EXPECT(contains(err, "/key.pem is not the key of the leaf "
	    "certificate"));
	free(err);
	err = NULL;

	/* Another root. */
	ASSERT(copy_file(odir, dir, "root.pem") == 0);
	EXPECT_INT(tls_gencert_ensure(dir, names, NNAMES, &err), 1);
	EXPECT(contains(err, "/chain.pem does not lead to "));
	free(err);
	err = NULL;

	/* One missing. */
	sub = path(dir, "root.pem");
	ASSERT(unlink(sub) == 0);
	EXPECT_INT(tls_gencert_ensure(dir, names, NNAMES, &err), 1);
	EXPECT(contains(err, "/root.pem was missing"));
	free(err);
	err = NULL;
	EXPECT_INT(tls_gencert_ensure(dir, names, NNAMES, &err), 0);

	/* Unreadable (a directory): an error, and nothing touched. */
	ASSERT(unlink(sub) == 0);
	ASSERT(mkdir(sub, 0700) == 0);
	EXPECT_INT(tls_gencert_ensure(dir, names, NNAMES, &err), -1);
	EXPECT(contains(err, "cannot read "));
	EXPECT(!exists(dir, "root.pem.bad"));
	EXPECT(exists(dir, "chain.pem"));
	free(sub);
	free(odir);
	free(err);
	rmtree(dir);
}

/* Programs starting at once make one consistent set between them. */
static void
test_tls_server_ensure_parallel(void)
{
	pid_t	 pid[4];
	char	*dir = tmpdir(), *err = NULL;
	int	 i, status, made = 0;

	ASSERT(dir != NULL);
	for (i = 0; i < 4; i++) {
		if ((pid[i] = fork()) == 0)
			_exit(tls_gencert_ensure(dir, names, NNAMES,
			    NULL) + 1);
		EXPECT(pid[i] > 0);
	}
	for (i = 0; i < 4; i++) {
		if (pid[i] <= 0 || waitpid(pid[i], &status, 0) != pid[i])
			continue;
		EXPECT(WIFEXITED(status) && WEXITSTATUS(status) >= 1);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
			made++;
	}
	EXPECT_INT(made, 1);
	EXPECT_INT(tls_gencert_ensure(dir, names, NNAMES, &err), 0);
	EXPECT(err == NULL);
	free(err);
	rmtree(dir);
}

TEST_LIST(tls_server_tests) = {
	TEST(test_tls_server_gencert_files),
	TEST(test_tls_server_gencert_errors),
	TEST(test_tls_server_handshake),
	TEST(test_tls_server_data),
	TEST(test_tls_server_client_cert),
	TEST(test_tls_server_resumes),
	TEST(test_tls_server_no_old_tls),
	TEST(test_tls_server_errors),
	TEST(test_tls_server_ensure_keeps),
	TEST(test_tls_server_ensure_renews),
	TEST(test_tls_server_ensure_garbage),
	TEST(test_tls_server_ensure_mismatch),
	TEST(test_tls_server_ensure_parallel),
	TEST_END
};
