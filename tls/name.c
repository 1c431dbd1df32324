/* Names as the user typed them, made fit for SNI and verification. */
#include <arpa/inet.h>
#include <string.h>

#include "tls.h"

void
tls_normalize_name(const char *in, char *out, size_t outlen, bool *is_ip)
{
	unsigned char	addr[sizeof(struct in6_addr)];
	size_t		len;

	if (is_ip != NULL)
		*is_ip = false;
	if (outlen == 0)
		return;
	out[0] = '\0';
	if (in == NULL)
		return;
	len = strlen(in);
	if (len >= 2 && in[0] == '[' && in[len - 1] == ']') {
		in++;
		len -= 2;
	}
	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len >= outlen)
		len = outlen - 1;
	memcpy(out, in, len);
	out[len] = '\0';
	if (is_ip != NULL)
		*is_ip = inet_pton(AF_INET, out, addr) == 1 ||
		    inet_pton(AF_INET6, out, addr) == 1;
}
