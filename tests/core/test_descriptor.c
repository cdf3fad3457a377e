/* test_descriptor.c - radial structure functions (eq. 5) against the full
 * sum over all neighbours found by brute force (every atom, every image
 * shift), on small periodic boxes; reduced and Angstrom units; float32
 * output; column names; thread determinism; coarse-graining.  The whole
 * test runs twice: with the AVX2 kernel (when the CPU has it) and with the
 * generic one (SF_NO_AVX2=1, in a child process). */
#include "sf_test.h"

#include "sf_atoms.h"
#include "sf_descriptor.h"
#include "sf_error.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* The full sum of eq. 5 over every image of every atom. */
static double *brute(const sf_atoms *a, const sf_descriptor_params *p)
{
    const int nt = a->ntypes;
    size_t ng = sf_descriptor_ngrid(p), nc = sf_descriptor_ncols(p, nt);
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
    for (size_t i = 0; i < a->n; i++) {
        double *row = out + i * nc;
        int ti = a->type[i] - 1;
        for (size_t j = 0; j < a->n; j++) {
            int tj = a->type[j] - 1;
            double rp = p->reduced ? p->rp[ti * nt + tj] : 1.0;
            for (long n2 = -lim[2]; n2 <= lim[2]; n2++)
                for (long n1 = -lim[1]; n1 <= lim[1]; n1++)
                    for (long n0 = -lim[0]; n0 <= lim[0]; n0++) {
                        if (i == j && !n0 && !n1 && !n2)
                            continue;
                        const double *xi = a->x + 3 * i, *xj = a->x + 3 * j;
                        double dx = xj[0] + n0 * bx->len[0] + n1 * bx->xy +
                                    n2 * bx->xz - xi[0];
                        double dy = xj[1] + n1 * bx->len[1] + n2 * bx->yz - xi[1];
                        double dz = xj[2] + n2 * bx->len[2] - xi[2];
                        double rb = sqrt(dx * dx + dy * dy + dz * dz) / rp;
                        if (!(rb <= p->cutoff))
                            continue;
                        for (size_t k = 0; k < ng; k++) {
                            double d = p->r0 + (double)k * p->h - rb;
                            /* beyond 40 sigma the term is 0 in double */
                            if (fabs(d) < 40 * p->sigma)
                                row[(size_t)tj * ng + k] +=
                                    exp(-d * d / (2 * p->sigma * p->sigma));
                        }
                    }
        }
        row[nc - 1] = 1.0;
    }
    return out;
}

/* Every value within 1e-12 relative of the full sum, plus an absolute
 * 1e-15 (the 9-sigma truncation drops < 2.6e-18 per neighbour). */
static void compare(const char *name, const sf_atoms *a,
                    const sf_descriptor_params *p)
{
    size_t nc = sf_descriptor_ncols(p, a->ntypes);
    double *ref = brute(a, p);
    double *got = malloc(a->n * nc * sizeof *got);
    int rc = sf_descriptor_compute(a, p, got, NULL);
    CHECK_MSG(rc == SF_OK, "%s: %s", name, sf_error_message());
    size_t bad = 0;
    double worst = 0, maxv = 0;
    for (size_t k = 0; k < a->n * nc; k++) {
        double err = fabs(got[k] - ref[k]);
        double tol = 1e-12 * fabs(ref[k]) + 1e-15;
        if (!(err <= tol))
            bad++;
        if (fabs(ref[k]) > 1e-3 && err / fabs(ref[k]) > worst)
            worst = err / fabs(ref[k]);
        if (ref[k] > maxv)
            maxv = ref[k];
    }
    CHECK_MSG(bad == 0, "%s: %zu of %zu values off", name, bad, a->n * nc);
    CHECK_MSG(maxv > 1.0, "%s: descriptors are all small (%g): no neighbours?",
              name, maxv);
    printf("%-26s n=%zu cols=%zu worst rel. err %.2e (max G %.3g)\n", name,
           a->n, nc, worst, maxv);

    /* float32 output: the double values rounded */
    float *f = malloc(a->n * nc * sizeof *f);
    CHECK(sf_descriptor_compute(a, p, NULL, f) == SF_OK);
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
    sf_descriptor_params p;
    sf_descriptor_params_init(&p);
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
        /* box smaller than twice the cutoff: many images of each atom */
        double len[3] = {6.5, 7.0, 7.5};
        sf_atoms *a = random_atoms(14, len, 1.0, 0.7, -1.2, 2, 2.0);
        compare("reduced tiny triclinic", a, &p);
        sf_atoms_free(a);
    }
    {
        double rp3[9] = {2.5, 2.6, 2.8, 2.6, 3.0, 2.9, 2.8, 2.9, 3.2};
        sf_descriptor_params q = p;
        q.rp = rp3;
        double len[3] = {12.0, 12.5, 13.0};
        sf_atoms *a = random_atoms(120, len, -2.0, 1.0, 0.5, 3, 2.0);
        compare("reduced 3 species", a, &q);
        sf_atoms_free(a);
    }
    {
        sf_descriptor_params q;
        sf_descriptor_params_init_angstrom(&q);
        double len[3] = {12.0, 13.0, 14.0};
        sf_atoms *a = random_atoms(130, len, 1.5, -2.0, 2.5, 2, 2.0);
        compare("angstrom triclinic", a, &q);
        sf_atoms_free(a);
    }
    {
        /* an odd grid: start not on the window lattice, sigma != step */
        sf_descriptor_params q = p;
        q.r0 = 0.37;
        q.r1 = 2.81;
        q.h = 0.031;
        q.sigma = 0.07;
        double len[3] = {12.0, 13.0, 14.0};
        sf_atoms *a = random_atoms(120, len, 0.5, 0.5, -0.5, 2, 2.0);
        compare("reduced odd grid", a, &q);
        sf_atoms_free(a);
    }
    {
        /* coarse grid (step 8 sigma): the direct evaluation path */
        sf_descriptor_params q = p;
        q.h = 0.4;
        q.sigma = 0.05;
        double len[3] = {12.0, 13.0, 14.0};
        sf_atoms *a = random_atoms(100, len, 0, 0, 0, 2, 2.0);
        compare("reduced coarse grid", a, &q);
        sf_atoms_free(a);
    }
}

static void test_names_and_errors(void)
{
    double rp2[4] = {2.5, 2.7, 2.7, 3.1};
    sf_descriptor_params p;
    sf_descriptor_params_init(&p);
    p.rp = rp2;
    CHECK(sf_descriptor_ngrid(&p) == 49);
    CHECK(sf_descriptor_ncols(&p, 2) == 99);
    double len[3] = {10, 10, 10};
    sf_atoms *a = random_atoms(10, len, 0, 0, 0, 2, 1.0);
    char buf[64];
    sf_descriptor_colname(&p, a, 0, buf, sizeof buf);
    CHECK(strcmp(buf, "G_Cu_0.600") == 0);
    sf_descriptor_colname(&p, a, 48, buf, sizeof buf);
    CHECK(strcmp(buf, "G_Cu_3.000") == 0);
    sf_descriptor_colname(&p, a, 49, buf, sizeof buf);
    CHECK(strcmp(buf, "G_Zr_0.600") == 0);
    sf_descriptor_colname(&p, a, 98, buf, sizeof buf);
    CHECK(strcmp(buf, "bias") == 0);
    sf_atoms_set_species(a, 2, NULL);
    sf_descriptor_colname(&p, a, 50, buf, sizeof buf);
    CHECK(strcmp(buf, "G_2_0.650") == 0);

    double *out = malloc(a->n * 99 * sizeof *out);
    double bad[4] = {2.5, 2.7, 2.8, 3.1};
    sf_descriptor_params q = p;
    q.rp = bad;
    CHECK(sf_descriptor_compute(a, &q, out, NULL) == SF_ERR);
    CHECK(strstr(sf_error_message(), "symmetric") != NULL);
    q = p;
    q.rp = NULL;
    CHECK(sf_descriptor_compute(a, &q, out, NULL) == SF_ERR);
    q = p;
    q.sigma = 0;
    CHECK(sf_descriptor_compute(a, &q, out, NULL) == SF_ERR);
    CHECK(strstr(sf_error_message(), "sigma") != NULL);
    q = p;
    q.h = -0.1;
    CHECK(sf_descriptor_compute(a, &q, out, NULL) == SF_ERR);
    CHECK(sf_descriptor_compute(a, &p, NULL, NULL) == SF_ERR);
    free(out);
    sf_atoms_free(a);
}

static void test_threads(void)
{
#ifdef _OPENMP
    double rp2[4] = {2.5, 2.7, 2.7, 3.1};
    sf_descriptor_params p;
    sf_descriptor_params_init(&p);
    p.rp = rp2;
    double len[3] = {30, 31, 32};
    sf_atoms *a = random_atoms(1800, len, 3.0, -2.0, 1.0, 2, 2.1);
    size_t nc = sf_descriptor_ncols(&p, 2);
    double *o1 = malloc(a->n * nc * sizeof *o1), *o2 = malloc(a->n * nc * sizeof *o2);
    omp_set_num_threads(1);
    CHECK(sf_descriptor_compute(a, &p, o1, NULL) == SF_OK);
    omp_set_num_threads(2);
    CHECK(sf_descriptor_compute(a, &p, o2, NULL) == SF_OK);
    CHECK(memcmp(o1, o2, a->n * nc * sizeof *o1) == 0);
    free(o1);
    free(o2);
    sf_atoms_free(a);
#endif
}

static void test_coarse_grain(void)
{
    double len[3] = {9, 10, 11};
    sf_atoms *a = random_atoms(120, len, 1.0, 0.0, -1.0, 2, 1.5);
    double *v = malloc(a->n * sizeof *v), *cg = malloc(a->n * sizeof *cg);
    for (size_t i = 0; i < a->n; i++)
        v[i] = sin((double)i);
    CHECK(sf_coarse_grain(a, v, 3.2, cg) == SF_OK);
    size_t bad = 0;
    for (size_t i = 0; i < a->n; i++) {
        double sum = v[i];
        int cnt = 1;
        for (size_t j = 0; j < a->n; j++)
            for (int n2 = -1; n2 <= 1; n2++)
                for (int n1 = -1; n1 <= 1; n1++)
                    for (int n0 = -1; n0 <= 1; n0++) {
                        if (i == j && !n0 && !n1 && !n2)
                            continue;
                        const sf_box *b = &a->box;
                        double dx = a->x[3 * j] + n0 * b->len[0] + n1 * b->xy +
                                    n2 * b->xz - a->x[3 * i];
                        double dy = a->x[3 * j + 1] + n1 * b->len[1] +
                                    n2 * b->yz - a->x[3 * i + 1];
                        double dz = a->x[3 * j + 2] + n2 * b->len[2] - a->x[3 * i + 2];
                        if (dx * dx + dy * dy + dz * dz < 3.2 * 3.2) {
                            sum += v[j];
                            cnt++;
                        }
                    }
        if (fabs(sum / cnt - cg[i]) > 1e-12)
            bad++;
    }
    CHECK_MSG(bad == 0, "coarse_grain: %zu atoms off", bad);
    /* a 3-column matrix: each column the same bytes as the Vector form */
    double *m3 = malloc(a->n * 3 * sizeof *m3), *o3 = malloc(a->n * 3 * sizeof *o3);
    for (size_t i = 0; i < a->n; i++) {
        m3[3 * i] = cos((double)i);
        m3[3 * i + 1] = v[i];
        m3[3 * i + 2] = (double)a->type[i];
    }
    CHECK(sf_coarse_grain_cols(a, m3, 3, 3.2, o3) == SF_OK);
    size_t diff = 0;
    for (size_t i = 0; i < a->n; i++)
        diff += memcmp(&o3[3 * i + 1], &cg[i], sizeof *cg) != 0;
    CHECK_MSG(diff == 0, "coarse_grain_cols: %zu rows differ from the Vector form", diff);
    double *c0 = malloc(a->n * sizeof *c0), *g0 = malloc(a->n * sizeof *g0);
    for (size_t i = 0; i < a->n; i++)
        c0[i] = m3[3 * i];
    CHECK(sf_coarse_grain(a, c0, 3.2, g0) == SF_OK);
    diff = 0;
    for (size_t i = 0; i < a->n; i++)
        diff += memcmp(&o3[3 * i], &g0[i], sizeof *g0) != 0;
    CHECK_MSG(diff == 0, "coarse_grain_cols: column 1 differs (%zu rows)", diff);
    CHECK(sf_coarse_grain_cols(a, m3, 0, 3.2, o3) == SF_ERR);
    free(m3);
    free(o3);
    free(c0);
    free(g0);
    free(v);
    free(cg);
    sf_atoms_free(a);
}

int main(int argc, char **argv)
{
    const char *child = getenv("SF_TEST_GENERIC");
    printf("kernel: %s\n", child ? "generic (SF_NO_AVX2=1)" : "default");
    test_against_brute();
    test_names_and_errors();
    test_threads();
    test_coarse_grain();
    int fail = sf_test_summary();
    if (!child && argc >= 1) {
        /* again with the generic kernel */
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            setenv("SF_NO_AVX2", "1", 1);
            setenv("SF_TEST_GENERIC", "1", 1);
            execv("/proc/self/exe", argv);
            _exit(127);
        }
        int st = 0;
        if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
            WEXITSTATUS(st) != 0) {
            fprintf(stderr, "generic-kernel run failed\n");
            fail = 1;
        }
    }
    return fail;
}
