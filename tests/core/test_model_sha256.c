/* test_model_sha256.c - SHA-256 for model provenance: FIPS 180-4 / NIST test vectors, streaming, files. */
#include <stdio.h>
#include <string.h>

#include "sf_error.h"
#include "sf_sha256.h"
#include "sf_test.h"

static void check_hex(const char *msg, const char *want)
{
    char hex[65];
    sf_sha256_hex(msg, strlen(msg), hex);
    CHECK_MSG(!strcmp(hex, want), "sha256(\"%s\") = %s", msg, hex);
}

int main(void)
{
    check_hex("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_hex("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    check_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    check_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
              "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
              "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");

    /* one million 'a', fed in awkward chunk sizes */
    static char block[1000];
    memset(block, 'a', sizeof block);
    sf_sha256 s;
    unsigned char d[32];
    sf_sha256_init(&s);
    size_t left = 1000000, step = 1;
    while (left) {
        size_t k = step < left ? step : left;
        if (k > sizeof block)
            k = sizeof block;
        sf_sha256_update(&s, block, k);
        left -= k;
        step = step * 7 % 997 + 1;
    }
    sf_sha256_final(&s, d);
    static const unsigned char million_a[32] = {
        0xcd, 0xc7, 0x6e, 0x5c, 0x99, 0x14, 0xfb, 0x92, 0x81, 0xa1, 0xc7,
        0xe2, 0x84, 0xd7, 0x3e, 0x67, 0xf1, 0x80, 0x9a, 0x48, 0xa4, 0x97,
        0x20, 0x0e, 0x04, 0x6d, 0x39, 0xcc, 0xc7, 0x11, 0x2c, 0xd0};
    CHECK(!memcmp(d, million_a, 32));

    /* lengths around the padding boundary: streaming == one shot */
    char buf[200];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (char)(i * 31 + 7);
    for (size_t n = 50; n < 140; n++) {
        char h1[65], h2[65];
        sf_sha256_hex(buf, n, h1);
        sf_sha256_init(&s);
        sf_sha256_update(&s, buf, n / 3);
        sf_sha256_update(&s, buf + n / 3, n - n / 3);
        sf_sha256_final(&s, d);
        static const char dg[] = "0123456789abcdef";
        for (int i = 0; i < 32; i++) {
            h2[2 * i] = dg[d[i] >> 4];
            h2[2 * i + 1] = dg[d[i] & 15];
        }
        h2[64] = 0;
        CHECK_MSG(!strcmp(h1, h2), "length %zu", n);
    }

    /* files */
    const char *path = "test_model_sha256.tmp";
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        fputs("abc", f);
        fclose(f);
        char hex[65];
        CHECK(sf_sha256_file(path, hex) == SF_OK);
        CHECK(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
        remove(path);
    }
    char hex[65];
    CHECK(sf_sha256_file("no/such/file", hex) == SF_ERR);
    CHECK(strstr(sf_error_message(), "no/such/file") != NULL);
    return sf_test_summary();
}
