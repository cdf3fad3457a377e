/* sf_io_util.c - species tables, growing atom arrays, id checks, atomic
 * output files (temp + rename) and exact box bounds. */
#include "sf_io_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* ---- species ------------------------------------------------------------- */

static int valid_name(const char *s, size_t len)
{
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (sf_io_isspace(s[i]) || s[i] == '\n' || s[i] == '\0')
            return 0;
    return 1;
}

static char *dupn(const char *s, size_t len)
{
    char *p = sf_malloc(len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

int sf_species_init(sf_species *s, const sf_read_opts *o)
{
    memset(s, 0, sizeof *s);
    s->names = sf_calloc(SF_MAX_TYPES, sizeof *s->names);
    if (!s->names)
        return SF_ERR;
    if (o && o->elements && o->nelements > 0) {
        if (o->nelements > SF_MAX_TYPES) {
            sf_species_free(s);
            return sf_error("elements option names %d types (at most %d)",
                            o->nelements, SF_MAX_TYPES);
        }
        for (int t = 0; t < o->nelements; t++) {
            const char *nm = o->elements[t];
            if (!nm || !valid_name(nm, strlen(nm))) {
                sf_species_free(s);
                return sf_error("elements option: name %d is empty or "
                                "contains white space", t + 1);
            }
            if (!(s->names[t] = sf_strdup(nm))) {
                sf_species_free(s);
                return SF_ERR;
            }
        }
        s->ntypes = o->nelements;
        s->fixed = 1;
    }
    return SF_OK;
}

void sf_species_free(sf_species *s)
{
    if (s->names)
        for (int t = 0; t < SF_MAX_TYPES; t++)
            free(s->names[t]);
    free(s->names);
    s->names = NULL;
}

static int name_eq(const char *a, const char *b, size_t len)
{
    return a && strncmp(a, b, len) == 0 && a[len] == '\0';
}

int sf_species_type(sf_species *s, const char *name, size_t len)
{
    if (s->last && name_eq(s->names[s->last - 1], name, len))
        return s->last;
    for (int t = 0; t < s->ntypes; t++)
        if (name_eq(s->names[t], name, len))
            return s->last = t + 1;
    if (!valid_name(name, len)) {
        sf_error("empty species name");
        return 0;
    }
    if (s->fixed) {
        char list[256] = "";
        size_t k = 0;
        for (int t = 0; t < s->ntypes && k + 40 < sizeof list; t++)
            k += (size_t)snprintf(list + k, sizeof list - k, "%s%s",
                                  t ? " " : "", s->names[t]);
        sf_error("element '%.*s' is not in the elements option (%s)",
                 (int)(len > 64 ? 64 : len), name, list);
        return 0;
    }
    if (s->ntypes >= SF_MAX_TYPES) {
        sf_error("more than %d species", SF_MAX_TYPES);
        return 0;
    }
    if (!(s->names[s->ntypes] = dupn(name, len)))
        return 0;
    s->ntypes++;
    return s->last = s->ntypes;
}

int sf_species_name(sf_species *s, int t, const char *name, size_t len)
{
    if (t < 1 || t > SF_MAX_TYPES)
        return sf_error("type %d out of range 1..%d", t, SF_MAX_TYPES);
    if (s->fixed && t > s->ntypes)
        return sf_error("type %d out of range: the elements option names "
                        "%d types", t, s->ntypes);
    char *old = s->names[t - 1];
    if (old) {
        if (!name_eq(old, name, len))
            return sf_error("type %d is element '%s' but this atom says '%.*s'",
                            t, old, (int)(len > 64 ? 64 : len), name);
        return SF_OK;
    }
    if (!valid_name(name, len))
        return sf_error("empty species name");
    if (!(s->names[t - 1] = dupn(name, len)))
        return SF_ERR;
    if (t > s->ntypes)
        s->ntypes = t;
    return SF_OK;
}

int sf_species_apply(const sf_species *s, sf_atoms *a)
{
    for (int t = 1; t <= a->ntypes && t <= SF_MAX_TYPES; t++)
        if (s->names[t - 1] && sf_atoms_set_species(a, t, s->names[t - 1]))
            return SF_ERR;
    return SF_OK;
}

/* ---- growing arrays ---------------------------------------------------------- */

int sf_build_init(sf_build *b, size_t expect, int has_v, int has_image)
{
    memset(b, 0, sizeof *b);
    b->expect = expect;
    b->has_v = has_v;
    b->has_image = has_image;
    return SF_OK;
}

int sf_build_column(sf_build *b, const char *name)
{
    char **nn = sf_realloc(b->names, (b->ncols + 1) * sizeof *nn);
    if (!nn)
        return SF_ERR;
    b->names = nn;
    double **nc = sf_realloc(b->cols, (b->ncols + 1) * sizeof *nc);
    if (!nc)
        return SF_ERR;
    b->cols = nc;
    char *copy = sf_strdup(name);
    double *d = b->cap ? sf_malloc(b->cap * sizeof *d) : NULL;
    if (!copy || (b->cap && !d)) {
        free(copy);
        free(d);
        return SF_ERR;
    }
    b->names[b->ncols] = copy;
    b->cols[b->ncols] = d;
    return (int)b->ncols++;
}

#define GROW(ptr, count)                                                     \
    do {                                                                     \
        void *np_ = sf_realloc((ptr), (count) * sizeof *(ptr));              \
        if (!np_)                                                            \
            return SF_ERR;                                                   \
        (ptr) = np_;                                                         \
    } while (0)

int sf_build_grow(sf_build *b)
{
    /* Start small and double: a header that claims 10^15 atoms costs
     * nothing until the atom lines are really there. */
    size_t cap = b->cap ? b->cap * 2 : 4096;
    if (b->expect && cap > b->expect)
        cap = b->expect;
    if (cap <= b->n)
        cap = b->n + 1;
    GROW(b->id, cap);
    GROW(b->type, cap);
    GROW(b->x, 3 * cap);
    if (b->has_v)
        GROW(b->v, 3 * cap);
    if (b->has_image)
        GROW(b->image, 3 * cap);
    for (size_t c = 0; c < b->ncols; c++)
        GROW(b->cols[c], cap);
    b->cap = cap;
    return SF_OK;
}

void sf_build_free(sf_build *b)
{
    free(b->id);
    free(b->type);
    free(b->x);
    free(b->v);
    free(b->image);
    for (size_t c = 0; c < b->ncols; c++) {
        free(b->names[c]);
        free(b->cols[c]);
    }
    free(b->names);
    free(b->cols);
    memset(b, 0, sizeof *b);
}

/* Shrink to n (never fails: keeps the larger block if realloc does). */
static void *shrink(void *p, size_t bytes)
{
    void *q = realloc(p, bytes ? bytes : 1);
    return q ? q : p;
}

sf_atoms *sf_build_finish(sf_build *b, int ntypes)
{
    sf_atoms *a = sf_atoms_new(0, ntypes);
    if (!a)
        return NULL;
    size_t n = b->n;
    if (n == 0 && b->cap == 0) { /* keep sf_atoms_new's (empty) arrays */
        if (b->has_v && sf_atoms_ensure_velocities(a))
            goto fail;
        if (b->has_image && sf_atoms_ensure_images(a))
            goto fail;
        for (size_t c = 0; c < b->ncols; c++)
            if (!sf_atoms_add_column(a, b->names[c], NULL))
                goto fail;
        sf_build_free(b);
        return a;
    }
    sf_column *cols = b->ncols ? sf_calloc(b->ncols, sizeof *cols) : NULL;
    if (b->ncols && !cols)
        goto fail;
    free(a->id);
    free(a->type);
    free(a->x);
    a->n = n;
    a->id = shrink(b->id, n * sizeof *b->id);
    a->type = shrink(b->type, n * sizeof *b->type);
    a->x = shrink(b->x, 3 * n * sizeof *b->x);
    a->v = b->has_v ? shrink(b->v, 3 * n * sizeof *b->v) : NULL;
    a->image = b->has_image ? shrink(b->image, 3 * n * sizeof *b->image) : NULL;
    for (size_t c = 0; c < b->ncols; c++) {
        cols[c].name = b->names[c];
        cols[c].data = shrink(b->cols[c], n * sizeof(double));
    }
    a->cols = cols;
    a->ncols = b->ncols;
    free(b->names);
    free(b->cols);
    memset(b, 0, sizeof *b);
    return a;
fail:
    sf_atoms_free(a);
    return NULL;
}

/* ---- ids ------------------------------------------------------------------- */

int sf_io_check_ids(const sf_lines *r, const sf_atoms *a, long long first_line)
{
    const char *path = sf_lines_path(r);
    for (size_t i = 0; i < a->n; i++)
        if (a->id[i] <= 0)
            return sf_error("%s:%lld: non-positive atom id %lld", path,
                            first_line + (long long)i, (long long)a->id[i]);
    if (a->n < 2)
        return SF_OK;
    size_t *order = sf_malloc(a->n * sizeof *order);
    if (!order || sf_atoms_id_order(a, order)) {
        free(order);
        return SF_ERR;
    }
    for (size_t k = 1; k < a->n; k++) {
        size_t i = order[k - 1], j = order[k];
        if (a->id[i] == a->id[j]) {
            size_t lo = i < j ? i : j, hi = i < j ? j : i;
            free(order);
            return sf_error("%s:%lld: duplicate atom id %lld (also on line "
                            "%lld)",
                            path, first_line + (long long)hi,
                            (long long)a->id[hi], first_line + (long long)lo);
        }
    }
    free(order);
    return SF_OK;
}

/* ---- output ------------------------------------------------------------------ */

#define OUT_BUF (1u << 16)

struct sf_out {
    char *path, *tmp;
    int fd;
    gzFile gz;
    size_t len;
    int failed;
    int created; /* tmp exists and is ours */
    char buf[OUT_BUF];
};

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

const char *sf_out_path(const sf_out *o) { return o->path; }

sf_out *sf_out_open(const char *path)
{
    if (!path || !*path) {
        sf_error("empty output path");
        return NULL;
    }
    sf_out *o = sf_calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->fd = -1;
    o->path = sf_strdup(path);
    size_t n = strlen(path) + 64;
    o->tmp = sf_malloc(n);
    if (!o->path || !o->tmp)
        goto fail;
    /* A unique name next to the target, so rename() stays on one file
     * system.  open() with mode 0666 lets the umask decide permissions. */
    static _Atomic unsigned counter;
    for (int tries = 0; tries < 1000; tries++) {
        snprintf(o->tmp, n, "%s.part-%ld-%u", path, (long)getpid(),
                 counter++);
        o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (o->fd >= 0 || errno != EEXIST)
            break;
    }
    if (o->fd < 0) {
        sf_error("%s: cannot create output file: %s", path, strerror(errno));
        goto fail;
    }
    o->created = 1;
    if (ends_with(path, ".gz")) {
        int fd2 = dup(o->fd);
        if (fd2 < 0 || !(o->gz = gzdopen(fd2, "wb1"))) {
            if (fd2 >= 0)
                close(fd2);
            sf_error("%s: cannot start gzip output", path);
            goto fail;
        }
    }
    return o;
fail:
    sf_out_abort(o);
    return NULL;
}

static int out_flush(sf_out *o)
{
    if (o->failed)
        return SF_ERR;
    const char *p = o->buf;
    size_t n = o->len;
    if (o->gz) {
        if (n && gzwrite(o->gz, p, (unsigned)n) != (int)n) {
            int errnum;
            const char *m = gzerror(o->gz, &errnum);
            o->failed = 1;
            return sf_error("%s: write error: %s", o->path,
                            errnum == Z_ERRNO ? strerror(errno) : m);
        }
    } else {
        while (n) {
            ssize_t w = write(o->fd, p, n);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                o->failed = 1;
                return sf_error("%s: write error: %s", o->path,
                                w < 0 ? strerror(errno) : "nothing written");
            }
            p += w;
            n -= (size_t)w;
        }
    }
    o->len = 0;
    return SF_OK;
}

int sf_out_write(sf_out *o, const char *s, size_t n)
{
    while (n) {
        if (o->len == OUT_BUF && out_flush(o))
            return SF_ERR;
        size_t k = OUT_BUF - o->len;
        if (k > n)
            k = n;
        memcpy(o->buf + o->len, s, k);
        o->len += k;
        s += k;
        n -= k;
    }
    return o->failed ? SF_ERR : SF_OK;
}

int sf_out_puts(sf_out *o, const char *s) { return sf_out_write(o, s, strlen(s)); }

int sf_out_char(sf_out *o, char c)
{
    if (o->len == OUT_BUF && out_flush(o))
        return SF_ERR;
    o->buf[o->len++] = c;
    return SF_OK;
}

int sf_out_printf(sf_out *o, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return sf_error("%s: formatting error", o->path);
    if ((size_t)n < sizeof small)
        return sf_out_write(o, small, (size_t)n);
    char *big = sf_malloc((size_t)n + 1);
    if (!big)
        return SF_ERR;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = sf_out_write(o, big, (size_t)n);
    free(big);
    return rc;
}

int sf_out_double(sf_out *o, double v)
{
    if (!isfinite(v))
        return sf_error("non-finite value (%g)", v);
    if (o->len + 32 > OUT_BUF && out_flush(o))
        return SF_ERR;
    o->len += (size_t)sf_format_double(o->buf + o->len, v);
    return SF_OK;
}

int sf_out_int(sf_out *o, long long v)
{
    if (o->len + 24 > OUT_BUF && out_flush(o))
        return SF_ERR;
    char tmp[24];
    int k = 0;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v
                                 : (unsigned long long)v;
    do {
        tmp[k++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        o->buf[o->len++] = '-';
    while (k)
        o->buf[o->len++] = tmp[--k];
    return SF_OK;
}

int sf_out_commit(sf_out *o)
{
    int rc = out_flush(o);
    if (o->gz) {
        int z = gzclose_w(o->gz);
        o->gz = NULL;
        if (rc == SF_OK && z != Z_OK)
            rc = sf_error("%s: write error while finishing gzip stream",
                          o->path);
    }
    if (o->fd >= 0) {
        if (close(o->fd) != 0 && rc == SF_OK)
            rc = sf_error("%s: write error on close: %s", o->path,
                          strerror(errno));
        o->fd = -1;
    }
    if (rc == SF_OK && rename(o->tmp, o->path) != 0)
        rc = sf_error("%s: cannot rename the finished file into place: %s",
                      o->path, strerror(errno));
    if (rc != SF_OK) {
        sf_out_abort(o);
        return SF_ERR;
    }
    free(o->path);
    free(o->tmp);
    free(o);
    return SF_OK;
}

void sf_out_abort(sf_out *o)
{
    if (!o)
        return;
    if (o->gz)
        gzclose_w(o->gz);
    if (o->fd >= 0)
        close(o->fd);
    if (o->created) /* only a file we created is removed */
        unlink(o->tmp);
    free(o->path);
    free(o->tmp);
    free(o);
}

/* ---- exact bounds ------------------------------------------------------------ */

/* f(b) = (b - s1) - s2 (s2 applied only when use2) is non-decreasing in b:
 * walk from guess to a b with f(b) == target, else the closest seen. */
static double pick(double guess, double target, double s1, double s2, int use2)
{
    double b = guess, best = guess, bestd = INFINITY;
    for (int dir = 0; dir < 2; dir++) {
        b = guess;
        for (int k = 0; k < 64; k++) {
            double f = b - s1;
            if (use2)
                f = f - s2;
            if (f == target)
                return b;
            double d = fabs(f - target);
            if (d < bestd) {
                bestd = d;
                best = b;
            }
            if ((dir == 0 && f > target) || (dir == 1 && f < target))
                break;
            b = nextafter(b, dir == 0 ? INFINITY : -INFINITY);
        }
    }
    return best;
}

void sf_io_exact_bounds(const sf_box *box, int dump, double lo_b[3],
                        double hi_b[3])
{
    double xy = box->xy, xz = box->xz, yz = box->yz;
    double mn[3] = {0, 0, 0}, mx[3] = {0, 0, 0};
    if (dump) {
        mn[0] = fmin(fmin(0.0, xy), fmin(xz, xy + xz));
        mx[0] = fmax(fmax(0.0, xy), fmax(xz, xy + xz));
        mn[1] = fmin(0.0, yz);
        mx[1] = fmax(0.0, yz);
    }
    for (int k = 0; k < 3; k++) {
        double lo = box->lo[k], len = box->len[k];
        /* reader: lo' = lo_b - mn; hi' = hi_b - mx; len' = hi' - lo' */
        lo_b[k] = pick(lo + mn[k], lo, mn[k], 0, 0);
        double lo_read = lo_b[k] - mn[k];
        hi_b[k] = pick(lo + len + mx[k], len, mx[k], lo_read, 1);
    }
}
