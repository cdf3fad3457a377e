/* test_art.c - the skin pair-list evaluator (sf_eam_work) against
 * sf_eam_compute, full and local; wrapping of atoms at -0; ART on a
 * vacancy in fcc Cu:
 * the vacancy hop is found, its saddle is a first-order saddle (Lanczos
 * curvature = lowest analytic-Hessian eigenvalue), and the
 * events do not depend on the thread count.  The barrier against LAMMPS
 * NEB is in tests/lua/test_art.lua.  Skips (77) without CuZr_mm. */
#include "sf_test.h"
#include "test_eam_util.h"

#include "sf_art.h"
#include "sf_eigen.h"
#include "sf_error.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static double maxdiff(const double *a, const double *b, size_t n)
{
    double m = 0;
    for (size_t k = 0; k < n; k++)
        m = fmax(m, fabs(a[k] - b[k]));
    return m;
}

static void test_work(const sf_eam *p)
{
    double tilt[3] = {0.05, -0.03, 0.02};
    sf_atoms *a = tu_random_cuzr(300, 0.058, tilt, 2.2);
    int map[3];
    CHECK(sf_eam_type_map(p, a, NULL, 0, map) == SF_OK);
    size_t n = a->n;
    double *f = calloc(3 * n, sizeof *f), *fr = calloc(3 * n, sizeof *fr);
    double *x = malloc(3 * n * sizeof *x), e, er;
    /* full system: same as sf_eam_compute, before and after rebuilds */
    sf_eam_work *w = sf_eam_work_new(p, a, map, NULL, 0.6, NULL, NULL);
    CHECK_MSG(w != NULL, "%s", sf_error_message());
    memcpy(x, a->x, 3 * n * sizeof *x);
    for (int round = 0; round < 3; round++) {
        CHECK(sf_eam_work_compute(w, x, &e, f) == SF_OK);
        memcpy(a->x, x, 3 * n * sizeof *x);
        CHECK(sf_eam_compute(p, a, map, &er, NULL, fr, NULL) == SF_OK);
        CHECK_MSG(fabs(e - er) < 1e-9 * fabs(er), "round %d: %.12g vs %.12g", round, e, er);
        CHECK_MSG(maxdiff(f, fr, 3 * n) < 1e-9, "round %d forces %g", round,
                  maxdiff(f, fr, 3 * n));
        for (size_t k = 0; k < 3 * n; k++) /* up to 0.35 A: past skin/2 */
            x[k] += 0.4 * (tu_rand() - 0.5);
    }
    CHECK(sf_eam_work_builds(w) >= 2);
    sf_eam_work_free(w);
    /* local: atoms within 7 A of atom 0 move; energy is the full energy and
     * forces on them the full forces */
    unsigned char *mob = calloc(n, 1);
    size_t nm = 0;
    for (size_t i = 0; i < n; i++) {
        double d[3] = {a->x[3 * i] - a->x[0], a->x[3 * i + 1] - a->x[1],
                       a->x[3 * i + 2] - a->x[2]};
        sf_box_minimum_image(&a->box, d);
        mob[i] = d[0] * d[0] + d[1] * d[1] + d[2] * d[2] < 49.0;
        nm += mob[i];
    }
    w = sf_eam_work_new(p, a, map, mob, 1.0, NULL, NULL);
    CHECK(w != NULL);
    memcpy(x, a->x, 3 * n * sizeof *x);
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < n; i++)
            if (mob[i])
                for (int d = 0; d < 3; d++)
                    x[3 * i + d] += 0.5 * (tu_rand() - 0.5);
        CHECK(sf_eam_work_compute(w, x, &e, f) == SF_OK);
        sf_atoms *b = sf_atoms_copy(a);
        memcpy(b->x, x, 3 * n * sizeof *x);
        CHECK(sf_eam_compute(p, b, map, &er, NULL, fr, NULL) == SF_OK);
        sf_atoms_free(b);
        double df = 0, fz = 0;
        for (size_t i = 0; i < n; i++)
            for (int d = 0; d < 3; d++)
                if (mob[i])
                    df = fmax(df, fabs(f[3 * i + d] - fr[3 * i + d]));
                else
                    fz = fmax(fz, fabs(f[3 * i + d]));
        CHECK_MSG(fabs(e - er) < 1e-9 * fabs(er), "local %.12g vs %.12g", e, er);
        CHECK_MSG(df < 1e-9, "local forces %g", df);
        CHECK(fz == 0.0);
    }
    printf("work: %zu mobile of %zu, %zu pairs listed\n", nm, n, sf_eam_work_pairs(w));
    sf_eam_work_free(w);
    free(mob);
    free(f);
    free(fr);
    free(x);
    sf_atoms_free(a);
}

/* two lowest eigenvalues of the analytic Hessian (dense) */
static void lowest2(const sf_eam *p, const sf_atoms *a, const int *map, double *w)
{
    sf_bsr *H = sf_eam_hessian(p, a, map, 0);
    size_t n3 = 3 * a->n;
    double *D = calloc(n3 * n3, sizeof *D);
    for (size_t bi = 0; bi < H->n; bi++)
        for (size_t q = H->rowptr[bi]; q < H->rowptr[bi + 1]; q++) {
            size_t bj = (size_t)H->col[q];
            for (int r = 0; r < 3; r++)
                for (int s = 0; s < 3; s++)
                    D[(3 * bj + s) * n3 + 3 * bi + r] = H->val[9 * q + 3 * r + s];
        }
    sf_eigen_dense(n3, D, 1, 2, w, NULL);
    free(D);
    sf_bsr_free(H);
}

/* fcc Cu, nc^3 cells, lattice a0, atom at the origin removed */
static sf_atoms *fcc_vacancy(int nc, double a0)
{
    size_t n = 4 * (size_t)nc * nc * nc - 1;
    sf_atoms *a = sf_atoms_new(n, 1);
    double lo[3] = {0, 0, 0}, hi[3] = {nc * a0, nc * a0, nc * a0};
    sf_box_init(&a->box, lo, hi, 0, 0, 0);
    sf_atoms_set_species(a, 1, "Cu");
    static const double basis[4][3] = {{0, 0, 0}, {0.5, 0.5, 0}, {0.5, 0, 0.5}, {0, 0.5, 0.5}};
    size_t k = 0;
    for (int i = 0; i < nc; i++)
        for (int j = 0; j < nc; j++)
            for (int l = 0; l < nc; l++)
                for (int b = 0; b < 4; b++) {
                    if (!i && !j && !l && !b)
                        continue;
                    a->x[3 * k] = (i + basis[b][0]) * a0;
                    a->x[3 * k + 1] = (j + basis[b][1]) * a0;
                    a->x[3 * k + 2] = (l + basis[b][2]) * a0;
                    k++;
                }
    return a;
}

static void test_vacancy(const sf_eam *p)
{
    sf_atoms *a = fcc_vacancy(3, 3.639);
    int map[2];
    const char *cu[] = {"Cu"};
    CHECK(sf_eam_type_map(p, a, cu, 1, map) == SF_OK);
    sf_art_params par;
    sf_art_defaults(&par);
    double e0;
    int steps;
    CHECK_MSG(sf_art_minimize(p, a, map, &par, 1e-4, 5000, &e0, &steps) == SF_OK, "%s",
              sf_error_message());
    printf("vacancy cell: %zu atoms, E0 %.6f eV after %d FIRE steps\n", a->n, e0, steps);
    /* centre: atom 0 at (0.5, 0.5, 0) a0, a nearest neighbour of the vacancy */
    size_t ctr = 0;
    int nev = 4;
    sf_art_event *ev = calloc((size_t)nev, sizeof *ev), *ev1 = calloc((size_t)nev, sizeof *ev1);
    CHECK_MSG(sf_art_run(p, a, map, &par, &ctr, 1, nev, 1, 2, ev) == SF_OK, "%s",
              sf_error_message());
    CHECK(sf_art_run(p, a, map, &par, &ctr, 1, nev, 0, 1, ev1) == SF_OK);
    int hops = 0;
    for (int k = 0; k < nev; k++) {
        const sf_art_event *e = ev + k;
        printf("event %d: %s %s barrier %.4f relax %.4f lambda %.3f |F| %.3g maxdisp %.3f "
               "ndisp %d calls %ld builds %ld %.2fs\n",
               k, sf_art_status_name(e->status), e->why, e->barrier, e->relaxation,
               e->eigenvalue, e->saddle_force, e->max_disp, e->ndisplaced, e->force_calls,
               e->builds, e->seconds);
        /* thread count does not matter */
        CHECK(ev1[k].status == e->status && ev1[k].force_calls == e->force_calls);
        CHECK(memcmp(&ev1[k].barrier, &e->barrier, sizeof(double)) == 0 || isnan(e->barrier));
        if (e->status == SF_ART_NEW_MINIMUM || e->status == SF_ART_RETURNED) {
            CHECK(e->eigenvalue < par.eig_threshold);
            CHECK(e->saddle_force < par.force_tol);
            CHECK(e->e_final < e->e_saddle);
        }
        if (e->status != SF_ART_NEW_MINIMUM)
            continue;
        /* the atom that moved most jumped into the vacancy at the origin? */
        const double *xm = e->x_final + 3 * e->max_atom;
        double d[3] = {xm[0], xm[1], xm[2]};
        sf_box_minimum_image(&a->box, d);
        double r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        if (r < 0.3) {
            hops++;
            /* symmetric hop: the final minimum is the initial one relabelled */
            CHECK_NEAR(e->relaxation, 0.0, 1e-4);
            CHECK(e->barrier > 0.3 && e->barrier < 1.5);
            if (hops == 1) { /* a first-order saddle: one negative eigenvalue */
                sf_atoms *s = sf_atoms_copy(a);
                memcpy(s->x, e->x_saddle, 3 * a->n * sizeof(double));
                double l2[2];
                lowest2(p, s, map, l2);
                printf("saddle: Lanczos %.4f, analytic Hessian %.4f then %.4f eV/A^2\n",
                       e->eigenvalue, l2[0], l2[1]);
                CHECK_MSG(fabs(e->eigenvalue - l2[0]) < 0.02 * fabs(l2[0]), "%g vs %g",
                          e->eigenvalue, l2[0]);
                CHECK(l2[1] > -1e-6);
                sf_atoms_free(s);
            }
        }
    }
    CHECK_MSG(hops >= 1, "no vacancy hop among %d events", nev);
    sf_art_free_events(ev, (size_t)nev);
    free(ev);
    free(ev1);
    sf_atoms_free(a);
}

/* an atom a rounding error below 0 (FIRE leaves such positions): the wrapped
 * fractional coordinate rounds to 1.0 and must map to 0, not to the far side */
static void test_wrap(const sf_eam *p)
{
    sf_atoms *a = fcc_vacancy(3, 3.639);
    int map[2] = {0, 0};
    double e1, e2;
    a->x[3] = a->x[4] = a->x[5] = 0.0; /* atom 1 into the vacancy at the origin */
    CHECK(sf_eam_compute(p, a, map, &e1, NULL, NULL, NULL) == SF_OK);
    a->x[3] = -5.2e-16;
    CHECK(sf_eam_compute(p, a, map, &e2, NULL, NULL, NULL) == SF_OK);
    CHECK_MSG(fabs(e1 - e2) < 1e-9, "%.12g vs %.12g", e1, e2);
    sf_atoms_free(a);
}

int main(void)
{
    if (!tu_have_file(CUZR_FS)) {
        printf("skip: %s missing\n", CUZR_FS);
        return 77;
    }
    sf_eam *p = sf_eam_read(CUZR_FS, SF_EAM_AUTO);
    CHECK(p != NULL);
    test_work(p);
    test_wrap(p);
    test_vacancy(p);
    sf_eam_free(p);
    return sf_test_summary();
}
