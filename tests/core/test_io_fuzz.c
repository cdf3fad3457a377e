/* Mutated and truncated copies of valid files: the readers must either
 * succeed with a valid configuration or fail with a message that names the
 * file -- never crash, hang or return garbage.  Deterministic (fixed seed);
 * most useful in the ASan build (-DSFLEX_SANITIZE=ON). */
#include "sf_error.h"
#include "sf_io.h"
#include "sf_test.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t seed = 0x243F6A8885A308D3ull;

static uint64_t rnd(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)size + 1);
    *n = fread(buf, 1, (size_t)size, f);
    fclose(f);
    return buf;
}

static const char *const tokens[] = {
    " ", "\n", "\t", "#", "-", "nan", "1e999", "0", "-1", "99999999999999",
    "ITEM: ", "ITEM: ATOMS id type x y z\n", "Atoms\n", "xy xz yz", "\"",
    "Properties=species:S:1:pos:R:3", ":", "=", "1.5D+00", "\r\n", "abc"};

static void mutate(char *buf, size_t *n, size_t cap)
{
    int kind = (int)(rnd() % 5);
    if (*n == 0)
        kind = 3;
    size_t at = *n ? (size_t)(rnd() % *n) : 0;
    switch (kind) {
    case 0: /* flip a byte */
        buf[at] = (char)(rnd() % 128);
        break;
    case 1: /* truncate */
        *n = at;
        break;
    case 2: { /* delete a run */
        size_t len = (size_t)(rnd() % 20);
        if (at + len > *n)
            len = *n - at;
        memmove(buf + at, buf + at + len, *n - at - len);
        *n -= len;
        break;
    }
    default: { /* insert a token */
        const char *t = tokens[rnd() % (sizeof tokens / sizeof *tokens)];
        size_t len = strlen(t);
        if (*n + len >= cap)
            break;
        memmove(buf + at + len, buf + at, *n - at);
        memcpy(buf + at, t, len);
        *n += len;
        break;
    }
    }
}

int main(void)
{
    const char *src = getenv("SFLEX_SOURCE_DIR");
    if (!src)
        src = ".";
    static const char *const files[] = {"cuzr_tri.dump", "cuzr_tri.data",
                                        "ase.extxyz", "ovito.xyz"};
    char dir[256], path[512], in[1024];
    snprintf(dir, sizeof dir, "/tmp/sflex_test_io_fuzz_%ld", (long)getpid());
    mkdir(dir, 0700);
    int ok = 0, failed = 0, bad_msg = 0, invalid = 0;
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        snprintf(in, sizeof in, "%s/tests/data/%s", src, files[f]);
        size_t n0;
        char *orig = slurp(in, &n0);
        CHECK_MSG(orig != NULL, "cannot read %s", in);
        if (!orig)
            continue;
        size_t cap = n0 + 4096;
        char *buf = malloc(cap);
        for (int iter = 0; iter < 600; iter++) {
            size_t n = n0;
            memcpy(buf, orig, n0);
            int muts = 1 + (int)(rnd() % 4);
            for (int m = 0; m < muts; m++)
                mutate(buf, &n, cap);
            snprintf(path, sizeof path, "%s/%s", dir, files[f]);
            FILE *out = fopen(path, "wb");
            fwrite(buf, 1, n, out);
            fclose(out);
            sf_read_opts o;
            sf_read_opts_init(&o);
            o.frame = iter % 3 == 0 ? SF_FRAME_LAST : 0;
            sf_atoms *a = sf_read(path, &o);
            if (a) {
                ok++;
                if (sf_atoms_validate(a, path) != SF_OK ||
                    !(sf_box_volume(&a->box) > 0)) {
                    invalid++;
                    fprintf(stderr, "invalid result: %s\n",
                            sf_error_message());
                }
                sf_atoms_free(a);
            } else {
                failed++;
                if (strncmp(sf_error_message(), path, strlen(path)) != 0) {
                    bad_msg++;
                    fprintf(stderr, "message without the path: %s\n",
                            sf_error_message());
                }
            }
        }
        free(buf);
        free(orig);
    }
    printf("%d mutated files read, %d rejected\n", ok, failed);
    CHECK(ok > 0 && failed > 0);
    CHECK_MSG(bad_msg == 0, "%d messages did not start with the path",
              bad_msg);
    CHECK_MSG(invalid == 0, "%d accepted files gave invalid atoms", invalid);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return sf_test_summary();
}
