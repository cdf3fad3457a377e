/* test_rdf.c - partial g(r) histograms against brute force over explicit
 * image shifts (orthogonal, triclinic, tiny boxes, a centre group),
 * normalisation, coordination numbers, peaks, S(q), the per-atom g(r) of
 * eq. 3 (its mean is g_ab), and thread determinism. */
#include "sf_test.h"

#include "sf_atoms.h"
#include "sf_error.h"
#include "sf_rdf.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static double urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static sf_atoms *random_atoms(size_t n, const double len[3], double xy,
                              double xz, double yz, int ntypes)
{
    sf_atoms *a = sf_atoms_new(n, ntypes);
    double lo[3] = {0.5, -1.0, 3.0};
    double hi[3] = {lo[0] + len[0], lo[1] + len[1], lo[2] + len[2]};
    sf_box_init(&a->box, lo, hi, xy, xz, yz);
    for (size_t i = 0; i < n; i++) {
        double s[3] = {urand(), urand(), urand()};
        sf_box_to_cart(&a->box, s, a->x + 3 * i);
        a->type[i] = 1 + (int32_t)((i * 7) % (size_t)ntypes);
    }
    return a;
}

/* Histogram of all (i in centres, j) pairs by brute force. */
static uint64_t *brute(const sf_atoms *a, double rmax, double dr, size_t nbins,
                       const unsigned char *centres)
{
    int nt = a->ntypes;
    uint64_t *h = calloc((size_t)nt * nt * nbins, sizeof *h);
    double w[3];
    sf_box_widths(&a->box, w);
    long lim[3];
    for (int k = 0; k < 3; k++)
        lim[k] = (long)ceil(rmax / w[k]) + 2;
    const sf_box *b = &a->box;
    for (size_t i = 0; i < a->n; i++) {
        if (centres && !centres[i])
            continue;
        for (size_t j = 0; j < a->n; j++)
            for (long n2 = -lim[2]; n2 <= lim[2]; n2++)
                for (long n1 = -lim[1]; n1 <= lim[1]; n1++)
                    for (long n0 = -lim[0]; n0 <= lim[0]; n0++) {
                        if (i == j && !n0 && !n1 && !n2)
                            continue;
                        const double *xi = a->x + 3 * i, *xj = a->x + 3 * j;
                        double dx = xj[0] + n0 * b->len[0] + n1 * b->xy +
                                    n2 * b->xz - xi[0];
                        double dy = xj[1] + n1 * b->len[1] + n2 * b->yz - xi[1];
                        double dz = xj[2] + n2 * b->len[2] - xi[2];
                        double r2 = dx * dx + dy * dy + dz * dz;
                        if (!(r2 < rmax * rmax))
                            continue;
                        size_t k = (size_t)(sqrt(r2) / dr);
                        if (k < nbins)
                            h[((size_t)(a->type[i] - 1) * nt + a->type[j] - 1) *
                                  nbins + k]++;
                    }
    }
    return h;
}

static void check_case(const char *name, const sf_atoms *a, double rmax,
                       double dr, const unsigned char *centres)
{
    sf_rdf *r = sf_rdf_compute(a, rmax, dr, centres);
    CHECK_MSG(r != NULL, "%s: %s", name, sf_error_message());
    if (!r)
        return;
    uint64_t *h = brute(a, r->rmax, dr, r->nbins, centres);
    size_t nh = (size_t)a->ntypes * a->ntypes * r->nbins, off = 0;
    uint64_t tot = 0;
    for (size_t k = 0; k < nh; k++) {
        if (h[k] != r->hist[k])
            off++;
        tot += h[k];
    }
    CHECK_MSG(off == 0, "%s: %zu histogram bins differ", name, off);
    CHECK_MSG(tot > 100, "%s: only %llu pairs", name, (unsigned long long)tot);
    /* normalisation by hand */
    double V = sf_box_volume(&a->box);
    size_t cnt[8] = {0}, cen[8] = {0};
    for (size_t i = 0; i < a->n; i++) {
        cnt[a->type[i] - 1]++;
        if (!centres || centres[i])
            cen[a->type[i] - 1]++;
    }
    size_t bad = 0;
    for (int ta = 0; ta < a->ntypes; ta++)
        for (int tb = 0; tb < a->ntypes; tb++) {
            size_t o = sf_rdf_offset(r, ta + 1, tb + 1);
            double run = 0;
            for (size_t k = 0; k < r->nbins; k++) {
                double lo = k * dr, hi = (k + 1) * dr;
                double dv = 4.0 / 3.0 * M_PI * (hi * hi * hi - lo * lo * lo);
                double nb = (double)cnt[tb] - (ta == tb);
                double g = h[o + k] / (cen[ta] * nb / V * dv);
                run += (double)h[o + k];
                if (fabs(g - r->g[o + k]) > 1e-12 * fabs(g) ||
                    fabs(run / cen[ta] - r->cn[o + k]) > 1e-12 * (run / cen[ta]))
                    bad++;
            }
        }
    CHECK_MSG(bad == 0, "%s: %zu normalised values differ", name, bad);
    printf("%-22s n=%zu bins=%zu pairs=%llu ok\n", name, a->n, r->nbins,
           (unsigned long long)tot);
    free(h);
    sf_rdf_free(r);
}

static void test_brute(void)
{
    {
        double len[3] = {11, 12, 13};
        sf_atoms *a = random_atoms(250, len, 0, 0, 0, 2);
        check_case("orthogonal", a, 5.0, 0.1, NULL);
        unsigned char *c = malloc(a->n);
        for (size_t i = 0; i < a->n; i++)
            c[i] = (i % 3) == 0;
        check_case("orthogonal, centres", a, 5.0, 0.1, c);
        free(c);
        sf_atoms_free(a);
    }
    {
        double len[3] = {10, 11, 12};
        sf_atoms *a = random_atoms(220, len, 2.5, -1.5, 3.0, 3);
        check_case("triclinic", a, 5.5, 0.05, NULL);
        sf_atoms_free(a);
    }
    {
        double len[3] = {3.1, 3.4, 2.9};
        sf_atoms *a = random_atoms(4, len, 0.8, -0.6, 0.5, 2);
        check_case("tiny box (images)", a, 7.0, 0.07, NULL);
        sf_atoms_free(a);
    }
}

/* Ideal gas: g ~ 1 at large N; S(q) of g = 1 is exactly 1. */
static void test_ideal_gas_and_sq(void)
{
    double len[3] = {40, 40, 40};
    sf_atoms *a = random_atoms(20000, len, 0, 0, 0, 2);
    sf_rdf *r = sf_rdf_compute(a, 10.0, 0.25, NULL);
    CHECK(r != NULL);
    double mean = 0;
    size_t cnt = 0;
    for (size_t k = 10; k < r->nbins; k++, cnt++)
        mean += r->g[sf_rdf_offset(r, 1, 2) + k];
    mean /= cnt;
    CHECK_NEAR(mean, 1.0, 0.01);
    /* running cn at rmax ~ density * sphere volume */
    double expect = (r->counts[1] - 0.0) / r->volume * 4.0 / 3.0 * M_PI * 1000.0;
    CHECK_NEAR(r->cn[sf_rdf_offset(r, 1, 2) + r->nbins - 1] / expect, 1.0, 0.02);
    /* S(q) of the exact g = 1 */
    for (size_t k = 0; k < r->nbins; k++)
        r->g[k] = 1.0;
    double q[3] = {0.0, 1.0, 5.0}, s[3];
    CHECK(sf_rdf_sq(r, 1, 1, q, 3, SF_SQ_LORCH, s) == SF_OK);
    CHECK_NEAR(s[0], 1.0, 1e-12);
    CHECK_NEAR(s[1], 1.0, 1e-12);
    CHECK_NEAR(s[2], 1.0, 1e-12);
    /* a delta shell at r1 (one bin): S(q) = 1 + 4 pi rho r1^2 dr (g-1) sinc */
    for (size_t k = 0; k < r->nbins; k++)
        r->g[k] = 1.0;
    r->g[10] = 3.0;
    CHECK(sf_rdf_sq(r, 1, 1, q, 3, SF_SQ_NONE, s) == SF_OK);
    double rho = 20000.0 / r->volume, r1 = r->r[10];
    double want = 1 + 4 * M_PI * rho * r1 * r1 * r->dr * 2.0 * sin(5.0 * r1) / (5.0 * r1);
    CHECK_NEAR(s[2], want, 1e-12);
    CHECK(sf_rdf_sq(r, 1, 3, q, 3, SF_SQ_NONE, s) == SF_ERR);
    sf_rdf_free(r);
    sf_atoms_free(a);
}

static void test_peaks(void)
{
    /* a noisy two-peak curve: first peak at 2.55 */
    size_t n = 400;
    double *r = malloc(n * sizeof *r), *g = malloc(n * sizeof *g);
    for (size_t k = 0; k < n; k++) {
        r[k] = (k + 0.5) * 0.02;
        double x = r[k];
        g[k] = (x > 2.0 ? 1.0 : 0.0) + 2.0 * exp(-(x - 2.55) * (x - 2.55) / 0.02) +
               0.6 * exp(-(x - 4.4) * (x - 4.4) / 0.1) +
               0.03 * sin(37.0 * k); /* noise */
    }
    double rp, gp, rm, gm;
    CHECK(sf_peak_first(r, g, n, NULL, &rp, &gp, NULL) == SF_OK);
    CHECK_NEAR(rp, 2.55, 0.01);
    CHECK_NEAR(gp, 3.0, 0.1);
    CHECK(sf_peak_first_min(r, g, n, NULL, &rm, &gm) == SF_OK);
    CHECK(rm > 2.8 && rm < 4.2);
    /* nothing to find */
    for (size_t k = 0; k < n; k++)
        g[k] = 0;
    CHECK(sf_peak_first(r, g, n, NULL, &rp, &gp, NULL) == SF_ERR);
    free(r);
    free(g);
}

static void test_per_atom(void)
{
    double len[3] = {14, 15, 16};
    sf_atoms *a = random_atoms(400, len, 1.0, 0.0, -2.0, 2);
    sf_rdf *r = sf_rdf_compute(a, 6.0, 0.1, NULL);
    size_t *idx = malloc(a->n * sizeof *idx);
    for (size_t i = 0; i < a->n; i++)
        idx[i] = i;
    size_t nb = r->nbins, row = 2 * nb;
    double *pa = malloc(a->n * row * sizeof *pa);
    CHECK(sf_rdf_per_atom(a, idx, a->n, 6.0, 0.1, pa) == SF_OK);
    /* the mean over type-a atoms of g_{i,b} is g_ab */
    size_t bad = 0;
    for (int ta = 1; ta <= 2; ta++)
        for (int tb = 1; tb <= 2; tb++)
            for (size_t k = 0; k < nb; k++) {
                double sum = 0;
                size_t m = 0;
                for (size_t i = 0; i < a->n; i++)
                    if (a->type[i] == ta) {
                        sum += pa[i * row + (tb - 1) * nb + k];
                        m++;
                    }
                double g = r->g[sf_rdf_offset(r, ta, tb) + k];
                if (fabs(sum / m - g) > 1e-12 * (fabs(g) + 1e-300))
                    bad++;
            }
    CHECK_MSG(bad == 0, "per-atom g(r): %zu bins whose mean is not g_ab", bad);
    idx[0] = a->n;
    CHECK(sf_rdf_per_atom(a, idx, 1, 6.0, 0.1, pa) == SF_ERR);
    free(idx);
    free(pa);
    sf_rdf_free(r);
    sf_atoms_free(a);
}

static void test_threads_and_errors(void)
{
    double len[3] = {30, 30, 30};
    sf_atoms *a = random_atoms(8000, len, 2.0, 1.0, -1.0, 2);
#ifdef _OPENMP
    omp_set_num_threads(1);
    sf_rdf *p = sf_rdf_compute(a, 8.0, 0.05, NULL);
    omp_set_num_threads(2);
    sf_rdf *q = sf_rdf_compute(a, 8.0, 0.05, NULL);
    size_t nh = 4 * p->nbins;
    CHECK(memcmp(p->hist, q->hist, nh * sizeof *p->hist) == 0);
    CHECK(memcmp(p->g, q->g, nh * sizeof *p->g) == 0);
    sf_rdf_free(p);
    sf_rdf_free(q);
#endif
    CHECK(sf_rdf_compute(a, 8.0, 0.0, NULL) == NULL);
    CHECK(strstr(sf_error_message(), "dr") != NULL);
    CHECK(sf_rdf_compute(a, -1.0, 0.1, NULL) == NULL);
    sf_atoms_free(a);
}

int main(void)
{
    test_brute();
    test_ideal_gas_and_sq();
    test_peaks();
    test_per_atom();
    test_threads_and_errors();
    return sf_test_summary();
}
