/* Tests of the low-level I/O pieces: number parsing and formatting, and the
 * line reader over plain, CRLF and (truncated) gzip files. */
#include "sf_error.h"
#include "sf_io.h"
#include "sf_test.h"

#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static char tmpdir[256];

static uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int parse_ok(const char *s, double want)
{
    double v;
    const char *end;
    if (sf_parse_double(s, &end, &v) != SF_OK || *end != '\0')
        return 0;
    return v == want && signbit(v) == signbit(want);
}

static int parse_fails(const char *s, const char *msg_part)
{
    double v;
    const char *end;
    int rc = sf_parse_double(s, &end, &v);
    if (rc == SF_OK && *end == '\0')
        return 0;
    if (rc == SF_OK)
        return 1; /* stops early: the caller sees trailing junk */
    return strstr(sf_error_message(), msg_part) != NULL;
}

static void test_numbers(void)
{
    CHECK(parse_ok("0", 0.0));
    CHECK(parse_ok("-0", -0.0));
    CHECK(parse_ok("1", 1.0));
    CHECK(parse_ok("+2.5", 2.5));
    CHECK(parse_ok("-.5", -0.5));
    CHECK(parse_ok("5.", 5.0));
    CHECK(parse_ok("1e3", 1000.0));
    CHECK(parse_ok("1.0E+01", 10.0));
    CHECK(parse_ok("1.0D+01", 10.0));
    CHECK(parse_ok("2.5d-1", 0.25));
    CHECK(parse_ok("-3.46092097E-02", -3.46092097e-02));
    CHECK(parse_ok("9.30308029E-02", 9.30308029e-02));
    CHECK(parse_ok("1.5-100", 1.5e-100));   /* Fortran, 3-digit exponent */
    CHECK(parse_ok("1.5+200", 1.5e200));
    CHECK(parse_ok("0.1", 0.1));
    CHECK(parse_ok("0.30000000000000004", 0.30000000000000004));
    CHECK(parse_ok("1.7976931348623157e308", 1.7976931348623157e308));
    CHECK(parse_ok("4.9406564584124654e-324", 4.9406564584124654e-324));
    CHECK(parse_ok("1e-400", 0.0)); /* underflow to zero is a number */
    CHECK(parse_ok("123456789012345678901234567890", 1.2345678901234568e29));
    CHECK(parse_ok("0.000000000000000000000000000001", 1e-30));
    CHECK(parse_fails("nan", "non-finite"));
    CHECK(parse_fails("NaN", "non-finite"));
    CHECK(parse_fails("-inf", "non-finite"));
    CHECK(parse_fails("Infinity", "non-finite"));
    CHECK(parse_fails("1e400", "out of range"));
    CHECK(parse_fails("-1e999", "out of range"));
    CHECK(parse_fails("abc", "bad number"));
    CHECK(parse_fails("", "missing"));
    CHECK(parse_fails(".", "bad number"));
    CHECK(parse_fails("1e", "bad number"));
    CHECK(parse_fails("1e+", "bad number"));
    CHECK(parse_fails("0x1p3", ""));  /* stops at 'x' */
    CHECK(parse_fails("1,5", ""));    /* stops at ',' */

    int64_t iv;
    const char *end;
    CHECK(sf_parse_int64("9223372036854775807", &end, &iv) == SF_OK &&
          iv == INT64_MAX);
    CHECK(sf_parse_int64("-9223372036854775808", &end, &iv) == SF_OK &&
          iv == INT64_MIN);
    CHECK(sf_parse_int64("9223372036854775808", &end, &iv) == SF_ERR &&
          strstr(sf_error_message(), "out of range"));
    CHECK(sf_parse_int64("x1", &end, &iv) == SF_ERR);

    /* random doubles: format, parse back bit for bit, and agree with
     * strtod on the printed text (17 digits forces the slow path) */
    uint64_t s = 88172645463325252ull;
    int bad = 0, badfmt = 0;
    for (int i = 0; i < 200000; i++) {
        uint64_t bits = rng(&s);
        double v;
        memcpy(&v, &bits, sizeof v);
        if (!isfinite(v))
            continue;
        if (i % 2) /* also ordinary magnitudes */
            v = (double)(rng(&s) >> 11) / 9007199254740992.0 * 200.0 - 100.0;
        char buf[40], ref[40];
        sf_format_double(buf, v);
        double back;
        if (sf_parse_double(buf, NULL, &back) != SF_OK || back != v)
            badfmt++;
        snprintf(ref, sizeof ref, "%.*g", (int)(i % 17) + 1, v);
        double a = strtod(ref, NULL), b;
        if (!isfinite(a)) /* rounding up to 2e+308 overflows: an error */
            bad += sf_parse_double(ref, NULL, &b) != SF_ERR;
        else if (sf_parse_double(ref, NULL, &b) != SF_OK || a != b)
            bad++;
    }
    CHECK_MSG(badfmt == 0, "%d formatted numbers did not read back", badfmt);
    CHECK_MSG(bad == 0, "%d numbers parsed differently from strtod", bad);
    char buf[40];
    sf_format_double(buf, 0.1);
    CHECK(strcmp(buf, "0.1") == 0);
    sf_format_double(buf, 1.0 / 3.0);
    CHECK(strcmp(buf, "0.3333333333333333") == 0);
    sf_format_double(buf, -0.0);
    CHECK(strcmp(buf, "-0") == 0);
    sf_format_double(buf, 12345678);
    CHECK(strcmp(buf, "12345678") == 0);
}

/* The shortest of %.15g/%.16g/%.17g that strtod reads back: what
 * sf_format_double must print, byte for byte, whatever path it takes. */
static void ref_format(char *buf, double v)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, 40, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static int format_agrees(double v)
{
    char a[40], b[40];
    sf_format_double(a, v);
    ref_format(b, v);
    if (v == 0.0)
        return strcmp(a, signbit(v) ? "-0" : "0") == 0;
    if (strcmp(a, b) != 0) {
        fprintf(stderr, "format %.17g: '%s' vs printf '%s'\n", v, a, b);
        return 0;
    }
    return 1;
}

static void test_format(void)
{
    uint64_t s = 0x9E3779B97F4A7C15ull;
    int bad = 0;
    for (int i = 0; i < 300000 && bad < 10; i++) {
        /* log-uniform over 1e-6 .. 1e17, both signs */
        double e = (double)(rng(&s) % 23000) / 1000.0 - 6.0;
        double v = pow(10.0, e) * (rng(&s) & 1 ? -1 : 1);
        bad += !format_agrees(v);
        /* short decimals (what parsed input looks like) */
        char t[40];
        snprintf(t, sizeof t, "%.*g", (int)(rng(&s) % 17) + 1, v);
        bad += !format_agrees(strtod(t, NULL));
        /* random bit patterns */
        uint64_t bits = rng(&s);
        memcpy(&v, &bits, sizeof v);
        if (isfinite(v))
            bad += !format_agrees(v);
    }
    /* around powers of ten and two, where the exponent changes */
    for (int k = -6; k <= 17 && bad < 10; k++) {
        double p = pow(10.0, k);
        double v = p;
        for (int j = 0; j < 40; j++, v = nextafter(v, 0))
            bad += !format_agrees(v) + !format_agrees(-v);
        v = p;
        for (int j = 0; j < 40; j++, v = nextafter(v, INFINITY))
            bad += !format_agrees(v);
        /* 9.99..95-style values that round up to the next power */
        for (int prec = 15; prec <= 17; prec++) {
            char t[64];
            snprintf(t, sizeof t, "%.*f5e%d", prec, 9.0, k);
            memset(t + 2, '9', (size_t)prec);
            bad += !format_agrees(strtod(t, NULL));
        }
    }
    for (int k = -20; k <= 60 && bad < 10; k++) {
        double v = ldexp(1.0, k);
        bad += !format_agrees(v) + !format_agrees(nextafter(v, 0)) +
               !format_agrees(nextafter(v, INFINITY));
    }
    /* integers and integers plus a little */
    for (int64_t i = 1; i < (int64_t)1e15 && bad < 10; i = i * 3 + 1)
        bad += !format_agrees((double)i) + !format_agrees((double)i + 0.5) +
               !format_agrees(-(double)i - 0.25);
    CHECK_MSG(bad == 0, "%d values formatted differently from printf", bad);
}

/* Under a locale with a decimal comma both directions still use '.'. */
static void test_locale(void)
{
    char cmd[1200], dir[400];
    snprintf(dir, sizeof dir, "%s/locales", tmpdir);
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s && localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 "
             ">/dev/null 2>&1",
             dir, dir);
    if (system(cmd) != 0) {
        printf("(locale test skipped: localedef failed)\n");
        return;
    }
    setenv("LOCPATH", dir, 1);
    if (!setlocale(LC_ALL, "de_DE.UTF-8")) {
        printf("(locale test skipped: setlocale failed)\n");
        return;
    }
    char ref[32];
    snprintf(ref, sizeof ref, "%.1f", 1.5);
    CHECK(strcmp(ref, "1,5") == 0); /* the locale really is active */
    CHECK(parse_ok("1.5", 1.5));
    CHECK(parse_ok("0.30000000000000004", 0.30000000000000004));
    char buf[40];
    sf_format_double(buf, 0.30000000000000004);
    CHECK(strcmp(buf, "0.30000000000000004") == 0);
    sf_format_double(buf, 2.5);
    CHECK(strcmp(buf, "2.5") == 0);
    setlocale(LC_ALL, "C");
}

static void write_file(const char *path, const char *text, size_t n)
{
    FILE *f = fopen(path, "wb");
    fwrite(text, 1, n, f);
    fclose(f);
}

static void test_lines(void)
{
    char path[400];
    snprintf(path, sizeof path, "%s/lines.txt", tmpdir);
    const char text[] = "first\r\nsecond\n\nlast without newline";
    write_file(path, text, sizeof text - 1);
    sf_lines *r = sf_lines_open(path);
    CHECK(r != NULL);
    char *line;
    size_t len;
    CHECK(sf_lines_next(r, &line, &len) == 1 && !strcmp(line, "first") &&
          len == 5);
    CHECK(sf_lines_lineno(r) == 1);
    int64_t off = sf_lines_tell(r);
    CHECK(sf_lines_next(r, &line, &len) == 1 && !strcmp(line, "second"));
    CHECK(sf_lines_next(r, &line, &len) == 1 && len == 0);
    CHECK(sf_lines_next(r, &line, &len) == 1 &&
          !strcmp(line, "last without newline"));
    CHECK(sf_lines_lineno(r) == 4);
    CHECK(sf_lines_next(r, &line, &len) == 0);
    CHECK(sf_lines_seek(r, off, 1) == SF_OK);
    CHECK(sf_lines_next(r, &line, &len) == 1 && !strcmp(line, "second") &&
          sf_lines_lineno(r) == 2);
    CHECK(!sf_lines_is_gzip(r));
    sf_lines_close(r);

    /* a gzip file with many lines longer than the buffer */
    snprintf(path, sizeof path, "%s/lines.gz", tmpdir);
    gzFile gz = gzopen(path, "wb");
    char *big = malloc(3000001);
    memset(big, 'a', 3000000);
    big[3000000] = '\0';
    for (int i = 0; i < 100000; i++)
        gzprintf(gz, "line %d\n", i);
    gzwrite(gz, big, 3000000); /* gzprintf truncates long strings */
    gzputs(gz, "\n");
    gzprintf(gz, "end\n");
    gzclose(gz);
    r = sf_lines_open(path);
    CHECK(r != NULL);
    int n = 0, ok = 1, rc;
    while ((rc = sf_lines_next(r, &line, &len)) == 1) {
        if (n < 100000) {
            char want[32];
            snprintf(want, sizeof want, "line %d", n);
            ok &= strcmp(line, want) == 0;
        } else if (n == 100000)
            ok &= len == 3000000 && line[0] == 'a' && line[len - 1] == 'a';
        else
            ok &= strcmp(line, "end") == 0;
        n++;
    }
    CHECK_MSG(rc == 0 && ok && n == 100002, "rc %d ok %d n %d: %s", rc, ok, n,
              sf_error_message());
    CHECK(sf_lines_is_gzip(r));
    sf_lines_close(r);

    /* truncated gzip: an error, never a silent EOF */
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)size);
    CHECK(fread(data, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
    char tpath[400];
    snprintf(tpath, sizeof tpath, "%s/trunc.gz", tmpdir);
    write_file(tpath, data, (size_t)size / 2);
    r = sf_lines_open(tpath);
    while ((rc = sf_lines_next(r, &line, &len)) == 1)
        ;
    CHECK(rc == SF_ERR);
    CHECK_MSG(strstr(sf_error_message(), "truncated") &&
                  strstr(sf_error_message(), "trunc.gz"),
              "%s", sf_error_message());
    sf_lines_close(r);
    /* only the 8-byte trailer missing */
    write_file(tpath, data, (size_t)size - 4);
    r = sf_lines_open(tpath);
    while ((rc = sf_lines_next(r, &line, &len)) == 1)
        ;
    CHECK_MSG(rc == SF_ERR, "missing gzip trailer not detected");
    sf_lines_close(r);
    /* corrupt data in the middle */
    data[size / 2] ^= 0x55;
    data[size / 2 + 1] ^= 0x55;
    write_file(tpath, data, (size_t)size);
    r = sf_lines_open(tpath);
    while ((rc = sf_lines_next(r, &line, &len)) == 1)
        ;
    CHECK_MSG(rc == SF_ERR, "corrupt gzip not detected");
    sf_lines_close(r);
    free(data);
    free(big);

    /* missing file and directory */
    CHECK(sf_lines_open("/nonexistent/file") == NULL &&
          strstr(sf_error_message(), "/nonexistent/file"));
    CHECK(sf_lines_open(tmpdir) == NULL &&
          strstr(sf_error_message(), "directory"));
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sflex_test_io_parse_%ld",
             (long)getpid());
    char cmd[300];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", tmpdir);
    if (system(cmd) != 0)
        return 1;
    test_numbers();
    test_format();
    test_lines();
    test_locale();
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        return 1;
    return sf_test_summary();
}
