/*
 * Unit tests: SASL for AUTH, the client side (session/sasl.c), against
 * the RFCs' and Google's examples.
 */
#include <stdlib.h>

#include "harness.h"
#include "sasl.h"

/* A new client for MECH with USER and SECRET; NULL fails the test. */
static struct sasl_client *
client(enum sasl_mech mech, const char *user, const char *secret,
    const char *host, int port)
{
	struct sasl_client	*c;
	char			*err = NULL;

	c = sasl_client_new(mech, user, secret, strlen(secret), host, port,
	    &err);
	if (c == NULL)
		harness_fail(__FILE__, __LINE__, "sasl_client_new: %s",
		    err != NULL ? err : "(no message)");
	free(err);
	return c;
}

/* The answer to CHALLENGE, NULL on an error (*ERR set). */
static char *
step(struct sasl_client *c, const char *challenge, const char **what,
    char **err)
{
	char	*r = NULL;

	*err = NULL;
	if (sasl_client_step(c, challenge, strlen(challenge), &r, what,
	    err) == -1) {
		EXPECT(r == NULL);
		EXPECT(*err != NULL);
		return NULL;
	}
	EXPECT(*what != NULL);
	return r;
}

static void
test_sasl_mech_names(void)
{
	EXPECT_INT(sasl_mech("PLAIN", 5), SASL_PLAIN);
	EXPECT_INT(sasl_mech("cram-md5", 8), SASL_CRAM_MD5);
	EXPECT_INT(sasl_mech("XOAuth2", 7), SASL_XOAUTH2);
	EXPECT_INT(sasl_mech("OAUTHBEARER", 11), SASL_OAUTHBEARER);
	EXPECT_INT(sasl_mech("LOGINX", 5), SASL_LOGIN);
	EXPECT_INT(sasl_mech("LOGINX", 6), SASL_NONE);
	EXPECT_INT(sasl_mech("", 0), SASL_NONE);
	EXPECT_INT(sasl_mech("GSSAPI", 6), SASL_NONE);
	EXPECT_STR(sasl_mech_name(SASL_CRAM_MD5), "CRAM-MD5");
	EXPECT_STR(sasl_mech_name(SASL_OAUTHBEARER), "OAUTHBEARER");
	EXPECT_STR(sasl_mech_name(SASL_MECH_LAST), "?");
}

static void
test_sasl_plain(void)
{
	struct sasl_client	*c;
	const char		*what;
	char			*ir, *r, *err;

	/* RFC 4616 form: no authzid. */
	c = client(SASL_PLAIN, "tim", "tanstaaftanstaaf", NULL, 0);
	ASSERT(c != NULL);
	EXPECT_INT(sasl_client_mech(c), SASL_PLAIN);
	sasl_client_start(c, &ir);
	EXPECT_STR(ir, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
	sasl_wipe_free(ir, ir != NULL ? strlen(ir) : 0);
	/* The credentials went out: a 334 after them is an error. */
	EXPECT(step(c, "", &what, &err) == NULL);
	EXPECT(err != NULL && strstr(err, "expects no more") != NULL);
	free(err);
	sasl_client_free(c);

	/* "AUTH PLAIN" alone: the empty 334 gets them. */
	c = client(SASL_PLAIN, "tim", "tanstaaftanstaaf", NULL, 0);
	ASSERT(c != NULL);
	r = step(c, "", &what, &err);
	EXPECT_STR(r, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
	EXPECT_STR(what, "the user name and the password");
	sasl_wipe_free(r, r != NULL ? strlen(r) : 0);
	EXPECT(step(c, "", &what, &err) == NULL);
	free(err);
	sasl_client_free(c);
	sasl_client_free(NULL);
}

static void
test_sasl_login(void)
{
	struct sasl_client	*c;
	const char		*what;
	char			*ir, *r, *err;

	c = client(SASL_LOGIN, "tim", "tanstaaftanstaaf", NULL, 0);
	ASSERT(c != NULL);
	sasl_client_start(c, &ir);
	EXPECT(ir == NULL);
	/* By order, not by the text: "Password:" first still gets the user. */
	r = step(c, "UGFzc3dvcmQ6", &what, &err);
	EXPECT_STR(r, "dGlt");
	EXPECT_STR(what, "the user name");
	free(r);
	r = step(c, "VXNlcm5hbWU6", &what, &err);
	EXPECT_STR(r, "dGFuc3RhYWZ0YW5zdGFhZg==");
	EXPECT_STR(what, "the password");
	sasl_wipe_free(r, r != NULL ? strlen(r) : 0);
	/* Too many steps. */
	EXPECT(step(c, "VXNlcm5hbWU6", &what, &err) == NULL);
	EXPECT_STR(err, "cannot answer the 334: AUTH LOGIN expects no more "
	    "challenges");
	free(err);
	sasl_client_free(c);

	/* A challenge that is not base64. */
	c = client(SASL_LOGIN, "tim", "x", NULL, 0);
	ASSERT(c != NULL);
	EXPECT(step(c, "VXNlcm5hbWU6 ", &what, &err) == NULL);
	EXPECT_STR(err, "cannot answer the 334: its challenge is not base64");
	free(err);
	EXPECT(step(c, "VXNlcm5hbWU", &what, &err) == NULL);
	free(err);
	EXPECT(step(c, "VXN%cm5hbWU6", &what, &err) == NULL);
	free(err);
	/* It did not count as a step. */
	r = step(c, "VXNlcm5hbWU6", &what, &err);
	EXPECT_STR(r, "dGlt");
	free(r);
	sasl_client_free(c);
}

static void
test_sasl_cram_md5(void)
{
	struct sasl_client	*c;
	const char		*what;
	char			*ir, *r, *err;

	/* RFC 2195 2. */
	c = client(SASL_CRAM_MD5, "tim", "tanstaaftanstaaf", NULL, 0);
	ASSERT(c != NULL);
	sasl_client_start(c, &ir);
	EXPECT(ir == NULL);
	r = step(c, "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+",
	    &what, &err);
	EXPECT_STR(r, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
	EXPECT_STR(what, "the user name and the CRAM-MD5 digest");
	sasl_wipe_free(r, r != NULL ? strlen(r) : 0);
	EXPECT(step(c, "PDE+", &what, &err) == NULL);
	EXPECT(err != NULL && strstr(err, "CRAM-MD5 expects no more") != NULL);
	free(err);
	sasl_client_free(c);

	/* An empty challenge cannot be answered. */
	c = client(SASL_CRAM_MD5, "tim", "tanstaaftanstaaf", NULL, 0);
	ASSERT(c != NULL);
	EXPECT(step(c, "", &what, &err) == NULL);
	EXPECT_STR(err, "cannot answer the CRAM-MD5 challenge: it is empty");
	free(err);
	EXPECT(step(c, "!!!!", &what, &err) == NULL);
	free(err);
	sasl_client_free(c);
}

static void
test_sasl_xoauth2(void)
{
	struct sasl_client	*c;
	const char		*what;
	char			*ir, *r, *err;

	/* Google's (developers.google.com/gmail/imap/xoauth2-protocol). */
	c = client(SASL_XOAUTH2, "someuser@example.com",
	    "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg", "ignored", 587);
	ASSERT(c != NULL);
	sasl_client_start(c, &ir);
	EXPECT_STR(ir, "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI"
	    "5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==");
	sasl_wipe_free(ir, ir != NULL ? strlen(ir) : 0);
	/* The JSON error: an empty answer, then nothing more. */
	r = step(c, "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOi"
	    "JodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==", &what, &err);
	EXPECT_STR(r, "");
	EXPECT_STR(what, "an empty line (the server reported an error)");
	free(r);
	EXPECT(step(c, "", &what, &err) == NULL);
	free(err);
	sasl_client_free(c);

	/* "AUTH XOAUTH2" alone: the empty 334 gets the credentials. */
	c = client(SASL_XOAUTH2, "alice", "wonderland", NULL, 0);
	ASSERT(c != NULL);
	r = step(c, "", &what, &err);
	EXPECT_STR(r, "dXNlcj1hbGljZQFhdXRoPUJlYXJlciB3b25kZXJsYW5kAQE=");
	EXPECT_STR(what, "the user name and the token");
	sasl_wipe_free(r, r != NULL ? strlen(r) : 0);
	sasl_client_free(c);
}

static void
test_sasl_oauthbearer(void)
{
	struct sasl_client	*c;
	const char		*what;
	char			*ir, *r, *err;

	/* RFC 7628 4.1. */
	c = client(SASL_OAUTHBEARER, "user@example.com",
	    "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==", "server.example.com",
	    143);
	ASSERT(c != NULL);
	sasl_client_start(c, &ir);
	EXPECT_STR(ir, "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGU"
	    "uY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhi"
	    "SFJoZG1semRHRXVZMjl0Q2c9PQEB");
	sasl_wipe_free(ir, ir != NULL ? strlen(ir) : 0);
	/* RFC 7628 3.2.3: the error gets a lone ^A, then nothing more. */
	r = step(c, "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NoZW1lcyI6ImJlYXJl"
	    "ciJ9", &what, &err);
	EXPECT_STR(r, "AQ==");
	EXPECT(what != NULL && strstr(what, "error") != NULL);
	free(r);
	EXPECT(step(c, "", &what, &err) == NULL);
	free(err);
	sasl_client_free(c);

	/* ',' and '=' of the user escaped (RFC 5801 4); no host, no port. */
	c = client(SASL_OAUTHBEARER, "a=b,c", "tok", NULL, 0);
	ASSERT(c != NULL);
	sasl_client_start(c, &ir);
	EXPECT_STR(ir, "bixhPWE9M0RiPTJDYywBYXV0aD1CZWFyZXIgdG9rAQE=");
	sasl_wipe_free(ir, ir != NULL ? strlen(ir) : 0);
	sasl_client_free(c);

	/* An empty host and a port out of range are left out too. */
	c = client(SASL_OAUTHBEARER, "bob", "tok", "", 70000);
	ASSERT(c != NULL);
	sasl_client_start(c, &ir);
	EXPECT_STR(ir, "bixhPWJvYiwBYXV0aD1CZWFyZXIgdG9rAQE=");
	sasl_wipe_free(ir, ir != NULL ? strlen(ir) : 0);
	sasl_client_free(c);
}

static void
test_sasl_refused(void)
{
	char	*err = NULL;

	EXPECT(sasl_client_new(SASL_PLAIN, NULL, "x", 1, NULL, 0, &err) ==
	    NULL);
	EXPECT_STR(err, "cannot start AUTH PLAIN: no user name");
	free(err);
	err = NULL;
	EXPECT(sasl_client_new(SASL_LOGIN, "", "x", 1, NULL, 0, &err) == NULL);
	free(err);
	err = NULL;
	EXPECT(sasl_client_new(SASL_PLAIN, "u", "a\0b", 3, NULL, 0, &err) ==
	    NULL);
	EXPECT_STR(err, "cannot start AUTH PLAIN: the password holds a NUL "
	    "byte");
	free(err);
	err = NULL;
	EXPECT(sasl_client_new(SASL_XOAUTH2, "u\x01", "t", 1, NULL, 0,
	    &err) == NULL);
	EXPECT(err != NULL && strstr(err, "user name holds a \\x01") != NULL);
	free(err);
	err = NULL;
	EXPECT(sasl_client_new(SASL_OAUTHBEARER, "u", "t\x01", 2, NULL, 0,
	    &err) == NULL);
	EXPECT_STR(err, "cannot start AUTH OAUTHBEARER: the token holds a "
	    "\\x01 byte");
	free(err);
	err = NULL;
	EXPECT(sasl_client_new(SASL_OAUTHBEARER, "u", "t", 1, "h\x01", 0,
	    &err) == NULL);
	free(err);
	err = NULL;
	EXPECT(sasl_client_new(SASL_NONE, "u", "t", 1, NULL, 0, &err) ==
	    NULL);
	free(err);
	err = NULL;
	/* \x01 is a byte like another for PLAIN; errstr may be NULL. */
	sasl_client_free(sasl_client_new(SASL_PLAIN, "u\x01", "t\x01", 2, NULL,
	    0, NULL));
	EXPECT(sasl_client_new(SASL_PLAIN, NULL, "t", 1, NULL, 0, NULL) ==
	    NULL);
}

static void
test_sasl_decode_challenge(void)
{
	char	*s, big[400], b64[600];
	char	*enc;
	size_t	 i;

	s = sasl_decode_challenge("VXNlcm5hbWU6", 12);
	EXPECT_STR(s, "Username:");
	free(s);
	s = sasl_decode_challenge("", 0);
	EXPECT_STR(s, "");
	free(s);
	/* Control bytes, DEL, a backslash and a high byte escaped. */
	s = sasl_decode_challenge("YQF/XGL/", 8);
	EXPECT_STR(s, "a\\x01\\x7f\\\\b\\xff");
	free(s);
	EXPECT(sasl_decode_challenge("VXNlcm5hbWU", 11) == NULL);
	EXPECT(sasl_decode_challenge("VXNl cm5hbWU6", 13) == NULL);
	EXPECT(sasl_decode_challenge("VX=lcm5hbWU6", 12) == NULL);
	/* At most 200 bytes, the cut shown. */
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	enc = sasl_base64_encode(big, sizeof(big));
	snprintf(b64, sizeof(b64), "%s", enc);
	free(enc);
	s = sasl_decode_challenge(b64, strlen(b64));
	ASSERT(s != NULL);
	EXPECT_INT(strlen(s), 200);
	EXPECT(strncmp(s, big, 197) == 0);
	EXPECT_STR(s + 197, "...");
	free(s);
	/* Exactly 200 bytes: kept whole. */
	enc = sasl_base64_encode(big, 200);
	s = sasl_decode_challenge(enc, strlen(enc));
	free(enc);
	ASSERT(s != NULL);
	EXPECT_INT(strlen(s), 200);
	EXPECT(strncmp(s, big, 200) == 0);
	free(s);
}

static void
test_sasl_base64(void)
{
	char	*s, *d;
	size_t	 n;

	s = sasl_base64_encode("", 0);
	EXPECT_STR(s, "");
	free(s);
	s = sasl_base64_encode("\0a", 2);
	EXPECT_STR(s, "AGE=");
	EXPECT_INT(sasl_base64_decode(s, strlen(s), &d, &n), 0);
	EXPECT_MEM(d, n, "\0a", 2);
	sasl_wipe_free(d, n);
	free(s);
	EXPECT_INT(sasl_base64_decode("=", 1, &d, &n), -1);
	EXPECT(d == NULL);
	EXPECT_INT(sasl_base64_decode("AGE=\r\n", 6, &d, &n), -1);
	EXPECT_INT(sasl_base64_decode("A=E=", 4, &d, &n), -1);
	EXPECT_INT(sasl_base64_decode("AA==", 4, &d, &n), 0);
	EXPECT_MEM(d, n, "\0", 1);
	free(d);
	sasl_wipe_free(NULL, 10);
}

static void
test_sasl_mask(void)
{
	char	*m;

	EXPECT(sasl_mask_auth_line("AUTH PLAIN AGJvYgBzZWNyZXQ=", 27, &m));
	EXPECT_STR(m, "AUTH PLAIN " SASL_MASK);
	free(m);
	EXPECT(sasl_mask_auth_line("auth xoauth2 dXNlcj1h", 21, &m));
	EXPECT_STR(m, "auth xoauth2 [masked]");
	free(m);
	/* "=" is the empty initial response: still one. */
	EXPECT(sasl_mask_auth_line("AUTH PLAIN =", 12, &m));
	EXPECT_STR(m, "AUTH PLAIN [masked]");
	free(m);
	EXPECT(sasl_mask_auth_line(" Auth  LOGIN  dGlt\r\n", 20, &m));
	EXPECT_STR(m, " Auth  LOGIN  [masked]");
	free(m);
	/* No initial response: nothing to mask. */
	m = (char *)1;
	EXPECT(!sasl_mask_auth_line("AUTH LOGIN", 10, &m));
	EXPECT(m == NULL);
	EXPECT(!sasl_mask_auth_line("AUTH LOGIN  \r\n", 14, &m));
	EXPECT(!sasl_mask_auth_line("AUTH", 4, &m));
	EXPECT(!sasl_mask_auth_line("AUTH ", 5, &m));
	EXPECT(!sasl_mask_auth_line("AUTHX PLAIN abc", 15, &m));
	EXPECT(!sasl_mask_auth_line("MAIL FROM:<a@b>", 15, &m));
	EXPECT(!sasl_mask_auth_line("", 0, &m));
	EXPECT(m == NULL);
	/* LEN counts, not the NUL. */
	EXPECT(!sasl_mask_auth_line("AUTH PLAIN abc", 10, &m));
}

TEST_LIST(sasl_tests) = {
	TEST(test_sasl_mech_names),
	TEST(test_sasl_plain),
	TEST(test_sasl_login),
	TEST(test_sasl_cram_md5),
	TEST(test_sasl_xoauth2),
	TEST(test_sasl_oauthbearer),
	TEST(test_sasl_refused),
	TEST(test_sasl_decode_challenge),
	TEST(test_sasl_base64),
	TEST(test_sasl_mask),
	TEST_END
};
