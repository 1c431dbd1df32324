/*
 * The sandbox server's certificates: an ECDSA P-256 root, an intermediate
 * (CA, path length 0) and a leaf for the sandbox's names, written to a
 * directory as root.pem (the trust anchor for --ca-file), chain.pem (leaf,
 * then intermediate) and key.pem (the leaf's key, PKCS#8, mode 0600).
 *
 * The two CA keys are never written anywhere: nobody can mint more
 * certificates under a root.pem a user has trusted, and a new leaf comes
 * with a new root.  The files are a cache: tls_gencert_ensure() keeps them
 * while they fit and makes a new set when they do not.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <arpa/inet.h>

#include <gnutls/crypto.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tls_int.h"

#define DAY			86400
#define VALID_BEFORE_DAYS	1	/* clocks that lag a little */
#define VALID_DAYS		825	/* the longest Apple's clients take */
#define MIN_DAYS_LEFT		30	/* ensure() renews below this */
#define MAX_FILE		(1024 * 1024)
#define MAX_BAD			100	/* NAME.bad, NAME.bad.1, ... */

#define ROOT_CN		"smtptool sandbox root"
#define INTER_CN	"smtptool sandbox intermediate"
#define ORG		"smtptool sandbox (not for real mail)"

enum gen_file {
	GEN_ROOT,
	GEN_CHAIN,
	GEN_KEY,
	GEN_LAST,
};

static const struct {
	const char	*name;
	mode_t		 mode;
} gen_files[GEN_LAST] = {
	[GEN_ROOT] = { "root.pem", 0644 },
	[GEN_CHAIN] = { "chain.pem", 0644 },
	[GEN_KEY] = { "key.pem", 0600 },
};

/* One subject alternative name: a DNS name or an IP address. */
struct san {
	bool		 ip;
	char		*text;		/* lower case; IPs as typed */
	unsigned char	 addr[16];
	size_t		 addrlen;
};

struct sans {
	struct san	*v;
	size_t		 n;
};

static void
sans_free(struct sans *s)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		free(s->v[i].text);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static void
sans_add(struct sans *s, const struct san *add)
{
	size_t	i;

	for (i = 0; i < s->n; i++) {
		if (s->v[i].ip != add->ip)
			continue;
		if (add->ip ? s->v[i].addrlen == add->addrlen &&
		    memcmp(s->v[i].addr, add->addr, add->addrlen) == 0 :
		    strcmp(s->v[i].text, add->text) == 0)
			return;
	}
	s->v = tls_xreallocarray(s->v, s->n + 1, sizeof(*s->v));
	s->v[s->n] = *add;
	s->v[s->n].text = tls_xstrdup(add->text);
	s->n++;
}

/* Letters, digits, '-' and '_' in labels of 1 to 63, 253 in all. */
static bool
host_name(const char *s)
{
	size_t	label = 0, len = strlen(s);

	if (len == 0 || len > 253)
		return false;
	for (; *s != '\0'; s++) {
		if (*s == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0;
}

static int
sans_add_name(struct sans *s, const char *name, char **errstr)
{
	struct san	 san;
	char		 buf[256];
	bool		 is_ip;
	size_t		 i;

	if (strlen(name) >= sizeof(buf))
		return tls_seterr(errstr, "cannot make a sandbox certificate "
		    "for \"%.40s...\": the name is too long", name);
	tls_normalize_name(name, buf, sizeof(buf), &is_ip);
	memset(&san, 0, sizeof(san));
	san.text = buf;
	if (is_ip) {
		san.ip = true;
		if (inet_pton(AF_INET, buf, san.addr) == 1)
			san.addrlen = 4;
		else if (inet_pton(AF_INET6, buf, san.addr) == 1)
			san.addrlen = 16;
	} else {
		if (!host_name(buf))
			return tls_seterr(errstr, "cannot make a sandbox "
			    "certificate for \"%s\": not a host name or an "
			    "IP address", name);
		for (i = 0; buf[i] != '\0'; i++)
			buf[i] = (char)tolower((unsigned char)buf[i]);
	}
	sans_add(s, &san);
	return 0;
}

/* The user's names, then localhost, 127.0.0.1 and ::1. */
static int
sans_collect(struct sans *s, const char *const *names, size_t n,
    char **errstr)
{
	static const char *const always[] = { "localhost", "127.0.0.1",
	    "::1" };
	size_t	i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < n + 3; i++) {
		if (sans_add_name(s, i < n ? names[i] : always[i - n],
		    errstr) == -1) {
			sans_free(s);
			return -1;
		}
	}
	return 0;
}

/* The first DNS name: the leaf's common name. */
static const char *
sans_cn(const struct sans *s)
{
	size_t	i;

	for (i = 0; i < s->n; i++) {
		if (!s->v[i].ip)
			return s->v[i].text;
	}
	return "localhost";
}

/* ------------------------------------------------------------------ */
/* Making the chain. */

static int
new_key(gnutls_x509_privkey_t *key)
{
	int	r;

	if ((r = gnutls_x509_privkey_init(key)) < 0) {
		*key = NULL;
		return r;
	}
	return gnutls_x509_privkey_generate2(*key, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0, NULL, 0);
}

/* 16 random bytes, positive, no leading zero byte. */
static int
set_serial(gnutls_x509_crt_t crt)
{
	unsigned char	serial[16];
	int		r;

	if ((r = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial))) < 0)
		return r;
	serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40);
	return gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
}

/*
 * One certificate for KEY, signed by ISSUER (NULL: by itself).  SANS is
 * NULL for a CA; PATH_LEN -1 for none.  A GnuTLS error code, or 0.
 */
static int
make_cert(gnutls_x509_crt_t *out, const char *cn, bool ca, int path_len,
    const struct sans *sans, time_t now, gnutls_x509_privkey_t key,
    gnutls_x509_crt_t issuer, gnutls_x509_privkey_t issuer_key)
{
	gnutls_x509_crt_t	 crt;
	unsigned char		 id[64];
	size_t			 i, idlen;
	int			 r;

	if ((r = gnutls_x509_crt_init(&crt)) < 0) {
		*out = NULL;
		return r;
	}
	r = gnutls_x509_crt_set_key(crt, key);
	if (r >= 0)
		r = gnutls_x509_crt_set_version(crt, 3);
	if (r >= 0)
		r = gnutls_x509_crt_set_dn_by_oid(crt,
		    GNUTLS_OID_X520_ORGANIZATION_NAME, 0, ORG, strlen(ORG));
	if (r >= 0)
		r = gnutls_x509_crt_set_dn_by_oid(crt,
		    GNUTLS_OID_X520_COMMON_NAME, 0, cn, strlen(cn));
	if (r >= 0)
		r = set_serial(crt);
	if (r >= 0)
		r = gnutls_x509_crt_set_activation_time(crt,
		    now - (time_t)VALID_BEFORE_DAYS * DAY);
	if (r >= 0)
		r = gnutls_x509_crt_set_expiration_time(crt,
		    now + (time_t)VALID_DAYS * DAY);
	if (r >= 0)
		r = gnutls_x509_crt_set_basic_constraints(crt, ca, path_len);
	if (r >= 0)
		r = gnutls_x509_crt_set_key_usage(crt, ca ?
		    GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN :
		    GNUTLS_KEY_DIGITAL_SIGNATURE);
	if (r >= 0 && !ca)
		r = gnutls_x509_crt_set_key_purpose_oid(crt,
		    GNUTLS_KP_TLS_WWW_SERVER, 1);
	for (i = 0; r >= 0 && sans != NULL && i < sans->n; i++) {
		if (sans->v[i].ip)
			r = gnutls_x509_crt_set_subject_alt_name(crt,
			    GNUTLS_SAN_IPADDRESS, sans->v[i].addr,
			    (unsigned)sans->v[i].addrlen, GNUTLS_FSAN_APPEND);
		else
			r = gnutls_x509_crt_set_subject_alt_name(crt,
			    GNUTLS_SAN_DNSNAME, sans->v[i].text,
			    (unsigned)strlen(sans->v[i].text),
			    GNUTLS_FSAN_APPEND);
	}
	idlen = sizeof(id);
	if (r >= 0 && (r = gnutls_x509_crt_get_key_id(crt, 0, id,
	    &idlen)) >= 0)
		r = gnutls_x509_crt_set_subject_key_id(crt, id, idlen);
	if (r >= 0 && issuer != NULL) {
		idlen = sizeof(id);
		if ((r = gnutls_x509_crt_get_subject_key_id(issuer, id,
		    &idlen, NULL)) >= 0)
			r = gnutls_x509_crt_set_authority_key_id(crt, id,
			    idlen);
	}
	if (r >= 0)
		r = gnutls_x509_crt_sign2(crt, issuer != NULL ? issuer : crt,
		    issuer_key != NULL ? issuer_key : key, GNUTLS_DIG_SHA256,
		    0);
	if (r < 0) {
		gnutls_x509_crt_deinit(crt);
		*out = NULL;
		return r;
	}
	*out = crt;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Files. */

/* DIR and its missing parents, mode 0700. */
static int
make_dir(const char *dir, char **errstr)
{
	struct stat	 st;
	char		*p, *s, c;

	if (dir[0] == '\0')
		return tls_seterr(errstr, "cannot create directory \"\": no "
		    "name");
	p = tls_xstrdup(dir);
	for (s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		c = *s;
		*s = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST) {
			tls_seterr(errstr, "cannot create directory %s: %s", p,
			    strerror(errno));
			free(p);
			return -1;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	if (stat(dir, &st) == -1)
		return tls_seterr(errstr, "cannot create directory %s: %s", dir,
		    strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return tls_seterr(errstr, "cannot create directory %s: %s", dir,
		    strerror(ENOTDIR));
	return 0;
}

static int
write_all(int fd, const void *p, size_t len)
{
	const unsigned char	*b = p;
	ssize_t			 n;

	while (len > 0) {
		n = write(fd, b, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/* DIR/.NAME.XXXXXX with DATA, synced; *tmp its path (allocated). */
static int
write_temp(const char *dir, enum gen_file f, const gnutls_datum_t *data,
    char **tmp, char **errstr)
{
	int	fd, saved;

	*tmp = tls_xasprintf("%s/.%s.XXXXXX", dir, gen_files[f].name);
	if ((fd = mkostemp(*tmp, O_CLOEXEC)) == -1) {
		saved = errno;
		free(*tmp);
		*tmp = NULL;
		return tls_seterr(errstr, "cannot write %s/%s: %s", dir,
		    gen_files[f].name, strerror(saved));
	}
	if (fchmod(fd, gen_files[f].mode) == -1 ||
	    write_all(fd, data->data, data->size) == -1 || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) == -1) {
		saved = errno;
		goto fail;
	}
	return 0;

fail:
	unlink(*tmp);
	tls_seterr(errstr, "cannot write %s: %s", *tmp, strerror(saved));
	free(*tmp);
	*tmp = NULL;
	return -1;
}

static int
sync_dir(const char *dir, char **errstr)
{
	int	fd, saved;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return tls_seterr(errstr, "cannot sync directory %s: %s", dir,
		    strerror(errno));
	if (fsync(fd) == -1 && errno != EINVAL) {
		saved = errno;
		close(fd);
		return tls_seterr(errstr, "cannot sync directory %s: %s", dir,
		    strerror(saved));
	}
	close(fd);
	return 0;
}

/* The three files, each written to a temp file then renamed. */
static int
write_files(const char *dir, gnutls_datum_t *data, char **errstr)
{
	char	*tmp[GEN_LAST] = { NULL }, *path;
	int	 f, r = -1;

	for (f = 0; f < GEN_LAST; f++) {
		if (write_temp(dir, (enum gen_file)f, &data[f], &tmp[f],
		    errstr) == -1)
			goto out;
	}
	for (f = 0; f < GEN_LAST; f++) {
		path = tls_xasprintf("%s/%s", dir, gen_files[f].name);
		if (rename(tmp[f], path) == -1) {
			tls_seterr(errstr, "cannot write %s: %s", path,
			    strerror(errno));
			free(path);
			goto out;
		}
		free(path);
		free(tmp[f]);
		tmp[f] = NULL;
	}
	r = sync_dir(dir, errstr);
out:
	for (f = 0; f < GEN_LAST; f++) {
		if (tmp[f] != NULL) {
			unlink(tmp[f]);
			free(tmp[f]);
		}
	}
	return r;
}

int
tls_gencert_at(const char *dir, const char *const *names, size_t n,
    time_t now, char **errstr)
{
	gnutls_x509_privkey_t	 key[3] = { NULL, NULL, NULL };
	gnutls_x509_crt_t	 root = NULL, inter = NULL, leaf = NULL;
	gnutls_datum_t		 data[GEN_LAST], leaf_pem, inter_pem;
	struct sans		 sans;
	const char		*what = "keys";
	char			 buf[128];
	size_t			 i;
	int			 r, ret = -1;

	memset(data, 0, sizeof(data));
	memset(&leaf_pem, 0, sizeof(leaf_pem));
	memset(&inter_pem, 0, sizeof(inter_pem));
	if (sans_collect(&sans, names, n, errstr) == -1)
		return -1;
	if (make_dir(dir, errstr) == -1)
		goto out;
	r = 0;
	for (i = 0; r >= 0 && i < 3; i++)
		r = new_key(&key[i]);
	if (r >= 0) {
		what = "root certificate";
		r = make_cert(&root, ROOT_CN, true, -1, NULL, now, key[0],
		    NULL, NULL);
	}
	if (r >= 0) {
		what = "intermediate certificate";
		r = make_cert(&inter, INTER_CN, true, 0, NULL, now, key[1],
		    root, key[0]);
	}
	if (r >= 0) {
		what = "leaf certificate";
		r = make_cert(&leaf, sans_cn(&sans), false, -1, &sans, now,
		    key[2], inter, key[1]);
	}
	if (r >= 0) {
		what = "files";
		r = gnutls_x509_crt_export2(root, GNUTLS_X509_FMT_PEM,
		    &data[GEN_ROOT]);
	}
	if (r >= 0)
		r = gnutls_x509_crt_export2(leaf, GNUTLS_X509_FMT_PEM,
		    &leaf_pem);
	if (r >= 0)
		r = gnutls_x509_crt_export2(inter, GNUTLS_X509_FMT_PEM,
		    &inter_pem);
	if (r >= 0)
		r = gnutls_x509_privkey_export2_pkcs8(key[2],
		    GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN,
		    &data[GEN_KEY]);
	if (r < 0) {
		tls_seterr(errstr, "cannot make the sandbox %s: %s", what,
		    tls_strerror(r, buf, sizeof(buf)));
		goto out;
	}
	/* chain.pem: the leaf, then the intermediate. */
	data[GEN_CHAIN].size = leaf_pem.size + inter_pem.size;
	data[GEN_CHAIN].data = tls_xmalloc(data[GEN_CHAIN].size);
	memcpy(data[GEN_CHAIN].data, leaf_pem.data, leaf_pem.size);
	memcpy(data[GEN_CHAIN].data + leaf_pem.size, inter_pem.data,
	    inter_pem.size);
	ret = write_files(dir, data, errstr);

out:
	if (data[GEN_KEY].data != NULL)
		explicit_bzero(data[GEN_KEY].data, data[GEN_KEY].size);
	gnutls_free(data[GEN_KEY].data);
	gnutls_free(data[GEN_ROOT].data);
	free(data[GEN_CHAIN].data);
	gnutls_free(leaf_pem.data);
	gnutls_free(inter_pem.data);
	if (root != NULL)
		gnutls_x509_crt_deinit(root);
	if (inter != NULL)
		gnutls_x509_crt_deinit(inter);
	if (leaf != NULL)
		gnutls_x509_crt_deinit(leaf);
	for (i = 0; i < 3; i++) {
		if (key[i] != NULL)
			gnutls_x509_privkey_deinit(key[i]);
	}
	sans_free(&sans);
	return ret;
}

int
tls_gencert(const char *dir, const char *const *names, size_t n,
    char **errstr)
{
	return tls_gencert_at(dir, names, n, time(NULL), errstr);
}

/* ------------------------------------------------------------------ */
/* Keeping what fits. */

struct loaded {
	char			*path[GEN_LAST];
	bool			 missing[GEN_LAST];
	bool			 bad[GEN_LAST];
	gnutls_x509_crt_t	*root, *chain;
	unsigned		 nroot, nchain;
	gnutls_x509_privkey_t	 key;
};

static void
loaded_free(struct loaded *ld)
{
	unsigned	i;

	for (i = 0; i < GEN_LAST; i++)
		free(ld->path[i]);
	for (i = 0; i < ld->nroot; i++)
		gnutls_x509_crt_deinit(ld->root[i]);
	gnutls_free(ld->root);
	for (i = 0; i < ld->nchain; i++)
		gnutls_x509_crt_deinit(ld->chain[i]);
	gnutls_free(ld->chain);
	if (ld->key != NULL)
		gnutls_x509_privkey_deinit(ld->key);
	memset(ld, 0, sizeof(*ld));
}

/*
 * The whole of PATH: 1, 0 when it does not exist, -1 with *errstr when it
 * cannot be read.  A file over MAX_FILE comes back empty (it cannot be
 * ours and will not parse).
 */
static int
read_small(const char *path, gnutls_datum_t *d, char **errstr)
{
	unsigned char	*buf;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd, saved;

	d->data = NULL;
	d->size = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		if (errno == ENOENT)
			return 0;
		return tls_seterr(errstr, "cannot read %s: %s", path,
		    strerror(errno));
	}
	buf = tls_xmalloc(MAX_FILE + 1);
	for (;;) {
		n = read(fd, buf + len, MAX_FILE + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			saved = errno;
			close(fd);
			free(buf);
			return tls_seterr(errstr, "cannot read %s: %s", path,
			    strerror(saved));
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > MAX_FILE) {
			len = 0;
			break;
		}
	}
	close(fd);
	d->data = buf;
	d->size = (unsigned)len;
	return 1;
}

/* -1 on a read error; else missing[] and bad[] say how each file went. */
static int
load_files(struct loaded *ld, const char *dir, char **errstr)
{
	gnutls_datum_t	d;
	int		f, r;

	for (f = 0; f < GEN_LAST; f++) {
		ld->path[f] = tls_xasprintf("%s/%s", dir, gen_files[f].name);
		if ((r = read_small(ld->path[f], &d, errstr)) == -1)
			return -1;
		if (r == 0) {
			ld->missing[f] = true;
			continue;
		}
		switch (f) {
		case GEN_ROOT:
			r = gnutls_x509_crt_list_import2(&ld->root, &ld->nroot,
			    &d, GNUTLS_X509_FMT_PEM, 0);
			if (r < 0 || ld->nroot == 0) {
				ld->root = NULL;
				ld->nroot = 0;
				r = -1;
			}
			break;
		case GEN_CHAIN:
			r = gnutls_x509_crt_list_import2(&ld->chain,
			    &ld->nchain, &d, GNUTLS_X509_FMT_PEM, 0);
			if (r < 0 || ld->nchain == 0) {
				ld->chain = NULL;
				ld->nchain = 0;
				r = -1;
			}
			break;
		default:
			r = gnutls_x509_privkey_init(&ld->key);
			if (r >= 0)
				r = gnutls_x509_privkey_import2(ld->key, &d,
				    GNUTLS_X509_FMT_PEM, NULL, 0);
			if (r < 0 && ld->key != NULL) {
				gnutls_x509_privkey_deinit(ld->key);
				ld->key = NULL;
			}
			explicit_bzero(d.data, d.size);
			break;
		}
		ld->bad[f] = r < 0;
		free(d.data);
	}
	return 0;
}

/*
 * PATH to PATH.bad (or .bad.1, ...) without replacing anything: the name
 * it got (allocated), or NULL with *errstr.
 */
static char *
move_aside(const char *path, char **errstr)
{
	struct stat	 st;
	char		*bad;
	int		 i;

	for (i = 0; i < MAX_BAD; i++) {
		bad = i == 0 ? tls_xasprintf("%s.bad", path) :
		    tls_xasprintf("%s.bad.%d", path, i);
		if (link(path, bad) == 0) {
			(void)unlink(path);
			return bad;
		}
		/* No hard links here: rename, where nothing is. */
		if (errno != EEXIST && lstat(bad, &st) == -1) {
			if (errno == ENOENT && rename(path, bad) == 0)
				return bad;
			tls_seterr(errstr, "cannot move %s aside to %s: %s",
			    path, bad, strerror(errno));
			free(bad);
			return NULL;
		}
		free(bad);
	}
	tls_seterr(errstr, "cannot move %s aside: %s.bad to %s.bad.%d all "
	    "exist", path, path, path, MAX_BAD - 1);
	return NULL;
}

static void
add_reason(char **why, char *add)
{
	char	*s;

	if (*why == NULL) {
		*why = add;
		return;
	}
	s = tls_xasprintf("%s; %s", *why, add);
	free(*why);
	free(add);
	*why = s;
}

static char *
role(const struct loaded *ld, gnutls_x509_crt_t crt)
{
	unsigned	i;

	if (crt == ld->chain[0])
		return tls_xstrdup("the leaf certificate");
	for (i = 1; i < ld->nchain; i++) {
		if (crt == ld->chain[i])
			return tls_xasprintf("certificate %u of %s", i,
			    ld->path[GEN_CHAIN]);
	}
	return tls_xasprintf("the root certificate in %s", ld->path[GEN_ROOT]);
}

static void
check_dates(const struct loaded *ld, gnutls_x509_crt_t crt, time_t now,
    char **why)
{
	time_t	 from, to;
	char	*who;

	from = gnutls_x509_crt_get_activation_time(crt);
	to = gnutls_x509_crt_get_expiration_time(crt);
	if (from <= now && to - now > (time_t)MIN_DAYS_LEFT * DAY)
		return;
	who = role(ld, crt);
	if (from > now)
		add_reason(why, tls_xasprintf("%s is not valid yet", who));
	else if (to <= now)
		add_reason(why, tls_xasprintf("%s has expired", who));
	else
		add_reason(why, tls_xasprintf("%s expires in %lld days", who,
		    (long long)((to - now) / DAY)));
	free(who);
}

/* The leaf may serve TLS: no extended key usage, or serverAuth in it. */
static bool
server_purpose(gnutls_x509_crt_t crt)
{
	char	oid[128];
	size_t	len;
	int	i, r;

	for (i = 0;; i++) {
		len = sizeof(oid);
		r = gnutls_x509_crt_get_key_purpose_oid(crt, (unsigned)i, oid,
		    &len, NULL);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return i == 0;
		if (r < 0)
			continue;
		if (strcmp(oid, GNUTLS_KP_TLS_WWW_SERVER) == 0 ||
		    strcmp(oid, GNUTLS_KP_ANY) == 0)
			return true;
	}
}

/* Why the files do not fit (allocated), or NULL when they do. */
static char *
check_files(const struct loaded *ld, const struct sans *sans, time_t now)
{
	gnutls_x509_crt_t	 leaf = ld->chain[0];
	unsigned char		 a[64], b[64];
	size_t			 alen = sizeof(a), blen = sizeof(b), i;
	unsigned		 status = 0;
	char			*why = NULL, *missing = NULL, *s;

	if (gnutls_x509_privkey_get_key_id(ld->key, 0, a, &alen) < 0 ||
	    gnutls_x509_crt_get_key_id(leaf, 0, b, &blen) < 0 ||
	    alen != blen || memcmp(a, b, alen) != 0)
		add_reason(&why, tls_xasprintf("%s is not the key of the "
		    "leaf certificate", ld->path[GEN_KEY]));
	if (gnutls_x509_crt_list_verify(ld->chain, ld->nchain, ld->root,
	    ld->nroot, NULL, 0, GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
	    GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS, &status) < 0 ||
	    status != 0)
		add_reason(&why, tls_xasprintf("%s does not lead to %s",
		    ld->path[GEN_CHAIN], ld->path[GEN_ROOT]));
	for (i = 0; i < ld->nchain; i++)
		check_dates(ld, ld->chain[i], now, &why);
	for (i = 0; i < ld->nroot; i++)
		check_dates(ld, ld->root[i], now, &why);
	if (!server_purpose(leaf))
		add_reason(&why, tls_xstrdup("the leaf certificate is not for "
		    "a TLS server"));
	for (i = 0; i < sans->n; i++) {
		if (sans->v[i].ip ? gnutls_x509_crt_check_ip(leaf,
		    sans->v[i].addr, (unsigned)sans->v[i].addrlen, 0) :
		    gnutls_x509_crt_check_hostname2(leaf, sans->v[i].text, 0))
			continue;
		s = missing == NULL ? tls_xstrdup(sans->v[i].text) :
		    tls_xasprintf("%s, %s", missing, sans->v[i].text);
		free(missing);
		missing = s;
	}
	if (missing != NULL) {
		add_reason(&why, tls_xasprintf("the leaf certificate does not "
		    "cover %s", missing));
		free(missing);
	}
	return why;
}

/*
 * DIR/.lock, held: two programs starting at once must not mix their sets.
 * The fd, or -1 when DIR is read-only (nothing can be written there
 * anyway), or -2 with *errstr.
 */
static int
lock_dir(const char *dir, char **errstr)
{
	char	*path = tls_xasprintf("%s/.lock", dir);
	int	 fd, saved;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd == -1) {
		saved = errno;
		if (saved == EACCES || saved == EROFS || saved == EPERM) {
			free(path);
			return -1;
		}
		tls_seterr(errstr, "cannot lock %s: %s", path,
		    strerror(saved));
		free(path);
		return -2;
	}
	while (flock(fd, LOCK_EX) == -1) {
		if (errno == EINTR)
			continue;
		tls_seterr(errstr, "cannot lock %s: %s", path,
		    strerror(errno));
		close(fd);
		free(path);
		return -2;
	}
	free(path);
	return fd;
}

int
tls_gencert_ensure_at(const char *dir, const char *const *names, size_t n,
    time_t now, char **errstr)
{
	struct loaded	 ld;
	struct sans	 sans;
	char		*why = NULL, *bad;
	int		 f, nmissing = 0, lock, ret = -1;

	memset(&ld, 0, sizeof(ld));
	if (sans_collect(&sans, names, n, errstr) == -1)
		return -1;
	if (make_dir(dir, errstr) == -1 ||
	    (lock = lock_dir(dir, errstr)) == -2) {
		sans_free(&sans);
		return -1;
	}
	if (load_files(&ld, dir, errstr) == -1)
		goto out;
	for (f = 0; f < GEN_LAST; f++)
		nmissing += ld.missing[f];
	if (nmissing == GEN_LAST)
		why = tls_xstrdup("there were none");
	for (f = 0; f < GEN_LAST && nmissing < GEN_LAST; f++) {
		if (ld.missing[f])
			add_reason(&why, tls_xasprintf("%s was missing",
			    ld.path[f]));
		if (!ld.bad[f])
			continue;
		/* Perhaps the user's: never replaced unseen. */
		if ((bad = move_aside(ld.path[f], errstr)) == NULL)
			goto out;
		add_reason(&why, tls_xasprintf("%s did not parse and is now "
		    "%s", ld.path[f], bad));
		free(bad);
	}
	if (why == NULL)
		why = check_files(&ld, &sans, now);
	if (why == NULL) {
		ret = 0;
		goto out;
	}
	if (tls_gencert_at(dir, names, n, now, errstr) == -1)
		goto out;
	if (errstr != NULL)
		*errstr = tls_xasprintf("new sandbox certificates in %s: %s",
		    dir, why);
	ret = 1;
out:
	if (lock >= 0)
		close(lock);
	free(why);
	loaded_free(&ld);
	sans_free(&sans);
	return ret;
}

int
tls_gencert_ensure(const char *dir, const char *const *names, size_t n,
    char **errstr)
{
	return tls_gencert_ensure_at(dir, names, n, time(NULL), errstr);
}
