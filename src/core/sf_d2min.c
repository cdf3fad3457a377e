/* sf_d2min.c - Falk-Langer non-affine displacement (see sf_d2min.h). */
#include "sf_d2min.h"

#include "sf_box.h"
#include "sf_error.h"
#include "sf_neighbor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

void sf_d2min_opts_init(sf_d2min_opts *o)
{
    o->cutoff = 0.0;
    o->normalize = 0;
}

const char *sf_d2min_check_opts(const sf_d2min_opts *o)
{
    if (!o)
        return "D2min: no options";
    if (!(o->cutoff > 0.0) || !isfinite(o->cutoff))
        return "D2min: the cutoff must be positive and finite";
    return NULL;
}

void sf_d2min_result_free(sf_d2min_result *r)
{
    if (!r)
        return;
    free(r->d2min);
    free(r->F);
    free(r->nneigh);
    free(r->match);
    memset(r, 0, sizeof *r);
}

int sf_d2min_fit(size_t m, const double *d0, const double *d, double F[9],
                 double *d2min)
{
    /* Y = sum d0 d0^T (symmetric), X = sum d d0^T */
    double Y[9] = {0}, X[9] = {0};
    for (size_t k = 0; k < m; k++) {
        const double *p = d0 + 3 * k, *q = d + 3 * k;
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) {
                Y[3 * a + b] += p[a] * p[b];
                X[3 * a + b] += q[a] * p[b];
            }
    }
    /* inverse of Y through the adjugate */
    double c00 = Y[4] * Y[8] - Y[5] * Y[7];
    double c01 = Y[5] * Y[6] - Y[3] * Y[8];
    double c02 = Y[3] * Y[7] - Y[4] * Y[6];
    double det = Y[0] * c00 + Y[1] * c01 + Y[2] * c02;
    double tr = (Y[0] + Y[4] + Y[8]) / 3.0;
    if (m < 3 || !(fabs(det) > 1e-12 * tr * tr * tr) || !isfinite(det)) {
        if (F)
            for (int k = 0; k < 9; k++)
                F[k] = NAN;
        *d2min = NAN;
        return sf_error("D2min: %zu neighbour vectors do not span three "
                        "dimensions (no unique local deformation gradient)",
                        m);
    }
    double inv[9];
    inv[0] = c00 / det;
    inv[1] = (Y[2] * Y[7] - Y[1] * Y[8]) / det;
    inv[2] = (Y[1] * Y[5] - Y[2] * Y[4]) / det;
    inv[3] = c01 / det;
    inv[4] = (Y[0] * Y[8] - Y[2] * Y[6]) / det;
    inv[5] = (Y[2] * Y[3] - Y[0] * Y[5]) / det;
    inv[6] = c02 / det;
    inv[7] = (Y[1] * Y[6] - Y[0] * Y[7]) / det;
    inv[8] = (Y[0] * Y[4] - Y[1] * Y[3]) / det;
    double G[9];
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++)
            G[3 * a + b] = X[3 * a + 0] * inv[0 * 3 + b] +
                           X[3 * a + 1] * inv[1 * 3 + b] +
                           X[3 * a + 2] * inv[2 * 3 + b];
    double sum = 0.0;
    for (size_t k = 0; k < m; k++) {
        const double *p = d0 + 3 * k, *q = d + 3 * k;
        for (int a = 0; a < 3; a++) {
            double r = q[a] - (G[3 * a] * p[0] + G[3 * a + 1] * p[1] +
                               G[3 * a + 2] * p[2]);
            sum += r * r;
        }
    }
    if (F)
        memcpy(F, G, sizeof G);
    *d2min = sum;
    return SF_OK;
}

int sf_d2min_match_ids(const sf_atoms *a, const sf_atoms *b, size_t *map)
{
    if (a->n != b->n)
        return sf_error("D2min: atom counts differ: %zu in the reference, %zu "
                        "in the deformed configuration",
                        a->n, b->n);
    size_t n = a->n;
    size_t *oa = sf_malloc((n ? n : 1) * sizeof *oa);
    size_t *ob = sf_malloc((n ? n : 1) * sizeof *ob);
    if (!oa || !ob) {
        free(oa);
        free(ob);
        return SF_ERR;
    }
    int rc = SF_OK;
    if (sf_atoms_id_order(a, oa) || sf_atoms_id_order(b, ob)) {
        rc = SF_ERR;
        goto done;
    }
    for (size_t k = 0; k < n; k++) {
        int64_t ia = a->id[oa[k]], ib = b->id[ob[k]];
        if (k > 0 && ia == a->id[oa[k - 1]]) {
            rc = sf_error("D2min: duplicate atom id %lld in the reference",
                          (long long)ia);
            goto done;
        }
        if (k > 0 && ib == b->id[ob[k - 1]]) {
            rc = sf_error("D2min: duplicate atom id %lld in the deformed "
                          "configuration",
                          (long long)ib);
            goto done;
        }
        if (ia != ib) {
            /* the smaller id is the one the other side lacks */
            if (ia < ib)
                rc = sf_error("D2min: atom id %lld of the reference is missing "
                              "in the deformed configuration",
                              (long long)ia);
            else
                rc = sf_error("D2min: atom id %lld of the deformed "
                              "configuration is missing in the reference",
                              (long long)ib);
            goto done;
        }
        if (a->type[oa[k]] != b->type[ob[k]]) {
            rc = sf_error("D2min: atom id %lld has type %d in the reference "
                          "and %d in the deformed configuration",
                          (long long)ia, (int)a->type[oa[k]],
                          (int)b->type[ob[k]]);
            goto done;
        }
        map[oa[k]] = ob[k];
    }
done:
    free(oa);
    free(ob);
    return rc;
}

/* Minimum image in a box whose shortest lattice vector is at least wmin:
 * reduce in fractional space; a vector shorter than wmin / 2 is then the
 * unique minimum image, anything longer gets the full search. */
static void min_image(const sf_box *bx, double half2, double d[3])
{
    double s2 = d[2] / bx->len[2];
    double s1 = (d[1] - bx->yz * s2) / bx->len[1];
    double s0 = (d[0] - bx->xy * s1 - bx->xz * s2) / bx->len[0];
    if (bx->periodic[0])
        s0 -= nearbyint(s0);
    if (bx->periodic[1])
        s1 -= nearbyint(s1);
    if (bx->periodic[2])
        s2 -= nearbyint(s2);
    d[0] = bx->len[0] * s0 + bx->xy * s1 + bx->xz * s2;
    d[1] = bx->len[1] * s1 + bx->yz * s2;
    d[2] = bx->len[2] * s2;
    if (d[0] * d[0] + d[1] * d[1] + d[2] * d[2] >= half2)
        sf_box_minimum_image(bx, d);
}

typedef struct nbkey {
    int64_t id;
    uint32_t j, k;
} nbkey;

static int cmp_key(const void *pa, const void *pb)
{
    const nbkey *a = pa, *b = pb;
    return (a->id > b->id) - (a->id < b->id);
}

/* Sort by id: insertion sort for the usual dozens, qsort beyond. */
static void sort_keys(nbkey *key, size_t m)
{
    if (m > 64) {
        qsort(key, m, sizeof *key, cmp_key);
        return;
    }
    for (size_t a = 1; a < m; a++) {
        nbkey t = key[a];
        size_t b = a;
        while (b > 0 && key[b - 1].id > t.id) {
            key[b] = key[b - 1];
            b--;
        }
        key[b] = t;
    }
}

static double min_periodic_width(const sf_box *bx)
{
    double w[3], wmin = INFINITY;
    sf_box_widths(bx, w);
    for (int k = 0; k < 3; k++)
        if (bx->periodic[k] && w[k] < wmin)
            wmin = w[k];
    return wmin;
}

int sf_d2min_compute(const sf_atoms *ref, const sf_atoms *def,
                     const sf_d2min_opts *o, sf_d2min_result *out)
{
    memset(out, 0, sizeof *out);
    const char *msg = sf_d2min_check_opts(o);
    if (msg)
        return sf_error("%s (got %g)", msg, o ? o->cutoff : 0.0);
    if (sf_atoms_validate(ref, "D2min reference") ||
        sf_atoms_validate(def, "D2min deformed configuration"))
        return SF_ERR;
    double w[3];
    sf_box_widths(&ref->box, w);
    static const char axis[] = "abc";
    for (int k = 0; k < 3; k++)
        if (ref->box.periodic[k] && !(2.0 * o->cutoff < w[k]))
            return sf_error("D2min: cutoff %g is not below half the reference "
                            "box width %g along %c (each neighbour must be "
                            "seen once)",
                            o->cutoff, w[k], axis[k]);
    size_t n = ref->n;
    out->n = n;
    out->d2min = sf_malloc((n ? n : 1) * sizeof *out->d2min);
    out->F = sf_malloc((n ? n : 1) * 9 * sizeof *out->F);
    out->nneigh = sf_malloc((n ? n : 1) * sizeof *out->nneigh);
    out->match = sf_malloc((n ? n : 1) * sizeof *out->match);
    if (!out->d2min || !out->F || !out->nneigh || !out->match)
        goto fail;
    if (sf_d2min_match_ids(ref, def, out->match))
        goto fail;
    if (n == 0)
        return SF_OK;

    sf_cells *cells = sf_cells_new(&ref->box, n, ref->x, NULL, 1, o->cutoff);
    if (!cells)
        goto fail;
    const uint32_t *order = sf_cells_order(cells);
    const uint32_t *entry_atom = sf_cells_atoms(cells);
    const double wdef = min_periodic_width(&def->box);
    const double half2 = isfinite(wdef) ? 0.25 * wdef * wdef : INFINITY;
    const size_t *match = out->match;
    const double *xd = def->x;
    int failed = 0;
    size_t ninvalid = 0;

#pragma omp parallel reduction(+ : ninvalid)
    {
        sf_nbuf nb = {0};
        size_t cap = 0;
        double *d0 = NULL, *d = NULL;
        nbkey *key = NULL;
#pragma omp for schedule(dynamic, 512)
        for (size_t s = 0; s < n; s++) {
            int bad;
#pragma omp atomic read
            bad = failed;
            if (bad)
                continue;
            size_t i = order[s];
            nb.n = 0;
            if (sf_cells_query(cells, i, -1, o->cutoff, SF_CELLS_VEC, &nb)) {
#pragma omp atomic write
                failed = 1;
                continue;
            }
            size_t m = nb.n;
            if (m > cap) {
                size_t nc = m + m / 2 + 16;
                double *a = realloc(d0, 3 * nc * sizeof *a);
                if (a)
                    d0 = a;
                double *b = a ? realloc(d, 3 * nc * sizeof *b) : NULL;
                if (b)
                    d = b;
                nbkey *kk = b ? realloc(key, nc * sizeof *kk) : NULL;
                if (kk)
                    key = kk;
                if (!a || !b || !kk) {
#pragma omp atomic write
                    failed = 1;
                    continue;
                }
                cap = nc;
            }
            /* neighbours in id order (each id once: the cutoff is below
             * half the box), so the sums do not depend on the atom order
             * of the files or on the cell list's visiting order */
            for (size_t k = 0; k < m; k++) {
                size_t j = entry_atom[nb.j[k]];
                key[k].id = ref->id[j];
                key[k].j = (uint32_t)j;
                key[k].k = (uint32_t)k;
            }
            sort_keys(key, m);
            const double *xi = xd + 3 * match[i];
            for (size_t q = 0; q < m; q++) {
                size_t j = key[q].j, k = key[q].k, o3 = 3 * q;
                const double *xj = xd + 3 * match[j];
                d0[o3] = nb.dx[k];
                d0[o3 + 1] = nb.dy[k];
                d0[o3 + 2] = nb.dz[k];
                double v[3] = {xj[0] - xi[0], xj[1] - xi[1], xj[2] - xi[2]};
                min_image(&def->box, half2, v);
                d[o3] = v[0];
                d[o3 + 1] = v[1];
                d[o3 + 2] = v[2];
            }
            double r;
            out->nneigh[i] = (int32_t)m;
            if (sf_d2min_fit(m, d0, d, out->F + 9 * i, &r) != SF_OK) {
                ninvalid++;
                out->d2min[i] = NAN;
                continue;
            }
            out->d2min[i] = o->normalize ? r / (double)m : r;
        }
        sf_nbuf_free(&nb);
        free(d0);
        free(d);
        free(key);
    }
    sf_cells_free(cells);
    if (failed) {
        sf_error("D2min: out of memory");
        goto fail;
    }
    sf_error_clear();
    out->ninvalid = ninvalid;
    return SF_OK;
fail:
    sf_d2min_result_free(out);
    return SF_ERR;
}
