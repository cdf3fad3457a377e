/* sf_angular.c - bond-angle structure functions (see sf_angular.h), from
 * the per-species cell lists of sf_neighbor.c, atom by atom. */
#include "sf_angular.h"
#include "sf_descriptor.h"
#include "sf_error.h"
#include "sf_neighbor.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_common(sf_angular_params *p)
{
    static const double lam[] = {-1.0, 1.0}, zeta[] = {1.0, 2.0, 4.0, 16.0};
    p->nlambda = 2;
    memcpy(p->lambda, lam, sizeof lam);
    p->nzeta = 4;
    memcpy(p->zeta, zeta, sizeof zeta);
}

void sf_angular_params_init(sf_angular_params *p)
{
    memset(p, 0, sizeof *p);
    static const double xi[] = {1.0, 1.5, 2.0};
    p->nxi = 3;
    memcpy(p->xi, xi, sizeof xi);
    set_common(p);
    p->cutoff = 1.4;
    p->reduced = 1;
}

void sf_angular_params_init_angstrom(sf_angular_params *p)
{
    memset(p, 0, sizeof *p);
    static const double xi[] = {2.5, 4.0, 5.5};
    p->nxi = 3;
    memcpy(p->xi, xi, sizeof xi);
    set_common(p);
    p->cutoff = 4.2;
    p->reduced = 0;
}

size_t sf_angular_ncols(const sf_angular_params *p, int ntypes)
{
    size_t npair = (size_t)ntypes * (size_t)(ntypes + 1) / 2;
    return npair * (size_t)p->nxi * (size_t)p->nlambda * (size_t)p->nzeta;
}

int sf_angular_check(const sf_angular_params *p, int ntypes)
{
    const struct {
        const char *name;
        int n;
    } lists[] = {{"xi", p->nxi}, {"lambda", p->nlambda}, {"zeta", p->nzeta}};
    for (int k = 0; k < 3; k++)
        if (lists[k].n < 1 || lists[k].n > SF_ANGULAR_MAXPAR)
            return sf_error("angular descriptor: %d values of %s (need 1..%d)",
                            lists[k].n, lists[k].name, SF_ANGULAR_MAXPAR);
    for (int k = 0; k < p->nxi; k++)
        if (!(p->xi[k] > 0) || !isfinite(p->xi[k]))
            return sf_error("angular descriptor: xi[%d] = %g must be positive",
                            k + 1, p->xi[k]);
    for (int k = 0; k < p->nlambda; k++)
        if (!(fabs(p->lambda[k]) <= 1.0))
            return sf_error("angular descriptor: lambda[%d] = %g must lie in "
                            "[-1, 1] (1 + lambda cos theta >= 0)",
                            k + 1, p->lambda[k]);
    for (int k = 0; k < p->nzeta; k++)
        if (!(p->zeta[k] >= 0) || !isfinite(p->zeta[k]))
            return sf_error("angular descriptor: zeta[%d] = %g must be >= 0",
                            k + 1, p->zeta[k]);
    if (!(p->cutoff > 0) || !isfinite(p->cutoff))
        return sf_error("angular descriptor: cutoff %g must be positive",
                        p->cutoff);
    if (ntypes < 1)
        return sf_error("angular descriptor: no atom types");
    if (p->reduced)
        return sf_rp_check(p->rp, ntypes, "angular descriptor");
    return SF_OK;
}

/* Index of the species pair (b, c), b <= c, 0-based types, in the order
 * 0-0, 0-1, ..., 0-(nt-1), 1-1, ... */
static size_t pair_index(int b, int c, int nt)
{
    if (b > c) {
        int t = b;
        b = c;
        c = t;
    }
    return (size_t)b * (size_t)(2 * nt - b + 1) / 2 + (size_t)(c - b);
}

int sf_angular_colname(const sf_angular_params *p, const sf_atoms *a,
                       size_t col, char *buf, size_t len)
{
    const int nt = a->ntypes;
    size_t per = (size_t)p->nxi * p->nlambda * p->nzeta;
    size_t pr = col / per, r = col % per;
    int z = (int)(r % (size_t)p->nzeta);
    int l = (int)(r / (size_t)p->nzeta % (size_t)p->nlambda);
    int x = (int)(r / ((size_t)p->nzeta * p->nlambda));
    int b = 0;
    while (b < nt && pair_index(b, nt - 1, nt) < pr)
        b++;
    int c = b + (int)(pr - pair_index(b, b, nt));
    char sb[64], sc[64];
    if (b < nt && a->species[b])
        snprintf(sb, sizeof sb, "%s", a->species[b]);
    else
        snprintf(sb, sizeof sb, "%d", b + 1);
    if (c < nt && a->species[c])
        snprintf(sc, sizeof sc, "%s", a->species[c]);
    else
        snprintf(sc, sizeof sc, "%d", c + 1);
    return snprintf(buf, len, "Psi_%s_%s_xi%.3f_l%+g_z%g", sb, sc, p->xi[x],
                    p->lambda[l], p->zeta[z]);
}

/* b^z for z >= 0: repeated squaring for whole z (exact up to a few
 * roundings), pow() otherwise. */
static inline double power(double b, double z, int whole)
{
    if (!whole)
        return pow(b, z);
    unsigned long e = (unsigned long)z;
    double r = 1.0;
    while (e) {
        if (e & 1)
            r *= b;
        e >>= 1;
        if (e)
            b *= b;
    }
    return r;
}

typedef struct scratch {
    sf_nbuf nb;
    size_t cap;
    int *t;              /* neighbour species, 0-based */
    double *ux, *uy, *uz; /* unit vectors (0 for a neighbour at distance 0) */
    double *ex;          /* nxi x cap: exp(-rbar_ij^2 / xi^2) */
    double *acc;         /* ncols */
} scratch;

static int scratch_reserve(scratch *w, size_t m, int nxi)
{
    if (m <= w->cap)
        return SF_OK;
    size_t cap = w->cap ? w->cap : 64;
    while (cap < m)
        cap *= 2;
    free(w->t);
    free(w->ux);
    free(w->uy);
    free(w->uz);
    free(w->ex);
    w->t = malloc(cap * sizeof *w->t);
    w->ux = malloc(cap * sizeof *w->ux);
    w->uy = malloc(cap * sizeof *w->uy);
    w->uz = malloc(cap * sizeof *w->uz);
    w->ex = malloc(cap * (size_t)nxi * sizeof *w->ex);
    if (!w->t || !w->ux || !w->uy || !w->uz || !w->ex) {
        w->cap = 0;
        return SF_ERR;
    }
    w->cap = cap;
    return SF_OK;
}

static void scratch_free(scratch *w)
{
    sf_nbuf_free(&w->nb);
    free(w->t);
    free(w->ux);
    free(w->uy);
    free(w->uz);
    free(w->ex);
    free(w->acc);
}

typedef struct setup {
    const sf_angular_params *p;
    int nt;
    const double *inv2; /* nt x nt: 1 / rp^2 (1 in Angstrom) */
    const double *rq;   /* nt x nt: query radius (a hair beyond the cutoff) */
    double cut2;        /* cutoff^2 in the reduced measure */
    double invxi2[SF_ANGULAR_MAXPAR];
    int whole[SF_ANGULAR_MAXPAR]; /* zeta is a whole number */
    size_t ncols;
} setup;

/* The row of atom i into w->acc. */
static int atom_row(const setup *S, const sf_cells *cells,
                    const uint32_t *eatom, const int32_t *type, size_t i,
                    scratch *w)
{
    const sf_angular_params *p = S->p;
    const int nt = S->nt, nxi = p->nxi, nl = p->nlambda, nz = p->nzeta;
    const int ti = type[i] - 1;
    memset(w->acc, 0, S->ncols * sizeof *w->acc);
    double rmax = 0;
    for (int b = 0; b < nt; b++)
        if (S->rq[ti * nt + b] > rmax)
            rmax = S->rq[ti * nt + b];
    w->nb.n = 0;
    if (sf_cells_query(cells, i, -1, rmax, SF_CELLS_VEC, &w->nb))
        return SF_ERR;
    if (scratch_reserve(w, w->nb.n, nxi))
        return SF_ERR;
    /* keep the neighbours within the cutoff of their pair */
    size_t m = 0;
    for (size_t e = 0; e < w->nb.n; e++) {
        int tj = type[eatom[w->nb.j[e]]] - 1;
        double r2 = w->nb.d2[e];
        double rb2 = r2 * S->inv2[ti * nt + tj];
        if (!(rb2 <= S->cut2))
            continue;
        double r = sqrt(r2), inv = r > 0 ? 1.0 / r : 0.0;
        w->t[m] = tj;
        w->ux[m] = w->nb.dx[e] * inv;
        w->uy[m] = w->nb.dy[e] * inv;
        w->uz[m] = w->nb.dz[e] * inv;
        for (int x = 0; x < nxi; x++)
            w->ex[(size_t)x * w->cap + m] = exp(-rb2 * S->invxi2[x]);
        /* the displacement (r_jk needs it), compacted in place (m <= e) */
        w->nb.dx[m] = w->nb.dx[e];
        w->nb.dy[m] = w->nb.dy[e];
        w->nb.dz[m] = w->nb.dz[e];
        m++;
    }
    const size_t per = (size_t)nxi * nl * nz;
    double ang[SF_ANGULAR_MAXPAR * SF_ANGULAR_MAXPAR];
    for (size_t e = 0; e < m; e++) {
        const int tj = w->t[e];
        const double xj = w->nb.dx[e], yj = w->nb.dy[e], zj = w->nb.dz[e];
        for (size_t f = e + 1; f < m; f++) {
            const int tk = w->t[f];
            double dx = w->nb.dx[f] - xj, dy = w->nb.dy[f] - yj,
                   dz = w->nb.dz[f] - zj;
            double rjk2 = (dx * dx + dy * dy + dz * dz) * S->inv2[tj * nt + tk];
            double c = w->ux[e] * w->ux[f] + w->uy[e] * w->uy[f] +
                       w->uz[e] * w->uz[f];
            if (c > 1.0)
                c = 1.0;
            else if (c < -1.0)
                c = -1.0;
            for (int l = 0; l < nl; l++) {
                double base = 1.0 + p->lambda[l] * c;
                if (base < 0)
                    base = 0;
                for (int z = 0; z < nz; z++)
                    ang[l * nz + z] = power(base, p->zeta[z], S->whole[z]);
            }
            double *blk = w->acc + pair_index(tj, tk, nt) * per;
            for (int x = 0; x < nxi; x++) {
                double g = w->ex[(size_t)x * w->cap + e] *
                           w->ex[(size_t)x * w->cap + f] *
                           exp(-rjk2 * S->invxi2[x]);
                double *o = blk + (size_t)x * nl * nz;
                for (int k = 0; k < nl * nz; k++)
                    o[k] += g * ang[k];
            }
        }
    }
    return SF_OK;
}

int sf_angular_compute(const sf_atoms *a, const sf_angular_params *p,
                       double *out, float *outf)
{
    if ((out == NULL) == (outf == NULL))
        return sf_error("angular descriptor: give exactly one output array");
    const int nt = a->ntypes;
    if (sf_angular_check(p, nt))
        return SF_ERR;
    setup S;
    memset(&S, 0, sizeof S);
    S.p = p;
    S.nt = nt;
    S.ncols = sf_angular_ncols(p, nt);
    S.cut2 = p->cutoff * p->cutoff;
    for (int x = 0; x < p->nxi; x++)
        S.invxi2[x] = 1.0 / (p->xi[x] * p->xi[x]);
    for (int z = 0; z < p->nzeta; z++)
        S.whole[z] = p->zeta[z] == floor(p->zeta[z]) && p->zeta[z] <= 1e6;
    double *inv2 = sf_malloc((size_t)nt * nt * sizeof *inv2);
    double *rq = sf_malloc((size_t)nt * nt * sizeof *rq);
    int32_t *grp = sf_malloc((a->n + 1) * sizeof *grp);
    if (!inv2 || !rq || !grp) {
        free(inv2);
        free(rq);
        free(grp);
        return SF_ERR;
    }
    double rmax = 0;
    for (int x = 0; x < nt * nt; x++) {
        double rp = p->reduced ? p->rp[x] : 1.0;
        inv2[x] = 1.0 / (rp * rp);
        rq[x] = p->cutoff * rp * (1.0 + 1e-12);
        if (rq[x] > rmax)
            rmax = rq[x];
    }
    S.inv2 = inv2;
    S.rq = rq;
    for (size_t i = 0; i < a->n; i++) {
        if (a->type[i] < 1 || a->type[i] > nt) {
            free(inv2);
            free(rq);
            free(grp);
            return sf_error("angular descriptor: atom %zu has type %d, not "
                            "in 1..%d",
                            i + 1, a->type[i], nt);
        }
        grp[i] = 0;
    }
    sf_cells *cells = sf_cells_new(&a->box, a->n, a->x, grp, 1, rmax);
    free(grp);
    if (!cells) {
        free(inv2);
        free(rq);
        return sf_error_prefix("angular descriptor");
    }
    const uint32_t *order = sf_cells_order(cells);
    const uint32_t *eatom = sf_cells_atoms(cells);
    const size_t nc = S.ncols;
    int failed = 0;
    long long nn = (long long)a->n;
#pragma omp parallel
    {
        scratch w;
        memset(&w, 0, sizeof w);
        w.acc = malloc(nc * sizeof *w.acc);
        if (!w.acc) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 64)
        for (long long s = 0; s < nn; s++) {
            if (failed)
                continue;
            size_t i = order[s];
            if (atom_row(&S, cells, eatom, a->type, i, &w)) {
#pragma omp atomic write
                failed = 1;
                continue;
            }
            if (out)
                memcpy(out + i * nc, w.acc, nc * sizeof *out);
            else
                for (size_t k = 0; k < nc; k++)
                    outf[i * nc + k] = (float)w.acc[k];
        }
        scratch_free(&w);
    }
    sf_cells_free(cells);
    free(inv2);
    free(rq);
    if (failed)
        return sf_error("angular descriptor: out of memory");
    return SF_OK;
}
