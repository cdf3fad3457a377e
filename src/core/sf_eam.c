/* sf_eam.c - EAM (setfl: eam/alloy, eam/fs) energy, forces and Hessian.
 *
 * Interpolation follows LAMMPS pair_eam.cpp: every tabulated function f on
 * a grid of n points is turned into n rows of 7 coefficients (interpolate()),
 * and evaluated at x with p = x/delta + 1, m = (int)p clamped, p -= m,
 * p = min(p, 1):  value = ((c3 p + c4) p + c5) p + c6,
 *                 d/dx  = (c0 p + c1) p + c2.
 * The second derivative used by the Hessian is the exact derivative of that
 * first derivative, (2 c0 p + c1)/delta, and 0 where p was clamped (there the
 * LAMMPS force is constant). */
#include "sf_eam.h"
#include "sf_error.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

struct sf_eam {
    char *path;
    int kind;
    int ne;
    char **elem;
    double *mass;
    int nrho, nr;
    double drho, dr, cut;
    double rdr, rdrho, rhomax, cutforcesq;
    double *frho;    /* ne splines of (nrho+1)*7 */
    double *rhor;    /* nrhor splines of (nr+1)*7 */
    double *z2r;     /* ne(ne+1)/2 splines of (nr+1)*7 */
    int *dens;       /* dens[b*ne+a]: spline of density at an a atom from a b atom */
    int *pair;       /* pair[a*ne+b]: z2r spline of the pair */
};

/* ---- the LAMMPS spline ------------------------------------------------------ */

/* f[1..n] -> spline[1..n][7] (rows of 7, row 0 unused), as PairEAM::interpolate */
static void interpolate(int n, double delta, const double *f, double *spl)
{
#define S(m, k) spl[7 * (size_t)(m) + (k)]
    for (int m = 1; m <= n; m++)
        S(m, 6) = f[m];
    S(1, 5) = S(2, 6) - S(1, 6);
    S(2, 5) = 0.5 * (S(3, 6) - S(1, 6));
    S(n - 1, 5) = 0.5 * (S(n, 6) - S(n - 2, 6));
    S(n, 5) = S(n, 6) - S(n - 1, 6);
    for (int m = 3; m <= n - 2; m++)
        S(m, 5) = ((S(m - 2, 6) - S(m + 2, 6)) + 8.0 * (S(m + 1, 6) - S(m - 1, 6))) / 12.0;
    for (int m = 1; m <= n - 1; m++) {
        S(m, 4) = 3.0 * (S(m + 1, 6) - S(m, 6)) - 2.0 * S(m, 5) - S(m + 1, 5);
        S(m, 3) = S(m, 5) + S(m + 1, 5) - 2.0 * (S(m + 1, 6) - S(m, 6));
    }
    S(n, 4) = 0.0;
    S(n, 3) = 0.0;
    for (int m = 1; m <= n; m++) {
        S(m, 2) = S(m, 5) / delta;
        S(m, 1) = 2.0 * S(m, 4) / delta;
        S(m, 0) = 3.0 * S(m, 3) / delta;
    }
    for (int k = 0; k < 7; k++)
        S(0, k) = 0.0;
#undef S
}

/* Radial function at r: value, first and second derivative. */
static inline void spl_r(const sf_eam *p, const double *spl, double r,
                         double *v, double *d1, double *d2)
{
    double x = r * p->rdr + 1.0;
    int m = (int)x;
    if (m > p->nr - 1)
        m = p->nr - 1;
    x -= m;
    int clamped = 0;
    if (x > 1.0) {
        x = 1.0;
        clamped = 1;
    }
    const double *c = spl + 7 * (size_t)m;
    if (v)
        *v = ((c[3] * x + c[4]) * x + c[5]) * x + c[6];
    if (d1)
        *d1 = (c[0] * x + c[1]) * x + c[2];
    if (d2)
        *d2 = clamped ? 0.0 : (2.0 * c[0] * x + c[1]) * p->rdr;
}

/* Embedding function at rho: F (with the linear extrapolation above rhomax),
 * F' and F''. */
static inline void spl_f(const sf_eam *p, const double *spl, double rho,
                         double *v, double *d1, double *d2)
{
    double x = rho * p->rdrho + 1.0;
    int m = (int)x;
    if (m > p->nrho - 1)
        m = p->nrho - 1;
    if (m < 1)
        m = 1;
    x -= m;
    int clamped = 0;
    if (x > 1.0) {
        x = 1.0;
        clamped = 1;
    }
    const double *c = spl + 7 * (size_t)m;
    double fp = (c[0] * x + c[1]) * x + c[2];
    if (d1)
        *d1 = fp;
    if (v) {
        double phi = ((c[3] * x + c[4]) * x + c[5]) * x + c[6];
        if (rho > p->rhomax)
            phi += fp * (rho - p->rhomax);
        *v = phi;
    }
    if (d2)
        *d2 = clamped ? 0.0 : (2.0 * c[0] * x + c[1]) * p->rdrho;
}

static inline const double *frho_of(const sf_eam *p, int a)
{
    return p->frho + (size_t)a * (p->nrho + 1) * 7;
}
/* density at an atom of element a due to an atom of element b */
static inline const double *dens_of(const sf_eam *p, int b, int a)
{
    return p->rhor + (size_t)p->dens[b * p->ne + a] * (p->nr + 1) * 7;
}
static inline const double *pair_of(const sf_eam *p, int a, int b)
{
    return p->z2r + (size_t)p->pair[a * p->ne + b] * (p->nr + 1) * 7;
}

/* ---- reading setfl files ------------------------------------------------------ */

typedef struct reader {
    const char *path;
    char *buf;      /* whole file, lines split in place */
    size_t len, pos;
    int line;       /* number of the line last returned */
    char *cur;      /* the tokens still unread on the current line */
} reader;

/* Next raw line (NULL at end). */
static char *raw_line(reader *rd)
{
    if (rd->pos >= rd->len)
        return NULL;
    char *s = rd->buf + rd->pos;
    char *e = memchr(s, '\n', rd->len - rd->pos);
    if (e) {
        *e = '\0';
        rd->pos = (size_t)(e - rd->buf) + 1;
    } else
        rd->pos = rd->len;
    rd->line++;
    return s;
}

/* Next line with at least one word after stripping '#' comments. */
static char *next_line(reader *rd)
{
    char *s;
    while ((s = raw_line(rd))) {
        char *h = strchr(s, '#');
        if (h)
            *h = '\0';
        for (char *q = s; *q; q++)
            if (!isspace((unsigned char)*q))
                return s;
    }
    return NULL;
}

static char *next_token(char **s)
{
    char *p = *s;
    while (*p && isspace((unsigned char)*p))
        p++;
    if (!*p) {
        *s = p;
        return NULL;
    }
    char *t = p;
    while (*p && !isspace((unsigned char)*p))
        p++;
    if (*p)
        *p++ = '\0';
    *s = p;
    return t;
}

static int parse_double(reader *rd, const char *tok, double *out, const char *what)
{
    char *end;
    errno = 0;
    double v = strtod(tok, &end);
    if (end == tok || *end != '\0')
        return sf_error("%s:%d: %s: expected a number, found '%.40s'", rd->path,
                        rd->line, what, tok);
    if (!isfinite(v))
        return sf_error("%s:%d: %s: value '%.40s' is not finite", rd->path,
                        rd->line, what, tok);
    *out = v;
    return SF_OK;
}

static int parse_int(reader *rd, const char *tok, long *out, const char *what)
{
    char *end;
    errno = 0;
    long v = strtol(tok, &end, 10);
    if (end == tok || *end != '\0' || errno)
        return sf_error("%s:%d: %s: expected an integer, found '%.40s'", rd->path,
                        rd->line, what, tok);
    *out = v;
    return SF_OK;
}

/* n values spread over lines, as LAMMPS's next_dvector: values left on the
 * last line are ignored. */
static int read_values(reader *rd, int n, double *out, const char *what)
{
    int i = 0;
    while (i < n) {
        char *s = next_line(rd);
        if (!s)
            return sf_error("%s:%d: %s: end of file after %d of %d values",
                            rd->path, rd->line, what, i, n);
        char *t;
        while (i < n && (t = next_token(&s)))
            if (parse_double(rd, t, &out[i++], what))
                return SF_ERR;
    }
    return SF_OK;
}

static void free_contents(sf_eam *p)
{
    if (p->elem)
        for (int e = 0; e < p->ne; e++)
            free(p->elem[e]);
    free(p->elem);
    free(p->mass);
    free(p->frho);
    free(p->rhor);
    free(p->z2r);
    free(p->dens);
    free(p->pair);
    memset(p, 0, sizeof *p);
}

/* Parse rd's buffer as kind (FS or ALLOY) into p. */
static int parse_setfl(reader *rd, int kind, sf_eam *p)
{
    char what[160];
    for (int k = 0; k < 3; k++)
        if (!raw_line(rd))
            return sf_error("%s:%d: file ends inside the 3 comment lines", rd->path,
                            rd->line);
    char *s = next_line(rd);
    if (!s)
        return sf_error("%s:%d: missing the element line", rd->path, rd->line);
    char *t = next_token(&s);
    long ne = 0;
    if (!t)
        return sf_error("%s:%d: missing the number of elements", rd->path, rd->line);
    if (parse_int(rd, t, &ne, "number of elements"))
        return SF_ERR;
    if (ne < 1 || ne > 64)
        return sf_error("%s:%d: number of elements %ld out of range 1..64", rd->path,
                        rd->line, ne);
    p->ne = (int)ne;
    p->elem = sf_calloc((size_t)ne, sizeof *p->elem);
    p->mass = sf_calloc((size_t)ne, sizeof *p->mass);
    if (!p->elem || !p->mass)
        return SF_ERR;
    for (int e = 0; e < ne; e++) {
        t = next_token(&s);
        if (!t)
            return sf_error("%s:%d: element line names %d elements, expected %ld",
                            rd->path, rd->line, e, ne);
        if (!(p->elem[e] = sf_strdup(t)))
            return SF_ERR;
    }
    if ((t = next_token(&s)))
        return sf_error("%s:%d: element line has more than %ld names ('%.40s')",
                        rd->path, rd->line, ne, t);

    s = next_line(rd);
    if (!s)
        return sf_error("%s:%d: missing the 'Nrho drho Nr dr cutoff' line", rd->path,
                        rd->line);
    long nrho = 0, nr = 0;
    const char *gridname[5] = {"Nrho", "drho", "Nr", "dr", "cutoff"};
    char *tok[5];
    for (int k = 0; k < 5; k++)
        if (!(tok[k] = next_token(&s)))
            return sf_error("%s:%d: grid line: missing %s", rd->path, rd->line,
                            gridname[k]);
    if (parse_int(rd, tok[0], &nrho, "Nrho") || parse_double(rd, tok[1], &p->drho, "drho") ||
        parse_int(rd, tok[2], &nr, "Nr") || parse_double(rd, tok[3], &p->dr, "dr") ||
        parse_double(rd, tok[4], &p->cut, "cutoff"))
        return SF_ERR;
    if (nrho < 5 || nr < 5 || nrho > 100000000 || nr > 100000000)
        return sf_error("%s:%d: Nrho %ld and Nr %ld must be in 5..1e8", rd->path,
                        rd->line, nrho, nr);
    if (!(p->drho > 0) || !(p->dr > 0) || !(p->cut > 0))
        return sf_error("%s:%d: drho, dr and cutoff must be positive", rd->path,
                        rd->line);
    p->nrho = (int)nrho;
    p->nr = (int)nr;

    int nrhor = kind == SF_EAM_FS ? p->ne * p->ne : p->ne;
    int nz2r = p->ne * (p->ne + 1) / 2;
    size_t fl = (size_t)(p->nrho + 1) * 7, rl = (size_t)(p->nr + 1) * 7;
    p->frho = sf_malloc(p->ne * fl * sizeof *p->frho);
    p->rhor = sf_malloc(nrhor * rl * sizeof *p->rhor);
    p->z2r = sf_malloc(nz2r * rl * sizeof *p->z2r);
    p->dens = sf_malloc((size_t)p->ne * p->ne * sizeof *p->dens);
    p->pair = sf_malloc((size_t)p->ne * p->ne * sizeof *p->pair);
    size_t nmax = (size_t)(p->nrho > p->nr ? p->nrho : p->nr) + 1;
    double *tmp = sf_malloc(nmax * sizeof *tmp);
    if (!p->frho || !p->rhor || !p->z2r || !p->dens || !p->pair || !tmp) {
        free(tmp);
        return SF_ERR;
    }
    int rc = SF_ERR;
    for (int e = 0; e < p->ne; e++) {
        s = next_line(rd);
        if (!s) {
            sf_error("%s:%d: missing the 'Z mass a0 lattice' line of element %s",
                     rd->path, rd->line, p->elem[e]);
            goto out;
        }
        char *zt = next_token(&s), *mt = next_token(&s);
        long z;
        snprintf(what, sizeof what, "atomic number of %s", p->elem[e]);
        if (parse_int(rd, zt, &z, what))
            goto out;
        snprintf(what, sizeof what, "mass of %s", p->elem[e]);
        if (!mt) {
            sf_error("%s:%d: %s missing", rd->path, rd->line, what);
            goto out;
        }
        if (parse_double(rd, mt, &p->mass[e], what))
            goto out;
        snprintf(what, sizeof what, "F(rho) of %s", p->elem[e]);
        if (read_values(rd, p->nrho, tmp + 1, what))
            goto out;
        interpolate(p->nrho, p->drho, tmp, p->frho + e * fl);
        int nd = kind == SF_EAM_FS ? p->ne : 1;
        for (int b = 0; b < nd; b++) {
            if (kind == SF_EAM_FS)
                snprintf(what, sizeof what, "rho(r) of %s at %s", p->elem[e], p->elem[b]);
            else
                snprintf(what, sizeof what, "rho(r) of %s", p->elem[e]);
            if (read_values(rd, p->nr, tmp + 1, what))
                goto out;
            interpolate(p->nr, p->dr, tmp, p->rhor + (size_t)(e * nd + b) * rl);
        }
    }
    for (int a = 0, k = 0; a < p->ne; a++)
        for (int b = 0; b <= a; b++, k++) {
            snprintf(what, sizeof what, "r*phi(r) of %s-%s", p->elem[a], p->elem[b]);
            if (read_values(rd, p->nr, tmp + 1, what))
                goto out;
            interpolate(p->nr, p->dr, tmp, p->z2r + (size_t)k * rl);
        }
    for (int a = 0; a < p->ne; a++)
        for (int b = 0; b < p->ne; b++) {
            /* LAMMPS: type2rhor[i][j] = i*ne + j (fs) or i (alloy); the
             * density at i from j uses type2rhor[jtype][itype]. */
            p->dens[b * p->ne + a] = kind == SF_EAM_FS ? b * p->ne + a : b;
            int hi = a > b ? a : b, lo = a > b ? b : a;
            p->pair[a * p->ne + b] = hi * (hi + 1) / 2 + lo;
        }
    p->kind = kind;
    p->rdr = 1.0 / p->dr;
    p->rdrho = 1.0 / p->drho;
    p->rhomax = (p->nrho - 1) * p->drho;
    p->cutforcesq = p->cut * p->cut;
    rc = SF_OK;
out:
    free(tmp);
    return rc;
}

static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

static int parse_kind(const char *path, const char *data, size_t len, int kind,
                      sf_eam *p, int *trailing_line)
{
    reader rd = {path, NULL, len, 0, 0, NULL};
    rd.buf = sf_malloc(len + 1);
    if (!rd.buf)
        return SF_ERR;
    memcpy(rd.buf, data, len);
    rd.buf[len] = '\0';
    int rc = parse_setfl(&rd, kind, p);
    *trailing_line = 0;
    if (rc == SF_OK && next_line(&rd))
        *trailing_line = rd.line;
    free(rd.buf);
    return rc;
}

sf_eam *sf_eam_read(const char *path, int kind)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        sf_error("%s: cannot open EAM potential file: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 20, len = 0;
    char *data = sf_malloc(cap);
    if (!data) {
        fclose(fp);
        return NULL;
    }
    size_t got;
    while ((got = fread(data + len, 1, cap - len, fp)) > 0) {
        len += got;
        if (len == cap) {
            char *nd = sf_realloc(data, cap * 2);
            if (!nd) {
                free(data);
                fclose(fp);
                return NULL;
            }
            data = nd;
            cap *= 2;
        }
    }
    int ioerr = ferror(fp);
    fclose(fp);
    if (ioerr) {
        free(data);
        sf_error("%s: read error", path);
        return NULL;
    }
    sf_eam *p = sf_calloc(1, sizeof *p);
    if (!p) {
        free(data);
        return NULL;
    }
    int first = kind;
    if (kind == SF_EAM_AUTO)
        first = ends_with(path, ".alloy") ? SF_EAM_ALLOY : SF_EAM_FS;
    int trailing = 0;
    int rc = parse_kind(path, data, len, first, p, &trailing);
    if (kind == SF_EAM_AUTO && !ends_with(path, ".fs") && !ends_with(path, ".alloy") &&
        (rc != SF_OK || trailing)) {
        /* no telling name: take the other layout if it fits the contents */
        sf_eam q = {0};
        int trailing2 = 0;
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", sf_error_message());
        int other = first == SF_EAM_FS ? SF_EAM_ALLOY : SF_EAM_FS;
        if (parse_kind(path, data, len, other, &q, &trailing2) == SF_OK && !trailing2) {
            free_contents(p);
            *p = q;
            rc = SF_OK;
            trailing = 0;
        } else {
            free_contents(&q);
            sf_error("%s", msg);
        }
    }
    free(data);
    if (rc == SF_OK && trailing) {
        sf_error("%s:%d: unexpected data after the last r*phi(r) table (wrong "
                 "format: eam/%s?)", path, trailing,
                 first == SF_EAM_FS ? "alloy" : "fs");
        rc = SF_ERR;
    }
    if (rc != SF_OK || !(p->path = sf_strdup(path))) {
        free_contents(p);
        free(p);
        return NULL;
    }
    return p;
}

void sf_eam_free(sf_eam *p)
{
    if (!p)
        return;
    char *path = p->path;
    free_contents(p);
    free(path);
    free(p);
}

int sf_eam_kind(const sf_eam *p) { return p->kind; }
int sf_eam_nelements(const sf_eam *p) { return p->ne; }
const char *sf_eam_element(const sf_eam *p, int e)
{
    return e >= 0 && e < p->ne ? p->elem[e] : NULL;
}
double sf_eam_mass(const sf_eam *p, int e)
{
    return e >= 0 && e < p->ne ? p->mass[e] : NAN;
}
double sf_eam_cutoff(const sf_eam *p) { return p->cut; }
const char *sf_eam_path(const sf_eam *p) { return p->path; }

int sf_eam_find_element(const sf_eam *p, const char *name)
{
    for (int e = 0; e < p->ne; e++)
        if (strcmp(p->elem[e], name) == 0)
            return e;
    return -1;
}

int sf_eam_type_map(const sf_eam *p, const sf_atoms *a, const char *const *names,
                    int nnames, int *map)
{
    map[0] = -1;
    if (names) {
        if (nnames < a->ntypes)
            return sf_error("%s: %d element names given for %d atom types",
                            p->path, nnames, a->ntypes);
        for (int t = 1; t <= a->ntypes; t++) {
            int e = sf_eam_find_element(p, names[t - 1]);
            if (e < 0)
                return sf_error("%s: type %d: element '%s' is not in the potential "
                                "file", p->path, t, names[t - 1]);
            map[t] = e;
        }
        return SF_OK;
    }
    for (int t = 1; t <= a->ntypes; t++) {
        const char *sp = a->species ? a->species[t - 1] : NULL;
        if (sp) {
            int e = sf_eam_find_element(p, sp);
            if (e < 0)
                return sf_error("%s: type %d is species '%s', which is not in the "
                                "potential file", p->path, t, sp);
            map[t] = e;
        } else {
            if (t > p->ne)
                return sf_error("%s: type %d has no species name and the file has "
                                "only %d elements (give elements = {...})",
                                p->path, t, p->ne);
            map[t] = t - 1;
        }
    }
    return SF_OK;
}

int sf_eam_atom_masses(const sf_eam *p, const sf_atoms *a, const int *map, double *mass)
{
    for (size_t i = 0; i < a->n; i++) {
        int t = a->type[i];
        double m = a->mass && a->mass[t - 1] > 0 ? a->mass[t - 1] : p->mass[map[t]];
        if (!(m > 0))
            return sf_error("atom %zu (type %d) has no positive mass", i + 1, t);
        mass[i] = m;
    }
    return SF_OK;
}

/* ---- periodic cell list with ghost images ---------------------------------------- */

typedef struct cells {
    size_t n, nall;
    double *x;      /* 3*nall: local atoms (wrapped into the cell) then ghosts */
    int32_t *idx;   /* nall: the real atom of each entry */
    int nc[3];
    size_t *start;  /* ncell + 1 */
    size_t *list;   /* nall entries sorted by cell */
    size_t *cell;   /* n: linear cell of each local atom */
    double cutsq;
} cells;

typedef struct nbr {
    int32_t j;
    double d[3]; /* x_i - x_j (image) */
    double rsq;
} nbr;

static void cells_free(cells *c)
{
    free(c->x);
    free(c->idx);
    free(c->start);
    free(c->list);
    free(c->cell);
    memset(c, 0, sizeof *c);
}

static int cells_build(cells *c, const sf_atoms *a, double cut)
{
    memset(c, 0, sizeof *c);
    size_t n = a->n;
    if (n > (size_t)INT32_MAX - 1)
        return sf_error("too many atoms (%zu) for the EAM evaluator", n);
    const sf_box *box = &a->box;
    double w[3], cf[3], lo[3], hi[3];
    int K[3];
    sf_box_widths(box, w);
    for (int d = 0; d < 3; d++) {
        cf[d] = cut / w[d] * (1.0 + 1e-9) + 1e-12;
        K[d] = box->periodic[d] ? (int)ceil(cf[d]) : 0;
    }
    const double A[3][3] = {{box->len[0], 0, 0},
                            {box->xy, box->len[1], 0},
                            {box->xz, box->yz, box->len[2]}};
    double *s = sf_malloc(3 * (n ? n : 1) * sizeof *s);
    c->n = n;
    c->cutsq = cut * cut;
    if (!s)
        return SF_ERR;
    for (int d = 0; d < 3; d++) {
        lo[d] = box->periodic[d] ? -cf[d] : INFINITY;
        hi[d] = box->periodic[d] ? 1.0 + cf[d] : -INFINITY;
    }
    /* local atoms, wrapped */
    double *xw = sf_malloc(3 * (n ? n : 1) * sizeof *xw);
    if (!xw) {
        free(s);
        return SF_ERR;
    }
    for (size_t i = 0; i < n; i++) {
        const double *x = a->x + 3 * i;
        double *si = s + 3 * i, *xi = xw + 3 * i;
        sf_box_to_frac(box, x, si);
        double k[3] = {0, 0, 0};
        for (int d = 0; d < 3; d++) {
            if (!isfinite(si[d])) {
                free(s);
                free(xw);
                return sf_error("atom %zu (id %lld) has a non-finite position", i + 1,
                                (long long)a->id[i]);
            }
            if (box->periodic[d]) {
                k[d] = floor(si[d]);
                si[d] -= k[d];
                if (si[d] >= 1.0) { /* -1e-17 - floor -> 1.0: the atom is at 0 */
                    si[d] = 0.0;
                    k[d] += 1.0;
                }
            } else {
                if (si[d] < lo[d])
                    lo[d] = si[d];
                if (si[d] > hi[d])
                    hi[d] = si[d];
            }
        }
        for (int e = 0; e < 3; e++) {
            double sh = k[0] * A[0][e] + k[1] * A[1][e] + k[2] * A[2][e];
            xi[e] = sh != 0.0 ? x[e] - sh : x[e];
        }
    }
    for (int d = 0; d < 3; d++)
        if (!box->periodic[d]) {
            if (n == 0) {
                lo[d] = 0;
                hi[d] = 1;
            }
            lo[d] -= 1e-9;
            hi[d] += 1e-9;
        }
    /* count ghosts */
    size_t ng = 0;
    for (size_t i = 0; i < n; i++) {
        const double *si = s + 3 * i;
        for (int n0 = -K[0]; n0 <= K[0]; n0++) {
            if (si[0] + n0 < -cf[0] || si[0] + n0 >= 1.0 + cf[0])
                continue;
            for (int n1 = -K[1]; n1 <= K[1]; n1++) {
                if (si[1] + n1 < -cf[1] || si[1] + n1 >= 1.0 + cf[1])
                    continue;
                for (int n2 = -K[2]; n2 <= K[2]; n2++) {
                    if (si[2] + n2 < -cf[2] || si[2] + n2 >= 1.0 + cf[2])
                        continue;
                    if (n0 || n1 || n2)
                        ng++;
                }
            }
        }
    }
    size_t nall = n + ng;
    c->nall = nall;
    c->x = sf_malloc(3 * (nall ? nall : 1) * sizeof *c->x);
    c->idx = sf_malloc((nall ? nall : 1) * sizeof *c->idx);
    double *sall = sf_malloc(3 * (nall ? nall : 1) * sizeof *sall);
    if (!c->x || !c->idx || !sall) {
        free(s);
        free(xw);
        free(sall);
        cells_free(c);
        return SF_ERR;
    }
    memcpy(c->x, xw, 3 * n * sizeof *xw);
    memcpy(sall, s, 3 * n * sizeof *s);
    for (size_t i = 0; i < n; i++)
        c->idx[i] = (int32_t)i;
    size_t g = n;
    for (size_t i = 0; i < n; i++) {
        const double *si = s + 3 * i, *xi = xw + 3 * i;
        for (int n0 = -K[0]; n0 <= K[0]; n0++) {
            if (si[0] + n0 < -cf[0] || si[0] + n0 >= 1.0 + cf[0])
                continue;
            for (int n1 = -K[1]; n1 <= K[1]; n1++) {
                if (si[1] + n1 < -cf[1] || si[1] + n1 >= 1.0 + cf[1])
                    continue;
                for (int n2 = -K[2]; n2 <= K[2]; n2++) {
                    if (si[2] + n2 < -cf[2] || si[2] + n2 >= 1.0 + cf[2])
                        continue;
                    if (!(n0 || n1 || n2))
                        continue;
                    for (int e = 0; e < 3; e++)
                        c->x[3 * g + e] = xi[e] + (n0 * A[0][e] + n1 * A[1][e] + n2 * A[2][e]);
                    sall[3 * g] = si[0] + n0;
                    sall[3 * g + 1] = si[1] + n1;
                    sall[3 * g + 2] = si[2] + n2;
                    c->idx[g] = (int32_t)i;
                    g++;
                }
            }
        }
    }
    free(s);
    free(xw);
    /* grid: cells at least cf wide (fractional) along each axis */
    double size[3];
    size_t ncell = 1;
    for (int d = 0; d < 3; d++) {
        double span = hi[d] - lo[d];
        double m = floor(span / cf[d]);
        if (m < 1)
            m = 1;
        if (m > 1e6)
            m = 1e6;
        c->nc[d] = (int)m;
    }
    while ((double)c->nc[0] * c->nc[1] * c->nc[2] > 4.0 * (double)nall + 64) {
        int d = c->nc[0] >= c->nc[1] && c->nc[0] >= c->nc[2] ? 0 : c->nc[1] >= c->nc[2] ? 1 : 2;
        c->nc[d] = (c->nc[d] + 1) / 2;
    }
    for (int d = 0; d < 3; d++) {
        size[d] = (hi[d] - lo[d]) / c->nc[d];
        ncell *= (size_t)c->nc[d];
    }
    c->start = sf_calloc(ncell + 1, sizeof *c->start);
    c->list = sf_malloc((nall ? nall : 1) * sizeof *c->list);
    c->cell = sf_malloc((n ? n : 1) * sizeof *c->cell);
    size_t *cof = sf_malloc((nall ? nall : 1) * sizeof *cof);
    if (!c->start || !c->list || !c->cell || !cof) {
        free(sall);
        free(cof);
        cells_free(c);
        return SF_ERR;
    }
    for (size_t k = 0; k < nall; k++) {
        size_t lin = 0;
        for (int d = 2; d >= 0; d--) {
            int q = (int)floor((sall[3 * k + d] - lo[d]) / size[d]);
            if (q < 0)
                q = 0;
            if (q >= c->nc[d])
                q = c->nc[d] - 1;
            lin = lin * (size_t)c->nc[d] + (size_t)q;
        }
        cof[k] = lin;
        c->start[lin + 1]++;
        if (k < n)
            c->cell[k] = lin;
    }
    for (size_t q = 0; q < ncell; q++)
        c->start[q + 1] += c->start[q];
    size_t *fill = sf_malloc((ncell ? ncell : 1) * sizeof *fill);
    if (!fill) {
        free(sall);
        free(cof);
        cells_free(c);
        return SF_ERR;
    }
    memcpy(fill, c->start, ncell * sizeof *fill);
    for (size_t k = 0; k < nall; k++)
        c->list[fill[cof[k]]++] = k;
    free(fill);
    free(cof);
    free(sall);
    return SF_OK;
}

/* Neighbours of local atom i within the cutoff (all images), in a fixed
 * order.  Returns the count, or (size_t)-1 on allocation failure; *overlap
 * is set to the real index of an atom at distance 0 (or -1). */
static size_t cells_gather(const cells *c, size_t i, nbr **buf, size_t *cap,
                           int64_t *overlap)
{
    size_t cnt = 0, lin = c->cell[i];
    int q[3];
    q[0] = (int)(lin % (size_t)c->nc[0]);
    q[1] = (int)(lin / (size_t)c->nc[0] % (size_t)c->nc[1]);
    q[2] = (int)(lin / ((size_t)c->nc[0] * c->nc[1]));
    const double *xi = c->x + 3 * i;
    for (int d2 = q[2] - 1; d2 <= q[2] + 1; d2++) {
        if (d2 < 0 || d2 >= c->nc[2])
            continue;
        for (int d1 = q[1] - 1; d1 <= q[1] + 1; d1++) {
            if (d1 < 0 || d1 >= c->nc[1])
                continue;
            for (int d0 = q[0] - 1; d0 <= q[0] + 1; d0++) {
                if (d0 < 0 || d0 >= c->nc[0])
                    continue;
                size_t cl = ((size_t)d2 * c->nc[1] + d1) * c->nc[0] + d0;
                for (size_t k = c->start[cl]; k < c->start[cl + 1]; k++) {
                    size_t g = c->list[k];
                    if (g == i)
                        continue;
                    const double *xg = c->x + 3 * g;
                    double dx = xi[0] - xg[0], dy = xi[1] - xg[1], dz = xi[2] - xg[2];
                    double rsq = dx * dx + dy * dy + dz * dz;
                    if (rsq >= c->cutsq)
                        continue;
                    if (rsq == 0.0) {
                        *overlap = c->idx[g];
                        continue;
                    }
                    if (cnt == *cap) {
                        size_t nc = *cap ? 2 * *cap : 256;
                        nbr *nb = realloc(*buf, nc * sizeof *nb);
                        if (!nb)
                            return (size_t)-1;
                        *buf = nb;
                        *cap = nc;
                    }
                    nbr *e = *buf + cnt++;
                    e->j = c->idx[g];
                    e->d[0] = dx;
                    e->d[1] = dy;
                    e->d[2] = dz;
                    e->rsq = rsq;
                }
            }
        }
    }
    return cnt;
}

static int check_map(const sf_eam *p, const sf_atoms *a, const int *map)
{
    for (int t = 1; t <= a->ntypes; t++)
        if (map[t] < 0 || map[t] >= p->ne)
            return sf_error("%s: atom type %d is not mapped to an element", p->path, t);
    for (size_t i = 0; i < a->n; i++)
        if (a->type[i] < 1 || a->type[i] > a->ntypes)
            return sf_error("atom %zu has type %d outside 1..%d", i + 1, a->type[i],
                            a->ntypes);
    return SF_OK;
}

/* Failure flags set inside parallel regions, reported after them. */
typedef struct fail {
    int nomem;
    int64_t ov_i, ov_j;
} fail;

static void note_overlap(fail *fl, size_t i, int64_t j)
{
#pragma omp critical(sf_eam_fail)
    if (fl->ov_i < 0 || (int64_t)i < fl->ov_i) {
        fl->ov_i = (int64_t)i;
        fl->ov_j = j;
    }
}

static int report(const fail *fl, const sf_atoms *a)
{
    if (fl->nomem)
        return sf_error("out of memory in the EAM neighbour search");
    if (fl->ov_i >= 0)
        return sf_error("atoms with ids %lld and %lld sit on top of each other (or an "
                        "atom on its own periodic image)",
                        (long long)a->id[fl->ov_i], (long long)a->id[fl->ov_j]);
    return SF_OK;
}

/* ---- energy and forces -------------------------------------------------------------- */

int sf_eam_compute(const sf_eam *p, const sf_atoms *a, const int *map, double *energy,
                   double *eatom, double *f, double *rho_out)
{
    if (check_map(p, a, map))
        return SF_ERR;
    size_t n = a->n;
    cells c;
    if (cells_build(&c, a, p->cut))
        return SF_ERR;
    double *rho = sf_malloc((n ? n : 1) * sizeof *rho);
    double *fp = sf_malloc((n ? n : 1) * sizeof *fp);
    double *ea = sf_malloc((n ? n : 1) * sizeof *ea);
    if (!rho || !fp || !ea) {
        free(rho);
        free(fp);
        free(ea);
        cells_free(&c);
        return SF_ERR;
    }
    fail fl = {0, -1, -1};
    int want_f = f != NULL;
#pragma omp parallel
    {
        nbr *buf = NULL;
        size_t cap = 0;
#pragma omp for schedule(dynamic, 64)
        for (size_t i = 0; i < n; i++) {
            int64_t ov = -1;
            size_t cnt = cells_gather(&c, i, &buf, &cap, &ov);
            if (cnt == (size_t)-1) {
                fl.nomem = 1;
                continue;
            }
            if (ov >= 0)
                note_overlap(&fl, i, ov);
            int ei = map[a->type[i]];
            double r_i = 0.0, ep = 0.0;
            for (size_t k = 0; k < cnt; k++) {
                int ej = map[a->type[buf[k].j]];
                double r = sqrt(buf[k].rsq), v, z2;
                spl_r(p, dens_of(p, ej, ei), r, &v, NULL, NULL);
                r_i += v;
                spl_r(p, pair_of(p, ei, ej), r, &z2, NULL, NULL);
                ep += z2 / r;
            }
            rho[i] = r_i;
            double F, Fp;
            spl_f(p, frho_of(p, ei), r_i, &F, &Fp, NULL);
            fp[i] = Fp;
            ea[i] = F + 0.5 * ep;
        }
        if (want_f) {
#pragma omp for schedule(dynamic, 64)
            for (size_t i = 0; i < n; i++) {
                int64_t ov = -1;
                size_t cnt = cells_gather(&c, i, &buf, &cap, &ov);
                if (cnt == (size_t)-1) {
                    fl.nomem = 1;
                    continue;
                }
                int ei = map[a->type[i]];
                double fx = 0, fy = 0, fz = 0;
                for (size_t k = 0; k < cnt; k++) {
                    int32_t j = buf[k].j;
                    int ej = map[a->type[j]];
                    double r = sqrt(buf[k].rsq), rhoip, rhojp, z2, z2p;
                    spl_r(p, dens_of(p, ei, ej), r, NULL, &rhoip, NULL);
                    spl_r(p, dens_of(p, ej, ei), r, NULL, &rhojp, NULL);
                    spl_r(p, pair_of(p, ei, ej), r, &z2, &z2p, NULL);
                    double recip = 1.0 / r;
                    double phi = z2 * recip;
                    double phip = z2p * recip - phi * recip;
                    double psip = fp[i] * rhojp + fp[j] * rhoip + phip;
                    double fpair = -psip * recip;
                    fx += buf[k].d[0] * fpair;
                    fy += buf[k].d[1] * fpair;
                    fz += buf[k].d[2] * fpair;
                }
                f[3 * i] = fx;
                f[3 * i + 1] = fy;
                f[3 * i + 2] = fz;
            }
        }
        free(buf);
    }
    cells_free(&c);
    int rc = report(&fl, a);
    if (rc == SF_OK) {
        double e = 0.0;
        for (size_t i = 0; i < n; i++)
            e += ea[i];
        if (energy)
            *energy = e;
        if (eatom)
            memcpy(eatom, ea, n * sizeof *ea);
        if (rho_out)
            memcpy(rho_out, rho, n * sizeof *rho);
    }
    free(rho);
    free(fp);
    free(ea);
    return rc;
}

/* ---- Hessian ---------------------------------------------------------------------- */

/* Per neighbour entry of the full list. */
typedef struct hent {
    int32_t j;
    int nz;      /* K has a non-zero entry */
    double K[6]; /* xx yy zz xy xz yz of the pair block */
    double g[3]; /* d rho_i / d x_i contribution of this neighbour */
} hent;

typedef struct vent {
    int32_t atom;
    double v[3];
} vent;

static int cmp_vent(const void *x, const void *y)
{
    int32_t a = ((const vent *)x)->atom, b = ((const vent *)y)->atom;
    return (a > b) - (a < b);
}

static int cmp_i32(const void *x, const void *y)
{
    int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
    return (a > b) - (a < b);
}

static inline void add_outer(double *blk, double c, const double *u, const double *v)
{
    for (int al = 0; al < 3; al++)
        for (int be = 0; be < 3; be++)
            blk[3 * al + be] += c * u[al] * v[be];
}

static inline void add_sym6(double *blk, double c, const double *K)
{
    blk[0] += c * K[0];
    blk[4] += c * K[1];
    blk[8] += c * K[2];
    blk[1] += c * K[3];
    blk[3] += c * K[3];
    blk[2] += c * K[4];
    blk[6] += c * K[4];
    blk[5] += c * K[5];
    blk[7] += c * K[5];
}

static const vent *find_vent(const vent *v, size_t cnt, int32_t atom)
{
    size_t lo = 0, hi = cnt;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].atom < atom)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < cnt && v[lo].atom == atom ? v + lo : NULL;
}

sf_bsr *sf_eam_hessian(const sf_eam *p, const sf_atoms *a, const int *map, int upper)
{
    if (check_map(p, a, map))
        return NULL;
    size_t n = a->n;
    cells c;
    if (cells_build(&c, a, p->cut))
        return NULL;
    fail fl = {0, -1, -1};
    size_t *start = sf_calloc(n + 1, sizeof *start);
    double *rho = sf_malloc((n ? n : 1) * sizeof *rho);
    double *Fp = sf_malloc((n ? n : 1) * sizeof *Fp);
    double *Fpp = sf_malloc((n ? n : 1) * sizeof *Fpp);
    double *gi = sf_calloc(3 * (n ? n : 1), sizeof *gi);
    hent *ent = NULL;
    nbr *all = NULL;
    vent *vv = NULL;
    size_t *vcnt = NULL;
    sf_bsr *h = NULL;
    if (!start || !rho || !Fp || !Fpp || !gi)
        goto fail;

    /* 1. full neighbour list (count, then fill) */
#pragma omp parallel
    {
        nbr *buf = NULL;
        size_t cap = 0;
#pragma omp for schedule(dynamic, 64)
        for (size_t i = 0; i < n; i++) {
            int64_t ov = -1;
            size_t cnt = cells_gather(&c, i, &buf, &cap, &ov);
            if (cnt == (size_t)-1) {
                fl.nomem = 1;
                continue;
            }
            if (ov >= 0)
                note_overlap(&fl, i, ov);
            start[i + 1] = cnt;
        }
        free(buf);
    }
    if (report(&fl, a))
        goto fail;
    for (size_t i = 0; i < n; i++)
        start[i + 1] += start[i];
    size_t nent = start[n];
    all = sf_malloc((nent ? nent : 1) * sizeof *all);
    ent = sf_malloc((nent ? nent : 1) * sizeof *ent);
    vv = sf_malloc((nent + n + 1) * sizeof *vv);
    vcnt = sf_calloc(n + 1, sizeof *vcnt);
    if (!all || !ent || !vv || !vcnt)
        goto fail;
#pragma omp parallel
    {
        nbr *buf = NULL;
        size_t cap = 0;
#pragma omp for schedule(dynamic, 64)
        for (size_t i = 0; i < n; i++) {
            int64_t ov = -1;
            size_t cnt = cells_gather(&c, i, &buf, &cap, &ov);
            if (cnt == (size_t)-1) {
                fl.nomem = 1;
                continue;
            }
            memcpy(all + start[i], buf, cnt * sizeof *buf);
            int ei = map[a->type[i]];
            double r_i = 0.0;
            for (size_t k = 0; k < cnt; k++) {
                double v;
                spl_r(p, dens_of(p, map[a->type[buf[k].j]], ei), sqrt(buf[k].rsq), &v,
                      NULL, NULL);
                r_i += v;
            }
            rho[i] = r_i;
            spl_f(p, frho_of(p, ei), r_i, NULL, &Fp[i], &Fpp[i]);
        }
        free(buf);
    }
    cells_free(&c);
    if (report(&fl, a))
        goto fail;

    /* 2. per-entry pair blocks and density gradients; per-centre vectors
     *    v_i = d rho_i / d x (sparse over atoms, duplicates merged) */
#pragma omp parallel for schedule(dynamic, 64)
    for (size_t i = 0; i < n; i++) {
        int ei = map[a->type[i]];
        double g[3] = {0, 0, 0};
        vent *v = vv + start[i] + i;
        size_t nv = 1;
        for (size_t k = start[i]; k < start[i + 1]; k++) {
            const nbr *e = all + k;
            int32_t j = e->j;
            int ej = map[a->type[j]];
            double r = sqrt(e->rsq), recip = 1.0 / r;
            double u[3] = {e->d[0] * recip, e->d[1] * recip, e->d[2] * recip};
            double z2, z2p, z2pp, fji1, fji2, fij1, fij2;
            spl_r(p, pair_of(p, ei, ej), r, &z2, &z2p, &z2pp);
            spl_r(p, dens_of(p, ej, ei), r, NULL, &fji1, &fji2); /* at i from j */
            spl_r(p, dens_of(p, ei, ej), r, NULL, &fij1, &fij2); /* at j from i */
            double phi = z2 * recip;
            double phip = z2p * recip - phi * recip;
            double phipp = z2pp * recip - 2.0 * z2p * recip * recip + 2.0 * phi * recip * recip;
            double psip = phip + Fp[i] * fji1 + Fp[j] * fij1;
            double psipp = phipp + Fp[i] * fji2 + Fp[j] * fij2;
            double t = psip * recip;
            hent *h_ = ent + k;
            h_->j = j;
            h_->K[0] = (psipp - t) * u[0] * u[0] + t;
            h_->K[1] = (psipp - t) * u[1] * u[1] + t;
            h_->K[2] = (psipp - t) * u[2] * u[2] + t;
            h_->K[3] = (psipp - t) * u[0] * u[1];
            h_->K[4] = (psipp - t) * u[0] * u[2];
            h_->K[5] = (psipp - t) * u[1] * u[2];
            h_->nz = 0;
            for (int q = 0; q < 6; q++)
                if (h_->K[q] != 0.0)
                    h_->nz = 1;
            for (int d = 0; d < 3; d++) {
                h_->g[d] = fji1 * u[d];
                g[d] += h_->g[d];
            }
            /* beyond the range of the density function the neighbour does
             * not enter rho_i: no coupling through centre i (this keeps the
             * second-neighbour reach at twice the density range, 12 A for
             * CuZr_mm, instead of twice the cutoff) */
            if (fji1 == 0.0)
                continue;
            v[nv].atom = j;
            for (int d = 0; d < 3; d++)
                v[nv].v[d] = -h_->g[d];
            nv++;
        }
        v[0].atom = (int32_t)i;
        memcpy(v[0].v, g, sizeof g);
        memcpy(gi + 3 * i, g, sizeof g);
        qsort(v, nv, sizeof *v, cmp_vent); /* atoms are distinct except images */
        size_t m = 0;
        for (size_t k = 0; k < nv; k++) {
            if (m > 0 && v[m - 1].atom == v[k].atom) {
                for (int d = 0; d < 3; d++)
                    v[m - 1].v[d] += v[k].v[d];
            } else
                v[m++] = v[k];
        }
        vcnt[i] = m;
    }
    free(all);
    all = NULL;

    /* 3. rows: symbolic (count), then numeric.  Row a collects the pair
     *    blocks of its neighbours and, for each centre i in {a} + nbrs(a),
     *    F''_i v_i[a] v_i[k]^T for every k in v_i. */
    size_t *rowcnt = sf_calloc(n + 1, sizeof *rowcnt);
    if (!rowcnt)
        goto fail;
#pragma omp parallel
    {
        size_t *stamp = malloc((n ? n : 1) * sizeof *stamp);
        size_t *cstamp = malloc((n ? n : 1) * sizeof *cstamp);
        if (!stamp || !cstamp)
            fl.nomem = 1;
        else {
            for (size_t k = 0; k < n; k++)
                stamp[k] = cstamp[k] = (size_t)-1;
#pragma omp for schedule(dynamic, 32)
            for (size_t ra = 0; ra < n; ra++) {
                size_t cnt = 0;
#define MARK(b)                                                      \
    do {                                                             \
        size_t b_ = (size_t)(b);                                     \
        if (stamp[b_] != ra && (!upper || b_ >= ra)) {               \
            stamp[b_] = ra;                                          \
            cnt++;                                                   \
        }                                                            \
    } while (0)
                MARK(ra);
                for (size_t k = start[ra]; k < start[ra + 1]; k++)
                    if (ent[k].nz)
                        MARK(ent[k].j);
                for (size_t k = start[ra]; k <= start[ra + 1]; k++) {
                    size_t ci = k == start[ra + 1] ? ra : (size_t)ent[k].j;
                    if (cstamp[ci] == ra)
                        continue;
                    cstamp[ci] = ra;
                    const vent *v = vv + start[ci] + ci;
                    if (!find_vent(v, vcnt[ci], (int32_t)ra))
                        continue; /* a does not enter rho of this centre */
                    for (size_t q = 0; q < vcnt[ci]; q++)
                        MARK(v[q].atom);
                }
#undef MARK
                rowcnt[ra + 1] = cnt;
            }
        }
        free(stamp);
        free(cstamp);
    }
    if (fl.nomem) {
        free(rowcnt);
        sf_error("out of memory assembling the Hessian");
        goto fail;
    }
    for (size_t k = 0; k < n; k++)
        rowcnt[k + 1] += rowcnt[k];
    h = sf_bsr_new(n, rowcnt[n], upper);
    if (!h) {
        free(rowcnt);
        goto fail;
    }
    memcpy(h->rowptr, rowcnt, (n + 1) * sizeof *rowcnt);
    free(rowcnt);
    memset(h->val, 0, 9 * sf_bsr_nnzb(h) * sizeof *h->val);
#pragma omp parallel
    {
        size_t *stamp = malloc((n ? n : 1) * sizeof *stamp);
        size_t *cstamp = malloc((n ? n : 1) * sizeof *cstamp);
        size_t *pos = malloc((n ? n : 1) * sizeof *pos);
        if (!stamp || !cstamp || !pos)
            fl.nomem = 1;
        else {
            for (size_t k = 0; k < n; k++)
                stamp[k] = cstamp[k] = (size_t)-1;
#pragma omp for schedule(dynamic, 32)
            for (size_t ra = 0; ra < n; ra++) {
                int32_t *cols = h->col + h->rowptr[ra];
                size_t cnt = 0;
#define MARK(b)                                                      \
    do {                                                             \
        size_t b_ = (size_t)(b);                                     \
        if (stamp[b_] != ra && (!upper || b_ >= ra)) {               \
            stamp[b_] = ra;                                          \
            cols[cnt++] = (int32_t)b_;                               \
        }                                                            \
    } while (0)
                MARK(ra);
                for (size_t k = start[ra]; k < start[ra + 1]; k++)
                    if (ent[k].nz)
                        MARK(ent[k].j);
                for (size_t k = start[ra]; k <= start[ra + 1]; k++) {
                    size_t ci = k == start[ra + 1] ? ra : (size_t)ent[k].j;
                    if (cstamp[ci] == ra)
                        continue;
                    cstamp[ci] = ra;
                    const vent *v = vv + start[ci] + ci;
                    if (!find_vent(v, vcnt[ci], (int32_t)ra))
                        continue; /* a does not enter rho of this centre */
                    for (size_t q = 0; q < vcnt[ci]; q++)
                        MARK(v[q].atom);
                }
#undef MARK
                qsort(cols, cnt, sizeof *cols, cmp_i32);
                for (size_t q = 0; q < cnt; q++)
                    pos[cols[q]] = h->rowptr[ra] + q;
                double *val = h->val;
                /* pair blocks */
                for (size_t k = start[ra]; k < start[ra + 1]; k++) {
                    if (!ent[k].nz)
                        continue;
                    add_sym6(val + 9 * pos[ra], 1.0, ent[k].K);
                    size_t j = (size_t)ent[k].j;
                    if (!upper || j >= ra)
                        add_sym6(val + 9 * pos[j], -1.0, ent[k].K);
                }
                /* embedding couplings, centre by centre (fresh stamps) */
                for (size_t k = start[ra]; k <= start[ra + 1]; k++) {
                    size_t ci = k == start[ra + 1] ? ra : (size_t)ent[k].j;
                    if (cstamp[ci] == ra + n) /* + n: second sweep marker */
                        continue;
                    cstamp[ci] = ra + n;
                    double fpp = Fpp[ci];
                    if (fpp == 0.0)
                        continue;
                    const vent *v = vv + start[ci] + ci;
                    const vent *w = find_vent(v, vcnt[ci], (int32_t)ra);
                    if (!w)
                        continue;
                    for (size_t q = 0; q < vcnt[ci]; q++) {
                        size_t b = (size_t)v[q].atom;
                        if (upper && b < ra)
                            continue;
                        add_outer(val + 9 * pos[b], fpp, w->v, v[q].v);
                    }
                }
            }
        }
        free(stamp);
        free(cstamp);
        free(pos);
    }
    if (fl.nomem) {
        sf_error("out of memory assembling the Hessian");
        goto fail;
    }
    free(start);
    free(rho);
    free(Fp);
    free(Fpp);
    free(gi);
    free(ent);
    free(vv);
    free(vcnt);
    return h;
fail:
    cells_free(&c);
    sf_bsr_free(h);
    free(start);
    free(rho);
    free(Fp);
    free(Fpp);
    free(gi);
    free(ent);
    free(all);
    free(vv);
    free(vcnt);
    return NULL;
}

/* ---- repeated evaluation: a skin pair list over the mobile atoms ---------------------
 *
 * rho_k = S_k + M_k(x): S_k sums the densities from pairs of two immobile atoms
 * (constant), M_k the pairs with a mobile atom (listed).  Then
 *   E(x) = C0 + sum_k [F(S_k + M_k) - F(S_k)] + sum_listed phi(r),
 * where C0 holds every constant term; atoms in no listed pair have M_k = 0
 * and drop out, so only the atoms of the current list (touch) are visited. */

typedef struct wpair {
    int32_t i, j;  /* i mobile; j any (i <= j when j is mobile too) */
    double off[3]; /* image vector: d = x_i - x_j + off */
} wpair;

typedef struct wscr {
    double d[3], r, rhoip, rhojp, phip; /* r == 0: beyond the cutoff now */
} wscr;

struct sf_eam_work {
    const sf_eam *p;
    size_t n;
    sf_box box;
    int64_t *id;
    int *elem;           /* n: file element of each atom */
    unsigned char *mob;  /* n */
    double skin;
    double *xb;          /* 3n: positions at the last build */
    wpair *pr;
    wscr *sc;
    size_t np, cap;
    int32_t *touch;      /* atoms in some listed pair, ascending */
    size_t nt;
    unsigned char *mark; /* n scratch */
    double *S, *FS, *M, *fp;
    double c0;
    size_t builds;
    nbr *buf;
    size_t bcap;
};

void sf_eam_work_free(sf_eam_work *w)
{
    if (!w)
        return;
    free(w->id);
    free(w->elem);
    free(w->mob);
    free(w->xb);
    free(w->pr);
    free(w->sc);
    free(w->touch);
    free(w->mark);
    free(w->S);
    free(w->FS);
    free(w->M);
    free(w->fp);
    free(w->buf);
    free(w);
}

size_t sf_eam_work_builds(const sf_eam_work *w) { return w->builds; }
size_t sf_eam_work_pairs(const sf_eam_work *w) { return w->np; }

static int work_build(sf_eam_work *w, const double *x)
{
    sf_atoms t;
    memset(&t, 0, sizeof t);
    t.n = w->n;
    t.x = (double *)x;
    t.id = w->id;
    t.box = w->box;
    cells c;
    if (cells_build(&c, &t, w->p->cut + w->skin))
        return SF_ERR;
    w->np = 0;
    for (size_t i = 0; i < w->n; i++) {
        if (!w->mob[i])
            continue;
        int64_t ov = -1;
        size_t cnt = cells_gather(&c, i, &w->buf, &w->bcap, &ov);
        if (cnt == (size_t)-1) {
            cells_free(&c);
            return sf_error("out of memory in the EAM pair list");
        }
        if (ov >= 0) {
            cells_free(&c);
            return sf_error("atoms with ids %lld and %lld sit on top of each other",
                            (long long)w->id[i], (long long)w->id[ov]);
        }
        const double *xi = x + 3 * i;
        for (size_t k = 0; k < cnt; k++) {
            const nbr *e = w->buf + k;
            size_t j = (size_t)e->j;
            if (w->mob[j] && j < i)
                continue; /* listed from j's side */
            if (j == i && !(e->d[0] > 0 || (e->d[0] == 0 && (e->d[1] > 0 ||
                                                           (e->d[1] == 0 && e->d[2] > 0)))))
                continue; /* own image: one of each +/- pair */
            if (w->np == w->cap) {
                size_t nc = w->cap ? 2 * w->cap : 4096;
                wpair *np = realloc(w->pr, nc * sizeof *np);
                if (!np) {
                    cells_free(&c);
                    return sf_error("out of memory in the EAM pair list");
                }
                w->pr = np;
                wscr *ns = realloc(w->sc, nc * sizeof *ns);
                if (!ns) {
                    cells_free(&c);
                    return sf_error("out of memory in the EAM pair list");
                }
                w->sc = ns;
                w->cap = nc;
            }
            wpair *q = w->pr + w->np++;
            q->i = (int32_t)i;
            q->j = (int32_t)j;
            const double *xj = x + 3 * j;
            for (int d = 0; d < 3; d++)
                q->off[d] = e->d[d] - (xi[d] - xj[d]);
        }
    }
    cells_free(&c);
    for (size_t q = 0; q < w->np; q++)
        w->mark[w->pr[q].i] = w->mark[w->pr[q].j] = 1;
    w->nt = 0;
    for (size_t k = 0; k < w->n; k++)
        if (w->mark[k]) {
            w->touch[w->nt++] = (int32_t)k;
            w->mark[k] = 0;
        }
    memcpy(w->xb, x, 3 * w->n * sizeof *x);
    w->builds++;
    return SF_OK;
}

/* Listed pairs at x: scratch and M (densities from listed pairs); returns the
 * pair energy. */
static double work_pairs(sf_eam_work *w, const double *x)
{
    const sf_eam *p = w->p;
    for (size_t t = 0; t < w->nt; t++)
        w->M[w->touch[t]] = 0.0;
    double ep = 0.0;
    for (size_t q = 0; q < w->np; q++) {
        const wpair *pq = w->pr + q;
        wscr *s = w->sc + q;
        size_t i = (size_t)pq->i, j = (size_t)pq->j;
        double rsq = 0.0;
        for (int d = 0; d < 3; d++) {
            s->d[d] = x[3 * i + d] - x[3 * j + d] + pq->off[d];
            rsq += s->d[d] * s->d[d];
        }
        if (rsq >= p->cutforcesq) {
            s->r = 0.0;
            continue;
        }
        int ei = w->elem[i], ej = w->elem[j];
        double r = sqrt(rsq), vji, vij, z2, z2p;
        spl_r(p, dens_of(p, ej, ei), r, &vji, &s->rhojp, NULL);
        spl_r(p, dens_of(p, ei, ej), r, &vij, &s->rhoip, NULL);
        spl_r(p, pair_of(p, ei, ej), r, &z2, &z2p, NULL);
        double recip = 1.0 / r, phi = z2 * recip;
        s->r = r;
        s->phip = z2p * recip - phi * recip;
        w->M[i] += vji;
        w->M[j] += vij;
        ep += phi;
    }
    return ep;
}

int sf_eam_work_compute(sf_eam_work *w, const double *x, double *energy, double *f)
{
    const sf_eam *p = w->p;
    double lim = 0.25 * w->skin * w->skin;
    int rebuild = 0;
    for (size_t i = 0; i < w->n && !rebuild; i++) {
        if (!w->mob[i])
            continue;
        double d0 = x[3 * i] - w->xb[3 * i], d1 = x[3 * i + 1] - w->xb[3 * i + 1],
               d2 = x[3 * i + 2] - w->xb[3 * i + 2];
        if (!(d0 * d0 + d1 * d1 + d2 * d2 <= lim))
            rebuild = 1; /* also on NaN */
    }
    if (rebuild) {
        for (size_t k = 0; k < 3 * w->n; k++)
            if (!isfinite(x[k]))
                return sf_error("atom %zu (id %lld) has a non-finite position", k / 3 + 1,
                                (long long)w->id[k / 3]);
        if (work_build(w, x))
            return SF_ERR;
    }
    double e = w->c0 + work_pairs(w, x);
    for (size_t t = 0; t < w->nt; t++) {
        int32_t k = w->touch[t];
        double F, Fp;
        spl_f(p, frho_of(p, w->elem[k]), w->S[k] + w->M[k], &F, &Fp, NULL);
        e += F - w->FS[k];
        w->fp[k] = Fp;
    }
    if (energy)
        *energy = e;
    if (!f)
        return SF_OK;
    memset(f, 0, 3 * w->n * sizeof *f);
    for (size_t q = 0; q < w->np; q++) {
        const wscr *s = w->sc + q;
        if (s->r == 0.0)
            continue;
        size_t i = (size_t)w->pr[q].i, j = (size_t)w->pr[q].j;
        double psip = w->fp[i] * s->rhojp + w->fp[j] * s->rhoip + s->phip;
        double fpair = -psip / s->r;
        for (int d = 0; d < 3; d++) {
            f[3 * i + d] += s->d[d] * fpair;
            if (w->mob[j])
                f[3 * j + d] -= s->d[d] * fpair;
        }
    }
    return SF_OK;
}

sf_eam_work *sf_eam_work_new(const sf_eam *p, const sf_atoms *a, const int *map,
                             const unsigned char *mobile, double skin,
                             const double *rho_ref, const double *e_ref)
{
    if (check_map(p, a, map))
        return NULL;
    if (!(skin > 0.0) || !isfinite(skin)) {
        sf_error("EAM pair list: skin must be positive, not %g", skin);
        return NULL;
    }
    size_t n = a->n, n1 = n ? n : 1;
    sf_eam_work *w = sf_calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->p = p;
    w->n = n;
    w->box = a->box;
    w->skin = skin;
    w->id = sf_malloc(n1 * sizeof *w->id);
    w->elem = sf_malloc(n1 * sizeof *w->elem);
    w->mob = sf_malloc(n1);
    w->xb = sf_malloc(3 * n1 * sizeof *w->xb);
    w->touch = sf_malloc(n1 * sizeof *w->touch);
    w->mark = sf_calloc(n1, 1);
    w->S = sf_malloc(n1 * sizeof *w->S);
    w->FS = sf_malloc(n1 * sizeof *w->FS);
    w->M = sf_calloc(n1, sizeof *w->M);
    w->fp = sf_calloc(n1, sizeof *w->fp);
    if (!w->id || !w->elem || !w->mob || !w->xb || !w->touch || !w->mark || !w->S ||
        !w->FS || !w->M || !w->fp)
        goto fail;
    memcpy(w->id, a->id, n * sizeof *w->id);
    for (size_t i = 0; i < n; i++) {
        w->elem[i] = map[a->type[i]];
        w->mob[i] = mobile ? mobile[i] != 0 : 1;
    }
    double eref;
    if (rho_ref && e_ref) {
        memcpy(w->S, rho_ref, n * sizeof *w->S);
        eref = *e_ref;
    } else if (sf_eam_compute(p, a, map, &eref, NULL, NULL, w->S))
        goto fail;
    if (work_build(w, a->x))
        goto fail;
    work_pairs(w, a->x);
    for (size_t t = 0; t < w->nt; t++)
        w->S[w->touch[t]] -= w->M[w->touch[t]];
    for (size_t k = 0; k < n; k++)
        spl_f(p, frho_of(p, w->elem[k]), w->S[k], &w->FS[k], NULL, NULL);
    double e0;
    w->c0 = 0.0;
    if (sf_eam_work_compute(w, a->x, &e0, NULL))
        goto fail;
    w->c0 = eref - e0;
    return w;
fail:
    sf_eam_work_free(w);
    return NULL;
}
