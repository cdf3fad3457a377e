/* sf_rdf.c - pair distribution functions from cell-list queries (pairs are
 * never stored), peaks, structure factors. */
#include "sf_rdf.h"
#include "sf_error.h"
#include "sf_neighbor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

void sf_rdf_free(sf_rdf *r)
{
    if (!r)
        return;
    free(r->centres);
    free(r->counts);
    free(r->hist);
    free(r->r);
    free(r->g);
    free(r->cn);
    free(r->gtotal);
    free(r);
}

static int check_bins(double rmax, double dr, size_t *nbins)
{
    if (!(dr > 0) || !isfinite(dr))
        return sf_error("rdf: bin width dr = %g must be positive", dr);
    if (!(rmax > 0) || !isfinite(rmax))
        return sf_error("rdf: rmax = %g must be positive", rmax);
    double nb = ceil(rmax / dr - 1e-9);
    if (nb < 1)
        nb = 1;
    if (nb > 1e8)
        return sf_error("rdf: %g bins (rmax %g / dr %g) is too many", nb, rmax,
                        dr);
    *nbins = (size_t)nb;
    return SF_OK;
}

static inline double shell_volume(size_t k, double dr)
{
    double lo = (double)k * dr, hi = (double)(k + 1) * dr;
    return 4.0 / 3.0 * M_PI * (hi * hi * hi - lo * lo * lo);
}

sf_rdf *sf_rdf_compute(const sf_atoms *a, double rmax, double dr,
                       const unsigned char *centres)
{
    size_t nbins;
    if (check_bins(rmax, dr, &nbins))
        return NULL;
    rmax = (double)nbins * dr;
    const int nt = a->ntypes;
    const size_t nh = (size_t)nt * (size_t)nt * nbins;
    sf_rdf *r = sf_calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->ntypes = nt;
    r->nbins = nbins;
    r->rmax = rmax;
    r->dr = dr;
    r->volume = sf_box_volume(&a->box);
    r->centres = sf_calloc((size_t)nt, sizeof *r->centres);
    r->counts = sf_calloc((size_t)nt, sizeof *r->counts);
    r->hist = sf_calloc(nh, sizeof *r->hist);
    r->r = sf_malloc(nbins * sizeof *r->r);
    r->g = sf_calloc(nh, sizeof *r->g);
    r->cn = sf_calloc(nh, sizeof *r->cn);
    r->gtotal = sf_calloc(nbins, sizeof *r->gtotal);
    if (!r->centres || !r->counts || !r->hist || !r->r || !r->g || !r->cn ||
        !r->gtotal)
        goto fail;
    for (size_t i = 0; i < a->n; i++) {
        int t = a->type[i];
        if (t < 1 || t > nt) {
            sf_error("rdf: atom %zu has type %d, not in 1..%d", i + 1, t, nt);
            goto fail;
        }
        r->counts[t - 1]++;
        if (!centres || centres[i]) {
            r->centres[t - 1]++;
            r->ncentres++;
        }
    }
    for (size_t k = 0; k < nbins; k++)
        r->r[k] = ((double)k + 0.5) * dr;

    sf_cells *c = sf_cells_new(&a->box, a->n, a->x, NULL, 1, rmax);
    if (!c)
        goto fail;
    const uint32_t *order = sf_cells_order(c);
    const uint32_t *atom = sf_cells_atoms(c);
    const int32_t *type = a->type;
    const double inv = 1.0 / dr, rmax2 = rmax * rmax;
    int failed = 0;
    long long nn = (long long)a->n;
#pragma omp parallel
    {
        uint64_t *h = calloc(nh, sizeof *h);
        sf_nbuf b = {0};
        if (!h) {
#pragma omp atomic write
            failed = 1;
        }
        /* Each pair once (half query), tallied for both ends. */
#pragma omp for schedule(dynamic, 256)
        for (long long s = 0; s < nn; s++) {
            if (failed)
                continue;
            uint32_t i = order[s];
            b.n = 0;
            if (sf_cells_query(c, i, -1, rmax, SF_CELLS_HALF, &b)) {
#pragma omp atomic write
                failed = 1;
                continue;
            }
            int ti = type[i] - 1;
            int ci = !centres || centres[i];
            for (size_t k = 0; k < b.n; k++) {
                if (!(b.d2[k] < rmax2))
                    continue;
                size_t bin = (size_t)(sqrt(b.d2[k]) * inv);
                if (bin >= nbins)
                    continue;
                uint32_t j = atom[b.j[k]];
                int tj = type[j] - 1;
                if (ci)
                    h[((size_t)ti * nt + tj) * nbins + bin]++;
                if (!centres || centres[j])
                    h[((size_t)tj * nt + ti) * nbins + bin]++;
            }
        }
        sf_nbuf_free(&b);
        if (h) {
#pragma omp critical(sf_rdf_merge)
            for (size_t k = 0; k < nh; k++)
                r->hist[k] += h[k];
            free(h);
        }
    }
    sf_cells_free(c);
    if (failed) {
        sf_error("rdf: out of memory");
        goto fail;
    }

    /* Normalise. */
    const double V = r->volume;
    size_t ntot = a->n;
    for (int ta = 0; ta < nt; ta++)
        for (int tb = 0; tb < nt; tb++) {
            size_t off = ((size_t)ta * nt + tb) * nbins;
            double ca = (double)r->centres[ta];
            double nb = (double)r->counts[tb] - (ta == tb ? 1.0 : 0.0);
            double run = 0.0;
            for (size_t k = 0; k < nbins; k++) {
                double hk = (double)r->hist[off + k];
                double norm = ca * nb / V * shell_volume(k, dr);
                r->g[off + k] = norm > 0 ? hk / norm : 0.0;
                run += hk;
                r->cn[off + k] = ca > 0 ? run / ca : 0.0;
            }
        }
    for (size_t k = 0; k < nbins; k++) {
        double hk = 0;
        for (size_t p = 0; p < (size_t)nt * nt; p++)
            hk += (double)r->hist[p * nbins + k];
        double norm = (double)r->ncentres * ((double)ntot - 1.0) / V *
                      shell_volume(k, dr);
        r->gtotal[k] = norm > 0 ? hk / norm : 0.0;
    }
    return r;
fail:
    sf_rdf_free(r);
    return NULL;
}

/* ---- peaks ------------------------------------------------------------------ */

void sf_peak_opts_init(sf_peak_opts *o)
{
    o->smooth = 2;
    o->threshold = 0.5;
}

static double *smoothed(const double *g, size_t n, int w)
{
    double *s = sf_malloc((n + 1) * sizeof *s);
    if (!s)
        return NULL;
    for (size_t k = 0; k < n; k++) {
        double sum = 0;
        int cnt = 0;
        for (long d = -w; d <= w; d++) {
            long q = (long)k + d;
            if (q < 0 || q >= (long)n)
                continue;
            sum += g[q];
            cnt++;
        }
        s[k] = sum / cnt;
    }
    return s;
}

/* Vertex of the parabola through (k-1, k, k+1): offset in samples and
 * value. */
static void parabola(const double *s, size_t k, size_t n, double *off,
                     double *val)
{
    *off = 0.0;
    *val = s[k];
    if (k == 0 || k + 1 >= n)
        return;
    double a = s[k - 1], b = s[k], c = s[k + 1];
    double den = a - 2 * b + c;
    if (den == 0.0)
        return;
    double d = 0.5 * (a - c) / den;
    if (d > 0.5)
        d = 0.5;
    if (d < -0.5)
        d = -0.5;
    *off = d;
    *val = b - 0.25 * (a - c) * d;
}

/* The first peak: the highest point of the first run of samples at or
 * above threshold * max (a noise wiggle on the rising edge is not a peak;
 * the run is one coordination shell). */
static int find_peak(const double *s, size_t n, double threshold, size_t *kp)
{
    double mx = -INFINITY;
    for (size_t k = 0; k < n; k++)
        if (s[k] > mx)
            mx = s[k];
    if (!(mx > 0))
        return sf_error("peak: curve has no positive values");
    double thr = threshold * mx;
    size_t k = 0;
    while (k < n && !(s[k] >= thr))
        k++;
    if (k >= n)
        return sf_error("peak: nothing reaches %g of the highest value", threshold);
    size_t best = k;
    for (; k < n && s[k] >= thr; k++)
        if (s[k] > s[best])
            best = k;
    if (best == 0 || best + 1 >= n)
        return sf_error("peak: the highest point of the first peak is at the "
                        "end of the range (sample %zu of %zu)",
                        best + 1, n);
    *kp = best;
    return SF_OK;
}

int sf_peak_first(const double *r, const double *g, size_t n,
                  const sf_peak_opts *o, double *rpeak, double *gpeak,
                  size_t *kpeak)
{
    sf_peak_opts def;
    if (!o) {
        sf_peak_opts_init(&def);
        o = &def;
    }
    if (n < 3)
        return sf_error("peak: need at least 3 samples (got %zu)", n);
    double *s = smoothed(g, n, o->smooth < 0 ? 0 : o->smooth);
    if (!s)
        return SF_ERR;
    size_t k;
    if (find_peak(s, n, o->threshold, &k)) {
        free(s);
        return SF_ERR;
    }
    double off, val;
    parabola(s, k, n, &off, &val);
    double h = r[1] - r[0];
    if (rpeak)
        *rpeak = r[k] + off * h;
    if (gpeak)
        *gpeak = val;
    if (kpeak)
        *kpeak = k;
    free(s);
    return SF_OK;
}

int sf_peak_first_min(const double *r, const double *g, size_t n,
                      const sf_peak_opts *o, double *rmin, double *gmin)
{
    sf_peak_opts def;
    if (!o) {
        sf_peak_opts_init(&def);
        o = &def;
    }
    if (n < 3)
        return sf_error("peak: need at least 3 samples (got %zu)", n);
    double *s = smoothed(g, n, o->smooth < 0 ? 0 : o->smooth);
    if (!s)
        return SF_ERR;
    size_t kp;
    if (find_peak(s, n, o->threshold, &kp)) {
        free(s);
        return SF_ERR;
    }
    /* the valley after the peak: from where the curve drops below
     * level = min(1, threshold * peak) to where it rises above it again
     * (the mean density, for a bulk g(r)); its lowest point */
    double level = o->threshold * s[kp];
    if (level > 1.0)
        level = 1.0;
    size_t k = kp + 1;
    while (k < n && !(s[k] < level))
        k++;
    size_t lowest = k;
    for (; k < n && s[k] < level; k++)
        if (s[k] < s[lowest])
            lowest = k;
    if (lowest < n && k < n) {
        double off, val;
        parabola(s, lowest, n, &off, &val);
        if (rmin)
            *rmin = r[lowest] + off * (r[1] - r[0]);
        if (gmin)
            *gmin = val;
        free(s);
        return SF_OK;
    }
    free(s);
    return sf_error("peak: no minimum after the first peak");
}

static int check_pair(const sf_rdf *r, int a, int b)
{
    if (a < 1 || a > r->ntypes || b < 1 || b > r->ntypes)
        return sf_error("rdf: type pair (%d, %d) out of range 1..%d", a, b,
                        r->ntypes);
    return SF_OK;
}

int sf_rdf_first_peak(const sf_rdf *r, int a, int b, const sf_peak_opts *o,
                      double *rpeak, double *gpeak)
{
    if (check_pair(r, a, b))
        return SF_ERR;
    if (sf_peak_first(r->r, r->g + sf_rdf_offset(r, a, b), r->nbins, o, rpeak,
                      gpeak, NULL))
        return sf_error_prefix("g_%d_%d", a, b);
    return SF_OK;
}

int sf_rdf_first_shell(const sf_rdf *r, int a, int b, const sf_peak_opts *o,
                       double *rmin, double *cn)
{
    if (check_pair(r, a, b))
        return SF_ERR;
    size_t off = sf_rdf_offset(r, a, b);
    double rm;
    if (sf_peak_first_min(r->r, r->g + off, r->nbins, o, &rm, NULL))
        return sf_error_prefix("g_%d_%d", a, b);
    /* running cn is known at the bin edges (k+1) dr: interpolate */
    double u = rm / r->dr; /* edges at u = 1, 2, ... */
    size_t k = (size_t)floor(u);
    double lo = k >= 1 ? r->cn[off + k - 1] : 0.0;
    double hi = k < r->nbins ? r->cn[off + k] : r->cn[off + r->nbins - 1];
    if (rmin)
        *rmin = rm;
    if (cn)
        *cn = lo + (u - (double)k) * (hi - lo);
    return SF_OK;
}

/* ---- S(q) ------------------------------------------------------------------ */

int sf_rdf_sq(const sf_rdf *r, int a, int b, const double *q, size_t nq,
              sf_sq_window window, double *s)
{
    const double *g;
    if (a == 0 && b == 0)
        g = r->gtotal;
    else if (check_pair(r, a, b))
        return SF_ERR;
    else
        g = r->g + sf_rdf_offset(r, a, b);
    size_t ntot = 0;
    for (int t = 0; t < r->ntypes; t++)
        ntot += r->counts[t];
    double rho = (double)ntot / r->volume;
    double *w = sf_malloc(r->nbins * sizeof *w);
    if (!w)
        return SF_ERR;
    for (size_t k = 0; k < r->nbins; k++) {
        double x = M_PI * r->r[k] / r->rmax;
        double win = window == SF_SQ_LORCH ? sin(x) / x : 1.0;
        w[k] = r->r[k] * r->r[k] * (g[k] - 1.0) * win * r->dr;
    }
    for (size_t iq = 0; iq < nq; iq++) {
        if (!(q[iq] >= 0) || !isfinite(q[iq])) {
            free(w);
            return sf_error("S(q): wave number %g must be >= 0", q[iq]);
        }
        double sum = 0;
        for (size_t k = 0; k < r->nbins; k++) {
            double qr = q[iq] * r->r[k];
            sum += w[k] * (qr > 1e-8 ? sin(qr) / qr : 1.0 - qr * qr / 6.0);
        }
        s[iq] = 1.0 + 4.0 * M_PI * rho * sum;
    }
    free(w);
    return SF_OK;
}

/* ---- per-atom g(r) ------------------------------------------------------- */

int sf_rdf_per_atom(const sf_atoms *a, const size_t *idx, size_t m,
                    double rmax, double dr, double *out)
{
    size_t nbins;
    if (check_bins(rmax, dr, &nbins))
        return SF_ERR;
    rmax = (double)nbins * dr;
    const int nt = a->ntypes;
    size_t *counts = sf_calloc((size_t)nt + 1, sizeof *counts);
    if (!counts)
        return SF_ERR;
    sf_atoms_type_counts(a, counts);
    for (size_t k = 0; k < m; k++)
        if (idx[k] >= a->n) {
            free(counts);
            return sf_error("per-atom g(r): atom index %zu out of range 1..%zu",
                            idx[k] + 1, a->n);
        }
    sf_cells *c = sf_cells_new(&a->box, a->n, a->x, NULL, 1, rmax);
    if (!c) {
        free(counts);
        return SF_ERR;
    }
    const uint32_t *atom = sf_cells_atoms(c);
    const double V = sf_box_volume(&a->box), inv = 1.0 / dr;
    const size_t row = (size_t)nt * nbins;
    int failed = 0;
    long long mm = (long long)m;
#pragma omp parallel
    {
        sf_nbuf b = {0};
#pragma omp for schedule(dynamic, 64)
        for (long long k = 0; k < mm; k++) {
            size_t i = idx[k];
            double *o = out + (size_t)k * row;
            memset(o, 0, row * sizeof *o);
            b.n = 0;
            if (sf_cells_query(c, i, -1, rmax, 0, &b)) {
#pragma omp atomic write
                failed = 1;
                continue;
            }
            for (size_t e = 0; e < b.n; e++) {
                size_t bin = (size_t)(sqrt(b.d2[e]) * inv);
                if (bin < nbins)
                    o[(size_t)(a->type[atom[b.j[e]]] - 1) * nbins + bin] += 1.0;
            }
            int ti = a->type[i];
            for (int t = 1; t <= nt; t++) {
                double nb = (double)counts[t] - (t == ti ? 1.0 : 0.0);
                for (size_t q = 0; q < nbins; q++) {
                    double norm = nb / V * shell_volume(q, dr);
                    o[(size_t)(t - 1) * nbins + q] =
                        norm > 0 ? o[(size_t)(t - 1) * nbins + q] / norm : 0.0;
                }
            }
        }
        sf_nbuf_free(&b);
    }
    sf_cells_free(c);
    free(counts);
    if (failed)
        return sf_error("per-atom g(r): out of memory");
    return SF_OK;
}
