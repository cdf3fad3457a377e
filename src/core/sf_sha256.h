/* sf_sha256.h - SHA-256 (FIPS 180-4), used to record the provenance of the
 * files a model was trained on.  Streaming: init / update / final, plus
 * one-call helpers for a buffer and for a file. */
#ifndef SF_SHA256_H
#define SF_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct sf_sha256 {
    uint32_t h[8];
    uint64_t nbytes;       /* total bytes hashed so far */
    unsigned char buf[64]; /* pending partial block */
    size_t nbuf;
} sf_sha256;

void sf_sha256_init(sf_sha256 *s);
void sf_sha256_update(sf_sha256 *s, const void *data, size_t n);
/* Finish and write the 32-byte digest; s must be re-initialised to reuse. */
void sf_sha256_final(sf_sha256 *s, unsigned char digest[32]);

/* Lower-case hex digest (64 characters plus NUL) of a buffer. */
void sf_sha256_hex(const void *data, size_t n, char hex[65]);
/* Hex digest of a whole file, streamed.  SF_ERR with "path: reason" if the
 * file cannot be read. */
int sf_sha256_file(const char *path, char hex[65]);

#endif
