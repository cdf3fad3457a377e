/* test_angular.c - bond-angle structure functions (sf_angular.h) against
 * a brute-force sum over every triplet (every atom, every image shift) on
 * small periodic boxes: orthogonal, triclinic, and a box smaller than
 * twice the cutoff (repeated images); reduced and Angstrom units,
 * non-integer zeta and lambda; float32 output; column names; errors;
 * thread determinism. */
#include "sf_test.h"

#include "sf_angular.h"
#include "sf_atoms.h"
#include "sf_error.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static double urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static sf_atoms *random_atoms(size_t n, const double len[3], double xy,
                              double xz, double yz, int ntypes, double dmin)
{
    sf_atoms *a = sf_atoms_new(n, ntypes);
    double lo[3] = {-1.0, 2.0, 0.5};
    double hi[3] = {lo[0] + len[0], lo[1] + len[1], lo[2] + len[2]};
    sf_box_init(&a->box, lo, hi, xy, xz, yz);
    static const char *names[] = {"Cu", "Zr", "Al"};
    for (int t = 1; t <= ntypes && t <= 3; t++)
        sf_atoms_set_species(a, t, names[t - 1]);
    /* random positions with a minimum separation (a liquid-like sample) */
    size_t placed = 0;
    int tries = 0;
    while (placed < n && tries < 200000) {
        tries++;
        double s[3] = {urand(), urand(), urand()}, r[3];
        sf_box_to_cart(&a->box, s, r);
        int ok = 1;
        for (size_t j = 0; j < placed && ok; j++) {
            /* rounded fractional difference: a cheap, approximate minimum
             * image (only keeps atoms apart; the tests do not rely on it) */
            double d[3] = {r[0] - a->x[3 * j], r[1] - a->x[3 * j + 1],
                           r[2] - a->x[3 * j + 2]};
            double f[3];
            const sf_box *bx = &a->box;
            f[2] = d[2] / bx->len[2];
            f[1] = (d[1] - bx->yz * f[2]) / bx->len[1];
            f[0] = (d[0] - bx->xy * f[1] - bx->xz * f[2]) / bx->len[0];
            for (int k = 0; k < 3; k++)
                f[k] -= floor(f[k] + 0.5);
            double e[3] = {bx->len[0] * f[0] + bx->xy * f[1] + bx->xz * f[2],
                           bx->len[1] * f[1] + bx->yz * f[2], bx->len[2] * f[2]};
            if (e[0] * e[0] + e[1] * e[1] + e[2] * e[2] < dmin * dmin)
                ok = 0;
        }
        if (!ok)
            continue;
        memcpy(a->x + 3 * placed, r, sizeof r);
        a->type[placed] = 1 + (int32_t)(placed % (size_t)ntypes);
        placed++;
    }
    a->n = placed;
    return a;
}

/* Psi by the definition: every image of every atom within the cutoff is a
 * neighbour; every unordered pair of neighbours; pow() and one exp of the
 * summed squares. */
static double *brute(const sf_atoms *a, const sf_angular_params *p)
{
    const int nt = a->ntypes;
    size_t nc = sf_angular_ncols(p, nt);
    size_t per = (size_t)p->nxi * p->nlambda * p->nzeta;
    double *out = calloc(a->n * nc, sizeof *out);
    double w[3];
    sf_box_widths(&a->box, w);
    double rpmax = 1.0;
    if (p->reduced)
        for (int k = 0; k < nt * nt; k++)
            if (p->rp[k] > rpmax)
                rpmax = p->rp[k];
    double rc = p->cutoff * (p->reduced ? rpmax : 1.0);
    long lim[3];
    for (int k = 0; k < 3; k++)
        lim[k] = (long)ceil(rc / w[k]) + 2;
    const sf_box *bx = &a->box;
    size_t cap = 4096;
    double(*nb)[3] = malloc(cap * sizeof *nb);
    int *nbt = malloc(cap * sizeof *nbt);
    for (size_t i = 0; i < a->n; i++) {
        int ti = a->type[i] - 1;
        size_t m = 0;
        for (size_t j = 0; j < a->n; j++) {
            int tj = a->type[j] - 1;
            double rp = p->reduced ? p->rp[ti * nt + tj] : 1.0;
            for (long n2 = -lim[2]; n2 <= lim[2]; n2++)
                for (long n1 = -lim[1]; n1 <= lim[1]; n1++)
                    for (long n0 = -lim[0]; n0 <= lim[0]; n0++) {
                        if (i == j && !n0 && !n1 && !n2)
                            continue;
                        const double *xi = a->x + 3 * i, *xj = a->x + 3 * j;
                        double d[3] = {xj[0] + n0 * bx->len[0] + n1 * bx->xy +
                                           n2 * bx->xz - xi[0],
                                       xj[1] + n1 * bx->len[1] + n2 * bx->yz - xi[1],
                                       xj[2] + n2 * bx->len[2] - xi[2]};
                        double r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
                        if (!(r / rp <= p->cutoff))
                            continue;
                        if (m == cap) {
                            cap *= 2;
                            nb = realloc(nb, cap * sizeof *nb);
                            nbt = realloc(nbt, cap * sizeof *nbt);
                        }
                        memcpy(nb[m], d, sizeof d);
                        nbt[m++] = tj;
                    }
        }
        double *row = out + i * nc;
        for (size_t j = 0; j < m; j++)
            for (size_t k = j + 1; k < m; k++) {
                int b = nbt[j], c = nbt[k];
                double rij = sqrt(nb[j][0] * nb[j][0] + nb[j][1] * nb[j][1] +
                                  nb[j][2] * nb[j][2]);
                double rik = sqrt(nb[k][0] * nb[k][0] + nb[k][1] * nb[k][1] +
                                  nb[k][2] * nb[k][2]);
                double djk[3] = {nb[k][0] - nb[j][0], nb[k][1] - nb[j][1],
                                 nb[k][2] - nb[j][2]};
                double rjk = sqrt(djk[0] * djk[0] + djk[1] * djk[1] +
                                  djk[2] * djk[2]);
                double cs = (nb[j][0] * nb[k][0] + nb[j][1] * nb[k][1] +
                             nb[j][2] * nb[k][2]) / (rij * rik);
                double sij = p->reduced ? p->rp[ti * nt + b] : 1.0;
                double sik = p->reduced ? p->rp[ti * nt + c] : 1.0;
                double sjk = p->reduced ? p->rp[b * nt + c] : 1.0;
                double s2 = (rij / sij) * (rij / sij) + (rik / sik) * (rik / sik) +
                            (rjk / sjk) * (rjk / sjk);
                int lo = b < c ? b : c, hi = b < c ? c : b;
                /* pair index by counting, independent of the library's formula */
                size_t pr = 0;
                for (int u = 0; u < nt; u++)
                    for (int v = u; v < nt; v++) {
                        if (u == lo && v == hi)
                            goto found;
                        pr++;
                    }
            found:
                for (int x = 0; x < p->nxi; x++)
                    for (int l = 0; l < p->nlambda; l++)
                        for (int z = 0; z < p->nzeta; z++) {
                            double base = 1.0 + p->lambda[l] * cs;
                            if (base < 0)
                                base = 0;
                            row[pr * per + ((size_t)x * p->nlambda + l) * p->nzeta + z] +=
                                exp(-s2 / (p->xi[x] * p->xi[x])) *
                                pow(base, p->zeta[z]);
                        }
            }
    }
    free(nb);
    free(nbt);
    return out;
}

/* Every value within 1e-12 relative of the brute-force sum (all terms are
 * >= 0, so the sums are well conditioned), plus 1e-300 for exact zeros. */
static void compare(const char *name, const sf_atoms *a,
                    const sf_angular_params *p)
{
    size_t nc = sf_angular_ncols(p, a->ntypes);
    double *ref = brute(a, p);
    double *got = malloc(a->n * nc * sizeof *got);
    int rc = sf_angular_compute(a, p, got, NULL);
    CHECK_MSG(rc == SF_OK, "%s: %s", name, sf_error_message());
    size_t bad = 0, nonzero = 0;
    double worst = 0, maxv = 0;
    for (size_t k = 0; k < a->n * nc; k++) {
        double err = fabs(got[k] - ref[k]);
        if (!(err <= 1e-12 * fabs(ref[k]) + 1e-300))
            bad++;
        if (ref[k] > 0) {
            nonzero++;
            if (err / ref[k] > worst)
                worst = err / ref[k];
        }
        if (ref[k] > maxv)
            maxv = ref[k];
    }
    CHECK_MSG(bad == 0, "%s: %zu of %zu values off (worst rel. %.3g)", name,
              bad, a->n * nc, worst);
    CHECK_MSG(nonzero > a->n * nc / 2, "%s: only %zu of %zu values non-zero",
              name, nonzero, a->n * nc);
    printf("%-28s n=%zu cols=%zu worst rel. err %.2e (max Psi %.3g)\n", name,
           a->n, nc, worst, maxv);
    float *f = malloc(a->n * nc * sizeof *f);
    CHECK(sf_angular_compute(a, p, NULL, f) == SF_OK);
    size_t fb = 0;
    for (size_t k = 0; k < a->n * nc; k++)
        if (f[k] != (float)got[k])
            fb++;
    CHECK_MSG(fb == 0, "%s: %zu float32 values differ from (float)double", name,
              fb);
    free(f);
    free(ref);
    free(got);
}

static void test_against_brute(void)
{
    double rp2[4] = {2.5, 2.7, 2.7, 3.1};
    sf_angular_params p;
    sf_angular_params_init(&p);
    p.rp = rp2;
    {
        double len[3] = {13.0, 14.0, 15.0};
        sf_atoms *a = random_atoms(150, len, 0, 0, 0, 2, 2.0);
        compare("reduced orthogonal", a, &p);
        sf_atoms_free(a);
    }
    {
        double len[3] = {12.0, 13.0, 14.0};
        sf_atoms *a = random_atoms(130, len, 2.5, -3.0, 1.5, 2, 2.0);
        compare("reduced triclinic", a, &p);
        sf_atoms_free(a);
    }
    {
        /* box narrower than twice the cutoff: images of one atom are
         * several neighbours, an atom sees its own images */
        double len[3] = {6.0, 6.5, 7.0};
        sf_atoms *a = random_atoms(10, len, 1.0, 0.7, -1.2, 2, 2.0);
        sf_angular_params q = p;
        q.cutoff = 1.9;
        compare("reduced tiny triclinic", a, &q);
        sf_atoms_free(a);
    }
    {
        /* three species, Angstrom, non-integer zeta, fractional lambda */
        sf_angular_params q;
        sf_angular_params_init_angstrom(&q);
        q.nlambda = 3;
        q.lambda[2] = 0.5;
        q.nzeta = 5;
        q.zeta[4] = 2.5;
        double len[3] = {11.0, 12.0, 12.5};
        sf_atoms *a = random_atoms(110, len, -2.0, 1.0, 0.5, 3, 2.0);
        compare("angstrom 3 species", a, &q);
        sf_atoms_free(a);
    }
    {
        double len[3] = {5.0, 5.5, 6.0};
        sf_angular_params q;
        sf_angular_params_init_angstrom(&q);
        q.cutoff = 6.0;
        sf_atoms *a = random_atoms(6, len, 0.8, -0.5, 0.3, 2, 2.0);
        compare("angstrom tiny (rc > box)", a, &q);
        sf_atoms_free(a);
    }
}

static void test_names_and_errors(void)
{
    double len[3] = {8, 8, 8};
    sf_atoms *a = random_atoms(20, len, 0, 0, 0, 2, 1.5);
    double rp2[4] = {2.5, 2.7, 2.7, 3.1};
    sf_angular_params p;
    sf_angular_params_init(&p);
    p.rp = rp2;
    CHECK(sf_angular_ncols(&p, 2) == 3 * 3 * 2 * 4);
    char buf[128];
    sf_angular_colname(&p, a, 0, buf, sizeof buf);
    CHECK_MSG(strcmp(buf, "Psi_Cu_Cu_xi1.000_l-1_z1") == 0, "%s", buf);
    sf_angular_colname(&p, a, 24 + 8 + 7, buf, sizeof buf);
    CHECK_MSG(strcmp(buf, "Psi_Cu_Zr_xi1.500_l+1_z16") == 0, "%s", buf);
    sf_angular_colname(&p, a, 71, buf, sizeof buf);
    CHECK_MSG(strcmp(buf, "Psi_Zr_Zr_xi2.000_l+1_z16") == 0, "%s", buf);
    double *out = malloc(a->n * 72 * sizeof *out);
    sf_angular_params q = p;
    q.xi[1] = 0;
    CHECK(sf_angular_compute(a, &q, out, NULL) == SF_ERR);
    CHECK(strstr(sf_error_message(), "xi[2]") != NULL);
    q = p;
    q.lambda[0] = -1.5;
    CHECK(sf_angular_compute(a, &q, out, NULL) == SF_ERR);
    CHECK(strstr(sf_error_message(), "lambda[1]") != NULL);
    q = p;
    q.rp = NULL;
    CHECK(sf_angular_compute(a, &q, out, NULL) == SF_ERR);
    CHECK(strstr(sf_error_message(), "rp") != NULL);
    q = p;
    q.nzeta = 0;
    CHECK(sf_angular_compute(a, &q, out, NULL) == SF_ERR);
    CHECK(sf_angular_compute(a, &p, NULL, NULL) == SF_ERR);
    free(out);
    sf_atoms_free(a);
}

static void test_threads(void)
{
#ifdef _OPENMP
    double rp2[4] = {2.5, 2.7, 2.7, 3.1};
    sf_angular_params p;
    sf_angular_params_init(&p);
    p.rp = rp2;
    double len[3] = {24, 25, 26};
    sf_atoms *a = random_atoms(1000, len, 3.0, -2.0, 1.0, 2, 2.1);
    size_t nc = sf_angular_ncols(&p, 2);
    double *o1 = malloc(a->n * nc * sizeof *o1), *o2 = malloc(a->n * nc * sizeof *o2);
    omp_set_num_threads(1);
    CHECK(sf_angular_compute(a, &p, o1, NULL) == SF_OK);
    omp_set_num_threads(3);
    CHECK(sf_angular_compute(a, &p, o2, NULL) == SF_OK);
    CHECK(memcmp(o1, o2, a->n * nc * sizeof *o1) == 0);
    free(o1);
    free(o2);
    sf_atoms_free(a);
#endif
}

int main(void)
{
    test_against_brute();
    test_names_and_errors();
    test_threads();
    return sf_test_summary();
}
