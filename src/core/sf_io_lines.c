/* sf_io_lines.c - buffered line reader over plain/gzip files, and
 * locale-independent number parsing and formatting. */
#include "sf_io_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* ---- line reader ---------------------------------------------------------- */

#define LINES_CHUNK (1u << 20)           /* initial buffer */
#define LINES_MAXLINE ((size_t)1 << 30)  /* longest line accepted */

struct sf_lines {
    gzFile gz;
    char *path;
    char *buf;
    size_t cap;        /* allocated bytes (one kept for a NUL) */
    size_t beg, end;   /* unread data is buf[beg, end) */
    int64_t off;       /* uncompressed offset of buf[beg] */
    long long lineno;  /* line number of the last line returned */
    int eof;           /* the stream is exhausted */
    int64_t fsize;
};

int sf_io_error(const sf_lines *r, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (r && r->lineno > 0)
        return sf_error("%s:%lld: %s", r->path, r->lineno, msg);
    return sf_error("%s: %s", r ? r->path : "?", msg);
}

int sf_io_error_here(const sf_lines *r)
{
    if (r->lineno > 0)
        return sf_error_prefix("%s:%lld", r->path, r->lineno);
    return sf_error_prefix("%s", r->path);
}

sf_lines *sf_lines_open(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        sf_error("%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        sf_error("%s: cannot stat: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        sf_error("%s: is a directory", path);
        close(fd);
        return NULL;
    }
    sf_lines *r = sf_calloc(1, sizeof *r);
    if (!r) {
        close(fd);
        return NULL;
    }
    r->fsize = S_ISREG(st.st_mode) ? (int64_t)st.st_size : -1;
    r->path = sf_strdup(path);
    r->cap = LINES_CHUNK;
    r->buf = sf_malloc(r->cap);
    if (!r->path || !r->buf) {
        close(fd);
        free(r->path);
        free(r->buf);
        free(r);
        return NULL;
    }
    r->gz = gzdopen(fd, "rb");
    if (!r->gz) {
        sf_error("%s: cannot open: out of memory", path);
        close(fd);
        free(r->path);
        free(r->buf);
        free(r);
        return NULL;
    }
    gzbuffer(r->gz, 1u << 18);
    return r;
}

void sf_lines_close(sf_lines *r)
{
    if (!r)
        return;
    if (r->gz)
        gzclose_r(r->gz);
    free(r->buf);
    free(r->path);
    free(r);
}

const char *sf_lines_path(const sf_lines *r) { return r->path; }
long long sf_lines_lineno(const sf_lines *r) { return r->lineno; }
int64_t sf_lines_tell(const sf_lines *r) { return r->off; }
int64_t sf_lines_file_size(const sf_lines *r) { return r->fsize; }
int sf_lines_is_gzip(const sf_lines *r) { return r->gz && !gzdirect(r->gz); }

int sf_lines_seek(sf_lines *r, int64_t offset, long long lineno)
{
    if (gzseek(r->gz, (z_off_t)offset, SEEK_SET) < 0) {
        int errnum;
        const char *m = gzerror(r->gz, &errnum);
        return sf_error("%s: cannot seek: %s", r->path,
                        errnum == Z_ERRNO ? strerror(errno) : m);
    }
    r->beg = r->end = 0;
    r->eof = 0;
    r->off = offset;
    r->lineno = lineno;
    return SF_OK;
}

/* Read more data at buf[end..); returns bytes read, 0 at a clean end of
 * stream, SF_ERR on a read error or a truncated/corrupt gzip stream. */
static int fill(sf_lines *r)
{
    if (r->beg > 0) {
        memmove(r->buf, r->buf + r->beg, r->end - r->beg);
        r->end -= r->beg;
        r->beg = 0;
    }
    if (r->end + 1 >= r->cap) {
        if (r->cap >= LINES_MAXLINE)
            return sf_error("%s:%lld: line longer than %zu bytes", r->path,
                            r->lineno + 1, LINES_MAXLINE);
        char *nb = sf_realloc(r->buf, r->cap * 2);
        if (!nb)
            return SF_ERR;
        r->buf = nb;
        r->cap *= 2;
    }
    size_t want = r->cap - 1 - r->end;
    if (want > (1u << 30))
        want = 1u << 30;
    int n = gzread(r->gz, r->buf + r->end, (unsigned)want);
    int errnum = Z_OK;
    const char *msg = gzerror(r->gz, &errnum);
    if (n < 0 || (errnum != Z_OK && errnum != Z_BUF_ERROR)) {
        if (errnum == Z_ERRNO)
            return sf_error("%s: read error: %s", r->path, strerror(errno));
        return sf_error("%s: corrupt gzip data after line %lld: %s", r->path,
                        r->lineno, msg);
    }
    if (n == 0) {
        /* zlib reports a stream that ends early as Z_BUF_ERROR, not EOF */
        if (errnum == Z_BUF_ERROR)
            return sf_error("%s: truncated gzip file (compressed data ends "
                            "early, after line %lld)",
                            r->path, r->lineno);
        r->eof = 1;
        return 0;
    }
    r->end += (size_t)n;
    return n;
}

int sf_lines_next(sf_lines *r, char **line, size_t *len)
{
    for (;;) {
        char *s = r->buf + r->beg;
        size_t avail = r->end - r->beg;
        char *nl = avail ? memchr(s, '\n', avail) : NULL;
        if (nl || (r->eof && avail)) {
            size_t n = nl ? (size_t)(nl - s) : avail;
            size_t used = nl ? n + 1 : n;
            s[n] = '\0'; /* cap keeps one spare byte for the last line */
            if (n && s[n - 1] == '\r')
                s[--n] = '\0';
            r->beg += used;
            r->off += (int64_t)used;
            r->lineno++;
            *line = s;
            if (len)
                *len = n;
            return 1;
        }
        if (r->eof)
            return 0;
        int got = fill(r);
        if (got < 0)
            return SF_ERR;
    }
}

/* ---- numbers ------------------------------------------------------------- */

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;

static void make_c_locale(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int isdig(char c) { return c >= '0' && c <= '9'; }

/* Copy the token at s for a message. */
static const char *token_copy(const char *s, char *buf, size_t size)
{
    size_t n = 0;
    while (s[n] && !sf_io_isspace(s[n]) && n + 1 < size)
        n++;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (n + 1 == size && size > 4)
        memcpy(buf + size - 4, "...", 4);
    return buf;
}

static int bad_number(const char *s, const char *what)
{
    char tok[48];
    token_copy(s, tok, sizeof tok);
    if (!*tok)
        return sf_error("missing %s", what);
    const char *p = tok + (*tok == '+' || *tok == '-');
    if (strncasecmp(p, "nan", 3) == 0 || strncasecmp(p, "inf", 3) == 0)
        return sf_error("non-finite %s '%s' (NaN/Inf are not accepted)",
                        what, tok);
    return sf_error("bad %s '%s'", what, tok);
}

int sf_parse_double(const char *s, const char **end, double *out)
{
    const char *p = s;
    int neg = 0;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    uint64_t m = 0;
    int nd = 0, dropped = 0, any = 0;
    long exp10 = 0;
    while (*p == '0') {
        p++;
        any = 1;
    }
    while (isdig(*p)) {
        if (nd < 19) {
            m = m * 10 + (uint64_t)(*p - '0');
            nd++;
        } else {
            exp10++;
            dropped |= *p != '0';
        }
        p++;
        any = 1;
    }
    if (*p == '.') {
        p++;
        if (nd == 0)
            while (*p == '0') {
                p++;
                exp10--;
                any = 1;
            }
        while (isdig(*p)) {
            if (nd < 19) {
                m = m * 10 + (uint64_t)(*p - '0');
                nd++;
                exp10--;
            } else
                dropped |= *p != '0';
            p++;
            any = 1;
        }
    }
    if (!any)
        return bad_number(s, "number");
    const char *mant_end = p;
    long e = 0;
    int fortran = 0;
    if (*p == 'e' || *p == 'E' || *p == 'd' || *p == 'D' ||
        ((*p == '+' || *p == '-') && isdig(p[1]))) {
        const char *q = p;
        if (*q != '+' && *q != '-')
            q++;
        else
            fortran = 1; /* Fortran drops the E for 3-digit exponents */
        int eneg = 0;
        if (*q == '+' || *q == '-')
            eneg = *q++ == '-';
        if (!isdig(*q))
            return bad_number(s, "number");
        while (isdig(*q)) {
            if (e < 100000)
                e = e * 10 + (*q - '0');
            q++;
        }
        if (eneg)
            e = -e;
        p = q;
    }
    (void)fortran;
    if (end)
        *end = p;
    long E = exp10 + e;
    if (m == 0) {
        *out = neg ? -0.0 : 0.0;
        return SF_OK;
    }
    if (!dropped && m <= ((uint64_t)1 << 53) && E >= -22 && E <= 22) {
        double d = (double)m;
        d = E < 0 ? d / pow10_exact[-E] : d * pow10_exact[E];
        *out = neg ? -d : d;
        return SF_OK;
    }
    /* slow path: a normalized copy through strtod_l in the "C" locale */
    char tmp[512];
    size_t n = (size_t)(p - s);
    char *buf = n + 2 <= sizeof tmp ? tmp : malloc(n + 2);
    if (!buf)
        return sf_error("out of memory");
    size_t k = 0;
    for (const char *c = s; c < p; c++) {
        if (c == mant_end) {
            buf[k++] = 'e';
            if (*c == 'e' || *c == 'E' || *c == 'd' || *c == 'D')
                continue;
        }
        buf[k++] = *c;
    }
    buf[k] = '\0';
    pthread_once(&c_locale_once, make_c_locale);
    if (!c_locale) {
        if (buf != tmp)
            free(buf);
        return sf_error("cannot create the C locale");
    }
    char *ep;
    errno = 0;
    double d = strtod_l(buf, &ep, c_locale);
    int bad = (size_t)(ep - buf) != k;
    if (buf != tmp)
        free(buf);
    if (bad)
        return bad_number(s, "number");
    if (!(d <= DBL_MAX && d >= -DBL_MAX)) {
        char tok[48];
        return sf_error("number out of range '%s'",
                        token_copy(s, tok, sizeof tok));
    }
    *out = d;
    return SF_OK;
}

int sf_parse_int64(const char *s, const char **end, int64_t *out)
{
    const char *p = s;
    int neg = 0;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if (!isdig(*p))
        return bad_number(s, "integer");
    uint64_t v = 0;
    const uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    while (isdig(*p)) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (lim - d) / 10) {
            char tok[48];
            return sf_error("integer out of range '%s'",
                            token_copy(s, tok, sizeof tok));
        }
        v = v * 10 + d;
        p++;
    }
    if (end)
        *end = p;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return SF_OK;
}

int sf_io_double(const char *p, const char **end, double *out)
{
    const char *e;
    if (sf_parse_double(p, &e, out))
        return SF_ERR;
    if (*e && !sf_io_isspace(*e))
        return bad_number(p, "number");
    *end = e;
    return SF_OK;
}

int sf_io_int64(const char *p, const char **end, int64_t *out)
{
    const char *e;
    if (sf_parse_int64(p, &e, out))
        return SF_ERR;
    if (*e && !sf_io_isspace(*e))
        return bad_number(p, "integer");
    *end = e;
    return SF_OK;
}

/* Write the unsigned integer u in decimal; returns the length. */
static int put_uint(char *buf, uint64_t u)
{
    char tmp[24];
    int k = 0, n = 0;
    do {
        tmp[k++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    while (k)
        buf[n++] = tmp[--k];
    buf[n] = '\0';
    return n;
}

typedef unsigned __int128 u128;

static const uint64_t pow10_u64[20] = {
    1ull,
    10ull,
    100ull,
    1000ull,
    10000ull,
    100000ull,
    1000000ull,
    10000000ull,
    100000000ull,
    1000000000ull,
    10000000000ull,
    100000000000ull,
    1000000000000ull,
    10000000000000ull,
    100000000000000ull,
    1000000000000000ull,
    10000000000000000ull,
    100000000000000000ull,
    1000000000000000000ull,
    10000000000000000000ull};

static u128 pow10_u128(int k)
{
    return k < 20 ? (u128)pow10_u64[k] : (u128)pow10_u64[19] * pow10_u64[k - 19];
}

/* Exact "%.Pg" for P = 15, 16, 17 (the shortest that reads back) by integer
 * arithmetic, for 1e-4 <= |v| < 1e15 where %g prints fixed notation.
 * Gives byte for byte what the printf loop gives; returns -1 outside its
 * range.  a = m * 2^-s exactly; D = round(a * 10^k) with ties to even. */
static int format_fast(char *buf, double v)
{
    double a = fabs(v);
    if (!(a >= 1e-4 && a < 1e15))
        return -1;
    int ex;
    double fr = frexp(a, &ex);                /* a = fr * 2^ex, fr in [.5,1) */
    uint64_t m = (uint64_t)ldexp(fr, 53);     /* exact: 53-bit mantissa */
    int s = 53 - ex;                          /* a = m * 2^-s, s in [3, 67] */
    if (s < 1 || s > 70)
        return -1;
    /* X = floor(log10(a)), exactly: 10^X <= m * 2^-s < 10^(X+1) */
    int X = (int)floor(log10(a));
    for (int tries = 0;; tries++) {
        if (tries > 4 || X < -6 || X > 16)
            return -1;
        u128 lo_l = X >= 0 ? (u128)m : (u128)m * pow10_u128(-X);
        u128 lo_r = X >= 0 ? pow10_u128(X) << s : (u128)1 << s;
        if (lo_l < lo_r) { /* a < 10^X */
            X--;
            continue;
        }
        int X1 = X + 1;
        u128 hi_l = X1 >= 0 ? (u128)m : (u128)m * pow10_u128(-X1);
        u128 hi_r = X1 >= 0 ? pow10_u128(X1) << s : (u128)1 << s;
        if (hi_l >= hi_r) { /* a >= 10^(X+1) */
            X++;
            continue;
        }
        break;
    }
    for (int P = 15; P <= 17; P++) {
        int k = P - 1 - X;
        if (k < 0 || k > 21)
            return -1;
        u128 N = (u128)m * pow10_u128(k);
        u128 q = N >> s, rem = N - (q << s), half = (u128)1 << (s - 1);
        if (rem > half || (rem == half && (q & 1)))
            q++;
        /* q in [10^(P-1), 10^P]; 10^P means the rounding carried */
        uint64_t D = (uint64_t)q;
        int Xp = X;
        if (q == (u128)pow10_u64[P]) {
            D = pow10_u64[P - 1];
            Xp = X + 1;
        }
        if (Xp < -4 || Xp >= P)
            return -1;
        if (P < 17) {
            /* does D / 10^k read back as a?  Scale by 10^k * 2^s:
             * compare D * 2^s with N = m * 10^k; half an ulp is 10^k / 2
             * (above; below too unless m is a power of two) */
            u128 Ds = q << s; /* q / 10^k is the candidate value */
            u128 diff = Ds > N ? Ds - N : N - Ds;
            u128 tk = pow10_u128(k);
            int below = Ds < N;
            int pow2 = m == ((uint64_t)1 << 52);
            u128 lhs = diff * (below && pow2 ? 4 : 2);
            int ok = lhs < tk || (lhs == tk && !(m & 1));
            if (!ok)
                continue;
        }
        /* fixed notation with trailing zeros removed */
        char dig[24];
        int nd = put_uint(dig, D); /* == P */
        while (nd > 0 && dig[nd - 1] == '0')
            nd--;
        int n = 0;
        if (v < 0)
            buf[n++] = '-';
        if (Xp >= 0) {
            for (int i = 0; i <= Xp; i++)
                buf[n++] = i < nd ? dig[i] : '0';
            if (nd > Xp + 1) {
                buf[n++] = '.';
                for (int i = Xp + 1; i < nd; i++)
                    buf[n++] = dig[i];
            }
        } else {
            buf[n++] = '0';
            buf[n++] = '.';
            for (int i = 0; i < -Xp - 1; i++)
                buf[n++] = '0';
            for (int i = 0; i < nd; i++)
                buf[n++] = dig[i];
        }
        buf[n] = '\0';
        return n;
    }
    return -1;
}

int sf_format_double(char *buf, double v)
{
    if (v == 0.0) {
        strcpy(buf, signbit(v) ? "-0" : "0");
        return signbit(v) ? 2 : 1;
    }
    /* integers print exactly and short */
    if (v > -1e15 && v < 1e15 && v == (double)(int64_t)v) {
        if (v < 0) {
            buf[0] = '-';
            return 1 + put_uint(buf + 1, (uint64_t)(-(int64_t)v));
        }
        return put_uint(buf, (uint64_t)v);
    }
    int n = format_fast(buf, v);
    if (n > 0)
        return n;
    /* printf follows LC_NUMERIC: switch this thread to "C" meanwhile */
    pthread_once(&c_locale_once, make_c_locale);
    locale_t old = c_locale ? uselocale(c_locale) : (locale_t)0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(buf, 32, "%.*g", prec, v);
        double back;
        if (prec == 17 ||
            (sf_parse_double(buf, NULL, &back) == SF_OK && back == v))
            break;
    }
    if (old)
        uselocale(old);
    return n;
}

/* ---- small helpers --------------------------------------------------------- */

int sf_io_split(char *s, char **tok, int max)
{
    int n = 0;
    for (;;) {
        while (sf_io_isspace(*s))
            s++;
        if (!*s)
            return n;
        if (n == max)
            return max + 1;
        tok[n++] = s;
        while (*s && !sf_io_isspace(*s))
            s++;
        if (*s)
            *s++ = '\0';
    }
}

char *sf_io_strip_comment(char *line)
{
    char *h = strchr(line, '#');
    if (!h)
        return NULL;
    *h = '\0';
    return h + 1;
}

int64_t sf_io_max_atoms(const sf_lines *r, int minbytes)
{
    if (r->fsize < 0)
        return SF_IO_MAX_ATOMS;
    /* deflate cannot compress better than about 1032:1 */
    int64_t bytes = r->fsize;
    if (sf_lines_is_gzip(r)) {
        if (bytes > SF_IO_MAX_ATOMS / 1032)
            return SF_IO_MAX_ATOMS;
        bytes *= 1032;
    }
    int64_t n = bytes / (minbytes > 0 ? minbytes : 1) + 1;
    return n < SF_IO_MAX_ATOMS ? n : SF_IO_MAX_ATOMS;
}
