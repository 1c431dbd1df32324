/* The problems of a certificate or a chain: a word and a phrase a bit. */
#include "tls.h"

struct problem {
	const char	*name;
	const char	*text;
};

/* Indexed by the bit's position. */
static const struct problem problems[TLS_P_NBITS] = {
	[0] = { "expired", "the certificate has expired" },
	[1] = { "not-yet-valid", "the certificate is not valid yet" },
	[2] = { "unknown-issuer",
		"the chain does not lead to a trusted root" },
	[3] = { "self-signed", "the certificate is self-signed and not trusted" },
	[4] = { "name-mismatch", "the certificate is for another name" },
	[5] = { "insecure-algorithm",
		"the certificate is signed with an insecure algorithm" },
	[6] = { "weak-key", "the key is too short" },
	[7] = { "not-a-ca", "a certificate that is not a CA issued another" },
	[8] = { "revoked", "the certificate is revoked" },
	[9] = { "ocsp", "the stapled OCSP response says no" },
	[10] = { "bad-purpose", "the certificate is not for a TLS server" },
	[11] = { "bad-signature", "a signature in the chain does not verify" },
	[15] = { "other", "the chain has another problem" },
};

static const struct problem *
lookup(unsigned bit)
{
	unsigned	i;

	if (bit == 0 || (bit & (bit - 1)) != 0)
		return NULL;
	for (i = 0; i < TLS_P_NBITS; i++) {
		if (bit == 1U << i)
			return problems[i].name != NULL ? &problems[i] : NULL;
	}
	return NULL;
}

const char *
tls_problem_name(unsigned bit)
{
	const struct problem	*p = lookup(bit);

	return p != NULL ? p->name : NULL;
}

const char *
tls_problem_text(unsigned bit)
{
	const struct problem	*p = lookup(bit);

	return p != NULL ? p->text : "an unknown problem";
}
