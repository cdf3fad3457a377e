/* sf_voronoi.c - per-atom Voronoi cells by face-wise polygon clipping (see
 * sf_voronoi.h). */
#include "sf_voronoi.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sf_error.h"
#include "sf_neighbor.h"

void sf_voronoi_opts_init(sf_voronoi_opts *o)
{
    o->cutoff = 0;
    o->face_min = 0.01;
    o->edge_min = 0;
}

/* A convex polygon in the (s, t) coordinates of a face plane.  lab[v] names
 * the edge from vertex v to v+1: the index of the candidate whose bisector
 * made it, or -1 for the initial square. */
typedef struct poly {
    int n, cap;
    double *s, *t;
    int *lab;
} poly;

typedef struct work {
    sf_nbuf nb;
    size_t *ord;     /* candidates sorted by distance */
    size_t ordcap;
    poly p, q;       /* current polygon and clipping scratch */
    double *farea;   /* per-face area, edges, distance (counted pass) */
    double *fdist;
    double *fperim;
    int *fedges;     /* edges per face (thresholded) */
    double *fedge_len; /* edge lengths of every face, packed */
    int *fedge_off;
    size_t fcap, ecap;
} work;

static int poly_reserve(poly *p, int n)
{
    if (n <= p->cap)
        return SF_OK;
    int cap = p->cap ? p->cap : 32;
    while (cap < n)
        cap *= 2;
    double *s = realloc(p->s, (size_t)cap * sizeof *s);
    if (s)
        p->s = s;
    double *t = realloc(p->t, (size_t)cap * sizeof *t);
    if (t)
        p->t = t;
    int *l = realloc(p->lab, (size_t)cap * sizeof *l);
    if (l)
        p->lab = l;
    if (!s || !t || !l)
        return sf_error("voronoi: out of memory");
    p->cap = cap;
    return SF_OK;
}

static void poly_free(poly *p)
{
    free(p->s);
    free(p->t);
    free(p->lab);
}

/* Clip p by a*s + b*t <= h (candidate label k) into q, then swap.  Returns
 * 0 when the polygon became empty. */
static int clip(poly *p, poly *q, double a, double b, double h, int k,
                double eps)
{
    int n = p->n, any_out = 0, any_in = 0;
    for (int v = 0; v < n; v++) {
        double f = a * p->s[v] + b * p->t[v] - h;
        if (f > eps)
            any_out = 1;
        else
            any_in = 1;
    }
    if (!any_out)
        return 1;
    if (!any_in) {
        p->n = 0;
        return 0;
    }
    if (poly_reserve(q, n + 2) != SF_OK)
        return -1;
    int m = 0;
    for (int v = 0; v < n; v++) {
        int w = (v + 1) % n;
        double fc = a * p->s[v] + b * p->t[v] - h;
        double fn = a * p->s[w] + b * p->t[w] - h;
        int cin = fc <= eps, nin = fn <= eps;
        if (cin) {
            q->s[m] = p->s[v];
            q->t[m] = p->t[v];
            q->lab[m] = p->lab[v];
            m++;
        }
        if (cin != nin) {
            double u = fc / (fc - fn);
            if (u < 0)
                u = 0;
            if (u > 1)
                u = 1;
            q->s[m] = p->s[v] + u * (p->s[w] - p->s[v]);
            q->t[m] = p->t[v] + u * (p->t[w] - p->t[v]);
            /* leaving: the new edge runs along the clip line; entering:
             * the rest of the old edge */
            q->lab[m] = cin ? k : p->lab[v];
            m++;
        }
    }
    q->n = m;
    poly tmp = *p;
    *p = *q;
    *q = tmp;
    return m >= 3;
}

/* Drop vertices that coincide with their successor (zero-length edges from
 * clipping through a vertex). */
static void poly_clean(poly *p, double tol2)
{
    int changed = 1;
    while (changed && p->n >= 3) {
        changed = 0;
        for (int v = 0; v < p->n && p->n >= 3; v++) {
            int w = (v + 1) % p->n;
            double ds = p->s[w] - p->s[v], dt = p->t[w] - p->t[v];
            if (ds * ds + dt * dt <= tol2) {
                /* keep vertex w (its label names the edge after it) */
                for (int x = v; x < p->n - 1; x++) {
                    p->s[x] = p->s[x + 1];
                    p->t[x] = p->t[x + 1];
                    p->lab[x] = p->lab[x + 1];
                }
                p->n--;
                changed = 1;
            }
        }
    }
}

static double poly_area(const poly *p)
{
    double a = 0;
    for (int v = 0; v < p->n; v++) {
        int w = (v + 1) % p->n;
        a += p->s[v] * p->t[w] - p->s[w] * p->t[v];
    }
    return 0.5 * fabs(a);
}

static int reserve_faces(work *w, size_t nf, size_t ne)
{
    if (nf > w->fcap) {
        size_t cap = nf * 2;
        double *a = realloc(w->farea, cap * sizeof *a);
        if (a) w->farea = a;
        double *d = realloc(w->fdist, cap * sizeof *d);
        if (d) w->fdist = d;
        double *pe = realloc(w->fperim, cap * sizeof *pe);
        if (pe) w->fperim = pe;
        int *e = realloc(w->fedges, cap * sizeof *e);
        if (e) w->fedges = e;
        int *o = realloc(w->fedge_off, (cap + 1) * sizeof *o);
        if (o) w->fedge_off = o;
        if (!a || !d || !pe || !e || !o)
            return sf_error("voronoi: out of memory");
        w->fcap = cap;
    }
    if (ne > w->ecap) {
        size_t cap = ne * 2;
        double *l = realloc(w->fedge_len, cap * sizeof *l);
        if (!l)
            return sf_error("voronoi: out of memory");
        w->fedge_len = l;
        w->ecap = cap;
    }
    return SF_OK;
}

typedef struct {
    const double *d2;
} sort_ctx;

static int cmp_idx(const void *pa, const void *pb, void *ctx)
{
    const double *d2 = ((const sort_ctx *)ctx)->d2;
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    if (d2[a] < d2[b])
        return -1;
    if (d2[a] > d2[b])
        return 1;
    return a < b ? -1 : (a > b);
}

/* One cell.  Returns SF_OK, SF_ERR (message set), or 1 when the cutoff rc
 * was too small (*need is set to the cutoff that would do). */
static int cell(const sf_cells *cells, size_t i, double rc,
                const sf_voronoi_opts *o, work *w, sf_voronoi_out *out,
                double *need)
{
    w->nb.n = 0;
    if (sf_cells_query(cells, i, -1, rc, SF_CELLS_VEC, &w->nb) != SF_OK)
        return SF_ERR;
    size_t m = w->nb.n;
    if (m < 4) {
        *need = 2 * rc;
        return 1;
    }
    if (m > w->ordcap) {
        size_t *ord = realloc(w->ord, 2 * m * sizeof *ord);
        if (!ord)
            return sf_error("voronoi: out of memory");
        w->ord = ord;
        w->ordcap = 2 * m;
    }
    for (size_t k = 0; k < m; k++) {
        w->ord[k] = k;
        if (w->nb.d2[k] <= 0)
            return sf_error("voronoi: atom %zu has a neighbour at distance 0 "
                            "(two atoms at the same position)", i + 1);
    }
    sort_ctx ctx = {w->nb.d2};
    qsort_r(w->ord, m, sizeof *w->ord, cmp_idx, &ctx);
    const double *dx = w->nb.dx, *dy = w->nb.dy, *dz = w->nb.dz,
                 *d2 = w->nb.d2;
    double big = 2 * rc;
    double vol = 0, surf = 0, rmax2 = 0;
    size_t nf = 0, ne = 0;
    for (size_t jj = 0; jj < m; jj++) {
        size_t j = w->ord[jj];
        double nx = dx[j], ny = dy[j], nz = dz[j];
        double dj = sqrt(d2[j]);
        double ex = nx / dj, ey = ny / dj, ez = nz / dj;
        /* orthonormal u, v in the plane */
        double ux, uy, uz;
        if (fabs(ex) < 0.9) { /* u = e x (1,0,0) normalised */
            ux = 0; uy = ez; uz = -ey;
        } else {              /* u = e x (0,1,0) */
            ux = -ez; uy = 0; uz = ex;
        }
        double un = sqrt(ux * ux + uy * uy + uz * uz);
        ux /= un; uy /= un; uz /= un;
        double vx = ey * uz - ez * uy, vy = ez * ux - ex * uz,
               vz = ex * uy - ey * ux;
        double cx = 0.5 * nx, cy = 0.5 * ny, cz = 0.5 * nz;
        poly *p = &w->p;
        if (poly_reserve(p, 8) != SF_OK || poly_reserve(&w->q, 8) != SF_OK)
            return SF_ERR;
        p->n = 4;
        double S[4] = {-big, big, big, -big}, T[4] = {-big, -big, big, big};
        for (int v = 0; v < 4; v++) {
            p->s[v] = S[v];
            p->t[v] = T[v];
            p->lab[v] = -1;
        }
        double prad2 = 2 * big * big; /* polygon radius^2 around c */
        int alive = 1;
        for (size_t kk = 0; kk < m && alive; kk++) {
            size_t k = w->ord[kk];
            if (k == j)
                continue;
            /* plane of k: d_k . p <= |d_k|^2 / 2 with p = c + s u + t v.
             * It cannot cut the polygon when its distance from c exceeds
             * the polygon's radius. */
            /* no farther candidate can reach the face's points either */
            if (0.25 * d2[k] > (prad2 + 0.25 * d2[j]) * (1 + 1e-12))
                break;
            double kc = dx[k] * cx + dy[k] * cy + dz[k] * cz;
            double h = 0.5 * d2[k] - kc;
            double a = dx[k] * ux + dy[k] * uy + dz[k] * uz;
            double b = dx[k] * vx + dy[k] * vy + dz[k] * vz;
            double ab = sqrt(a * a + b * b);
            if (h > ab * sqrt(prad2) * (1 + 1e-12))
                continue; /* the whole polygon is inside */
            double eps = 1e-12 * d2[k];
            int r = clip(p, &w->q, a, b, h, (int)k, eps);
            if (r < 0)
                return SF_ERR;
            if (r == 0) {
                alive = 0;
                break;
            }
            prad2 = 0;
            for (int v = 0; v < p->n; v++) {
                double r2 = p->s[v] * p->s[v] + p->t[v] * p->t[v];
                if (r2 > prad2)
                    prad2 = r2;
            }
        }
        if (!alive || p->n < 3)
            continue;
        poly_clean(p, 1e-20 * d2[j] + 1e-30);
        if (p->n < 3)
            continue;
        for (int v = 0; v < p->n; v++)
            if (p->lab[v] < 0) { /* still bounded by the initial square */
                *need = 2 * rc;
                return 1;
            }
        double area = poly_area(p);
        if (area <= 0)
            continue;
        if (reserve_faces(w, nf + 1, ne + (size_t)p->n) != SF_OK)
            return SF_ERR;
        double perim = 0;
        w->fedge_off[nf] = (int)ne;
        for (int v = 0; v < p->n; v++) {
            int x = (v + 1) % p->n;
            double ds = p->s[x] - p->s[v], dt = p->t[x] - p->t[v];
            double len = sqrt(ds * ds + dt * dt);
            w->fedge_len[ne++] = len;
            perim += len;
            double r2 = 0.25 * d2[j] + p->s[v] * p->s[v] + p->t[v] * p->t[v];
            if (r2 > rmax2)
                rmax2 = r2;
        }
        w->fedge_off[nf + 1] = (int)ne;
        w->farea[nf] = area;
        w->fdist[nf] = dj;
        w->fperim[nf] = perim;
        nf++;
        vol += area * dj / 6.0;
        surf += area;
    }
    double rmax = sqrt(rmax2);
    if (nf < 4 || 2 * rmax >= rc) {
        *need = nf < 4 ? 2 * rc : 2 * rmax * 1.05;
        return 1;
    }
    /* counted faces and edges */
    int hist[SF_VORONOI_MAXEDGE + 1] = {0};
    size_t nc = 0, n5 = 0;
    double dsum = 0;
    for (size_t f = 0; f < nf; f++) {
        if (w->farea[f] < o->face_min * surf)
            continue;
        int e = 0;
        for (int x = w->fedge_off[f]; x < w->fedge_off[f + 1]; x++)
            if (w->fedge_len[x] >= o->edge_min * w->fperim[f])
                e++;
        nc++;
        dsum += w->fdist[f];
        if (e == 5)
            n5++;
        hist[e > SF_VORONOI_MAXEDGE ? SF_VORONOI_MAXEDGE : e]++;
    }
    if (out->volume)
        out->volume[i] = vol;
    if (out->area)
        out->area[i] = surf;
    if (out->nfaces)
        out->nfaces[i] = (double)nc;
    if (out->fivefold)
        out->fivefold[i] = nc ? (double)n5 / (double)nc : 0.0;
    if (out->a)
        out->a[i] = nc ? dsum / (double)nc : 0.0;
    if (out->maxr)
        out->maxr[i] = rmax;
    if (out->edges)
        memcpy(out->edges + i * (SF_VORONOI_MAXEDGE + 1), hist, sizeof hist);
    return SF_OK;
}

static void work_free(work *w)
{
    sf_nbuf_free(&w->nb);
    free(w->ord);
    poly_free(&w->p);
    poly_free(&w->q);
    free(w->farea);
    free(w->fdist);
    free(w->fperim);
    free(w->fedges);
    free(w->fedge_len);
    free(w->fedge_off);
}

/* One pass over the atoms with todo[i] set, candidates from cells built for
 * rmax.  An atom whose cell needs more than rmax keeps todo[i] = 1 and
 * raises *need; others get todo[i] = 0.  Returns SF_ERR (message set, the
 * lowest failing atom) on a real error. */
static int pass(const sf_atoms *a, const sf_voronoi_opts *o, sf_voronoi_out *out,
                unsigned char *todo, double rc, double rmax, double *need_out)
{
    sf_cells *cells = sf_cells_new(&a->box, a->n, a->x, NULL, 1, rmax);
    if (!cells)
        return SF_ERR;
    int status = SF_OK;
    char msg[512] = "";
    long long bad = -1;
    double need_all = 0;
#pragma omp parallel
    {
        work w;
        memset(&w, 0, sizeof w);
        double my_need = 0;
#pragma omp for schedule(dynamic, 64)
        for (long long ii = 0; ii < (long long)a->n; ii++) {
            int skip;
#pragma omp atomic read
            skip = status;
            if (skip != SF_OK || !todo[ii])
                continue;
            double r = rc < rmax ? rc : rmax, need = 0;
            int res;
            for (;;) {
                res = cell(cells, (size_t)ii, r, o, &w, out, &need);
                if (res != 1)
                    break;
                if (r >= rmax) {
                    res = 2;
                    break;
                }
                r = need < rmax ? need : rmax;
            }
            if (res == SF_OK) {
                todo[ii] = 0;
            } else if (res == 2) {
                if (need > my_need)
                    my_need = need;
            } else {
#pragma omp critical(sf_voronoi_err)
                {
                    if (bad < 0 || ii < bad) {
                        bad = ii;
                        snprintf(msg, sizeof msg, "%s", sf_error_message());
                    }
#pragma omp atomic write
                    status = SF_ERR;
                }
            }
        }
#pragma omp critical(sf_voronoi_need)
        {
            if (my_need > need_all)
                need_all = my_need;
        }
        work_free(&w);
    }
    sf_cells_free(cells);
    *need_out = need_all;
    if (status != SF_OK)
        return sf_error("%s", msg);
    return SF_OK;
}

int sf_voronoi_compute(const sf_atoms *a, const sf_voronoi_opts *opts,
                       sf_voronoi_out *out)
{
    sf_voronoi_opts o;
    if (opts)
        o = *opts;
    else
        sf_voronoi_opts_init(&o);
    if (a->n == 0)
        return SF_OK;
    for (int d = 0; d < 3; d++)
        if (!a->box.periodic[d])
            return sf_error("voronoi: the box must be periodic in x, y and z "
                            "(cells at open boundaries are unbounded)");
    if (a->n < 2)
        return sf_error("voronoi: need at least 2 atoms");
    double vol = sf_box_volume(&a->box);
    double rc0 = 2.0 * cbrt(vol / (double)a->n);
    double rc = o.cutoff > 0 ? o.cutoff : rc0;
    unsigned char *todo = sf_malloc(a->n);
    if (!todo)
        return SF_ERR;
    memset(todo, 1, a->n);
    /* first pass: candidates up to rc, single atoms may go up to 2 rc; the
     * rare cells that need more (a sparse region) get further passes with a
     * larger radius */
    double rmax = 2 * rc;
    for (int round = 0;; round++) {
        double need = 0;
        if (pass(a, &o, out, todo, rc, rmax, &need) != SF_OK) {
            free(todo);
            return SF_ERR;
        }
        size_t left = 0, first = 0;
        for (size_t i = a->n; i-- > 0;)
            if (todo[i]) {
                left++;
                first = i;
            }
        if (left == 0)
            break;
        if (round == 4 || need > 64 * rc0) {
            free(todo);
            return sf_error("voronoi: the cell of atom %zu (id %lld) is not "
                            "closed within %g (an isolated atom?)",
                            first + 1, (long long)a->id[first], rmax);
        }
        rc = need * 1.05 > 2 * rmax ? need * 1.05 : 2 * rmax;
        rmax = rc;
    }
    free(todo);
    return SF_OK;
}
