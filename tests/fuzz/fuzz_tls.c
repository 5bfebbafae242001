/*
 * fuzz_tls.c -- the bytes a DNS-over-TLS client sends, into the server side of an OpenSSL
 * connection on memory BIOs as server_tls.c runs it (dns/tlsframe.c): the handshake, records
 * in pieces of any size, decrypted data into the framer and its frames to query intake. The
 * first input byte says how the rest is cut into reads. The fixed certificate is a test one
 * (P-256, CN fuzz.test), made for this target only. Seeds: ClientHellos of openssl s_client
 * (TLS 1.3 with ALPN dot, TLS 1.2).
 */
#include "dns/framer.h"
#include "dns/msg.h"
#include "dns/tlsframe.h"
#include "util/tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static const char fuzz_cert[] = "-----BEGIN CERTIFICATE-----\n"
				"MIIBfzCCASWgAwIBAgIUfC0Z/y5VlbvHNCNL8kEk9dBdqIAwCgYIKoZIzj0EAwIw\n"
				"FDESMBAGA1UEAwwJZnV6ei50ZXN0MCAXDTI2MTIwMzE0MzI1N1oYDzIxMjYxMTA5\n"
				"MTQzMjU3WjAUMRIwEAYDVQQDDAlmdXp6LnRlc3QwWTATBgcqhkjOPQIBBggqhkjO\n"
				"PQMBBwNCAASinZCH9iEBIaPXDkYAJpLHcPh29V5qZF/Zvdb80HeWoPFE0Xwp0Tgh\n"
				"mHBgjtfty09YOxX7iXS8rTVTU60cNDAjo1MwUTAdBgNVHQ4EFgQUKxQExpiplZ7h\n"
				"9o5DkP/PLqO3fmQwHwYDVR0jBBgwFoAUKxQExpiplZ7h9o5DkP/PLqO3fmQwDwYD\n"
				"VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiAQ5bGksSqnALYJRjCKtcTp\n"
				"auSbpaeJGUTAaXQNPdfH2AIhALK/pJz8jLEYbztEwLJXhvnmNk5O7QOyoef7R5yv\n"
				"hJ4a\n"
				"-----END CERTIFICATE-----\n";
static const char fuzz_key[] = "-----BEGIN PRIVATE KEY-----\n"
			       "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgR2VL7F7xh7q000Vj\n"
			       "U/mN8D9mX8yxLF8Tai+D/4V/vBShRANCAASinZCH9iEBIaPXDkYAJpLHcPh29V5q\n"
			       "ZF/Zvdb80HeWoPFE0Xwp0TghmHBgjtfty09YOxX7iXS8rTVTU60cNDAj\n"
			       "-----END PRIVATE KEY-----\n";

static SSL_CTX *ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	/* tls_server_ctx reads files: write the pair where only this process looks */
	char dir[] = "/tmp/megdns-fuzz-tls.XXXXXX", cert[64], key[64], err[512];
	if (!mkdtemp(dir))
		abort();
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	FILE *f = fopen(cert, "w");
	fputs(fuzz_cert, f);
	fclose(f);
	f = fopen(key, "w");
	fputs(fuzz_key, f);
	fclose(f);
	ctx = tls_server_ctx(cert, key, "dot", err, sizeof(err));
	if (!ctx)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t step = (size_t)data[0] * 13 + 1;
	data++, size--;
	SSL *ssl = tlsframe_new(ctx);
	struct framer in;
	framer_init(&in);
	bool handshaken = false;
	uint8_t out[4096];
	for (size_t done = 0; done < size;) {
		size_t n = size - done < step ? size - done : step;
		enum tlsframe_status st = tlsframe_input(ssl, &handshaken, data + done, n, &in);
		done += n;
		while (tlsframe_pending(ssl))
			if (!tlsframe_output(ssl, out, sizeof(out)))
				break;
		const uint8_t *msg;
		size_t len;
		while (framer_next(&in, &msg, &len) > 0) {
			struct msg_query q;
			(void)msg_parse_query(msg, len, &q);
			if (!tlsframe_write(ssl, msg, len))
				break;
		}
		if (st != TLSFRAME_MORE)
			break;
	}
	framer_close(&in);
	SSL_free(ssl);
	return 0;
}
