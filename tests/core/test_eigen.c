/* test_eigen.c - lowest normal modes (dense dsyevr and ARPACK+CHOLMOD
 * shift-invert) of an EAM inherent structure against the full dense
 * spectrum; translations removed; residuals; participation; harmonic MSD
 * against the eigen-sum; failures on a structure that is not a minimum. */
#include "sf_test.h"
#include "test_eam_util.h"

#include "sf_eigen.h"
#include "sf_error.h"
#include "sf_sparse.h"

static sf_atoms *load_is(void)
{
    const char *src = getenv("SFLEX_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/cuzr_is250.data", src ? src : "../..");
    sf_atoms *a = tu_read_data(path);
    if (!a)
        fprintf(stderr, "cannot read %s\n", path);
    return a;
}

/* residual max|D v - lambda v| of mode m */
static double residual(const sf_bsr *H, const double *mass, const double *v, double lam)
{
    size_t n3 = 3 * H->n;
    double *x = calloc(n3, sizeof *x), *y = calloc(n3, sizeof *y), r = 0;
    for (size_t i = 0; i < n3; i++)
        x[i] = v[i] / sqrt(mass[i / 3]);
    sf_bsr_matvec(H, x, y);
    for (size_t i = 0; i < n3; i++)
        r = fmax(r, fabs(y[i] / sqrt(mass[i / 3]) - lam * v[i]));
    free(x);
    free(y);
    return r;
}

int main(void)
{
    if (!tu_have_file(CUZR_FS)) {
        printf("%s missing: skipped\n", CUZR_FS);
        return 77;
    }
    sf_atoms *a = load_is();
    CHECK(a != NULL);
    if (!a)
        return sf_test_summary();
    sf_eam *p = sf_eam_read(CUZR_FS, SF_EAM_AUTO);
    int map[3];
    CHECK(sf_eam_type_map(p, a, NULL, 0, map) == SF_OK);
    size_t n = a->n, n3 = 3 * n;
    double *f = malloc(n3 * sizeof *f), fmaxv = 0;
    CHECK(sf_eam_compute(p, a, map, NULL, NULL, f, NULL) == SF_OK);
    for (size_t i = 0; i < n3; i++)
        fmaxv = fmax(fmaxv, fabs(f[i]));
    printf("inherent structure: %zu atoms, max|F| %.2e eV/A\n", n, fmaxv);
    CHECK(fmaxv < 1e-6);
    double *mass = malloc(n * sizeof *mass);
    CHECK(sf_eam_atom_masses(p, a, map, mass) == SF_OK);
    CHECK(mass[0] == 63.546 || mass[0] == 91.224);
    sf_bsr *H = sf_eam_hessian(p, a, map, 1);
    CHECK(H != NULL);

    /* the full spectrum of D, dense */
    double *A = malloc(n3 * n3 * sizeof *A), *wall = malloc(n3 * sizeof *wall);
    double *s = malloc(n3 * sizeof *s);
    for (size_t i = 0; i < n3; i++)
        s[i] = 1.0 / sqrt(mass[i / 3]);
    sf_bsr_to_dense(H, s, A, n3);
    CHECK(sf_eigen_dense(n3, A, 1, n3, wall, NULL) == SF_OK);
    printf("D spectrum: %.3e %.3e %.3e | %.6e %.6e ... %.6e (eV/A^2/amu)\n", wall[0],
           wall[1], wall[2], wall[3], wall[4], wall[n3 - 1]);
    for (int c = 0; c < 3; c++)
        CHECK(fabs(wall[c]) < 1e-9 * wall[n3 - 1]);
    CHECK(wall[3] > 1e-4 * wall[n3 - 1]); /* a minimum: no soft negatives */

    size_t k = 20;
    double *ed = malloc(k * sizeof *ed), *es = malloc(k * sizeof *es);
    double *vd = malloc(k * n3 * sizeof *vd), *vs = malloc(k * n3 * sizeof *vs);
    sf_modes_opts o = {.k = k, .mass = mass, .method = SF_EIGEN_DENSE};
    sf_modes_info info;
    CHECK_MSG(sf_eigen_modes(H, &o, ed, vd, &info) == SF_OK, "%s", sf_error_message());
    printf("dense: %.3f s\n", info.seconds);
    const int engines[2] = {SF_EIGEN_SPARSE, SF_EIGEN_BLOCK};
    const char *ename[2] = {"sparse (ARPACK)", "block Lanczos"};
    for (int eng = 0; eng < 2; eng++) {
    o.method = engines[eng];
    CHECK_MSG(sf_eigen_modes(H, &o, es, vs, &info) == SF_OK, "%s", sf_error_message());
    printf("%s: %.3f s, sigma %.3g, %d solves, %d restarts/blocks, factor nnz %.3g\n",
           ename[eng], info.seconds, info.sigma, info.op_applies, info.restarts,
           info.factor_nnz);
    double de = 0, dv = 0, rmax = 0, tr = 0;
    for (size_t m = 0; m < k; m++) {
        de = fmax(de, fabs(ed[m] - wall[m + 3]) / wall[m + 3]);
        de = fmax(de, fabs(es[m] - wall[m + 3]) / wall[m + 3]);
        double dot = 0;
        for (size_t i = 0; i < n3; i++)
            dot += vd[m * n3 + i] * vs[m * n3 + i];
        dv = fmax(dv, fabs(1.0 - dot));
        rmax = fmax(rmax, residual(H, mass, vd + m * n3, ed[m]));
        rmax = fmax(rmax, residual(H, mass, vs + m * n3, es[m]));
        for (int c = 0; c < 3; c++) {
            double t = 0;
            for (size_t at = 0; at < n; at++)
                t += sqrt(mass[at]) * vs[m * n3 + 3 * at + c];
            tr = fmax(tr, fabs(t));
        }
    }
    printf("%s: lowest %zu modes: nu %.4f .. %.4f THz; max rel dev from full spectrum "
           "%.2e; 1 - <dense,this> %.2e; residual %.2e; translation overlap %.2e\n",
           ename[eng], k, SF_EIGEN_THZ * sqrt(ed[0]), SF_EIGEN_THZ * sqrt(ed[k - 1]), de, dv,
           rmax, tr);
    CHECK(de < 1e-9);
    CHECK(dv < 1e-8);
    CHECK(rmax < 1e-8 * wall[n3 - 1]);
    CHECK(tr < 1e-8);
    }
    for (size_t m = 1; m < k; m++)
        CHECK(ed[m] >= ed[m - 1]);

    /* participation */
    double *pp = malloc(n * sizeof *pp), sum = 0, pmin = 1e300;
    sf_eigen_participation(n, k, vs, pp);
    for (size_t i = 0; i < n; i++) {
        sum += pp[i];
        pmin = fmin(pmin, pp[i]);
    }
    CHECK_NEAR(sum, (double)k, 1e-10);
    CHECK(pmin >= 0);

    /* deterministic: the same call gives the same bytes */
    double *es2 = malloc(k * sizeof *es2), *vs2 = malloc(k * n3 * sizeof *vs2);
    CHECK(sf_eigen_modes(H, &o, es2, vs2, NULL) == SF_OK);
    CHECK(memcmp(es, es2, k * sizeof *es) == 0 && memcmp(vs, vs2, k * n3 * sizeof *vs) == 0);

    /* keep_translations: the 3 zero modes come first */
    o.keep_translations = 1;
    o.method = SF_EIGEN_DENSE;
    CHECK(sf_eigen_modes(H, &o, es2, NULL, NULL) == SF_OK);
    CHECK(fabs(es2[0]) < 1e-9 * wall[n3 - 1] && fabs(es2[3] - wall[3]) < 1e-9 * wall[3]);
    o.keep_translations = 0;

    /* harmonic MSD against the eigen-sum over the bare Hessian */
    double T = 300;
    double *msd = malloc(n * sizeof *msd), *ref = calloc(n, sizeof *ref);
    CHECK_MSG(sf_eigen_harmonic_msd(H, T, SF_EIGEN_AUTO, msd, &info) == SF_OK, "%s",
              sf_error_message());
    double *Z = malloc(n3 * n3 * sizeof *Z);
    sf_bsr_to_dense(H, NULL, A, n3);
    CHECK(sf_eigen_dense(n3, A, 1, n3, wall, Z) == SF_OK);
    for (size_t m = 3; m < n3; m++)
        for (size_t i = 0; i < n; i++) {
            const double *v = Z + m * n3 + 3 * i;
            ref[i] += SF_KB_EV * T * (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]) / wall[m];
        }
    double dmsd = 0, mmean = 0;
    for (size_t i = 0; i < n; i++) {
        dmsd = fmax(dmsd, fabs(msd[i] - ref[i]) / ref[i]);
        mmean += msd[i] / n;
    }
    printf("harmonic MSD at %g K: mean %.5f A^2, max rel dev from eigen-sum %.2e (%.3f s)\n",
           T, mmean, dmsd, info.seconds);
    CHECK(dmsd < 1e-8);
    CHECK(mmean > 1e-3 && mmean < 0.1);
    CHECK(info.method == SF_EIGEN_DENSE); /* 250 atoms: below the auto crossover */

    /* sparse path (pinned atom + selected inverse): same numbers, from the
     * full (upper) and the full-storage Hessian; deterministic */
    double *msds = malloc(n * sizeof *msds), *msds2 = malloc(n * sizeof *msds2);
    CHECK_MSG(sf_eigen_harmonic_msd(H, T, SF_EIGEN_SPARSE, msds, &info) == SF_OK, "%s",
              sf_error_message());
    CHECK(info.method == SF_EIGEN_SPARSE && info.factor_nnz > 0);
    double dsd = 0, dse = 0;
    for (size_t i = 0; i < n; i++) {
        dsd = fmax(dsd, fabs(msds[i] - msd[i]) / msd[i]);
        dse = fmax(dse, fabs(msds[i] - ref[i]) / ref[i]);
    }
    printf("sparse harmonic MSD: max rel dev from dense %.2e, from eigen-sum %.2e "
           "(%.3f s, factor %.3f s, %.3g entries)\n", dsd, dse, info.seconds,
           info.factor_seconds, info.factor_nnz);
    CHECK(dsd < 1e-8);
    CHECK(dse < 1e-8);
    CHECK(sf_eigen_harmonic_msd(H, T, SF_EIGEN_SPARSE, msds2, NULL) == SF_OK);
    CHECK(memcmp(msds, msds2, n * sizeof *msds) == 0);
    sf_bsr *Hf = sf_eam_hessian(p, a, map, 0);
    CHECK(Hf != NULL && !Hf->upper);
    CHECK(sf_eigen_harmonic_msd(Hf, T, SF_EIGEN_SPARSE, msds2, NULL) == SF_OK);
    double dfu = 0;
    for (size_t i = 0; i < n; i++)
        dfu = fmax(dfu, fabs(msds2[i] - msds[i]) / msds[i]);
    CHECK(dfu < 1e-12);
    /* T = 0: all zero */
    CHECK(sf_eigen_harmonic_msd(H, 0, SF_EIGEN_SPARSE, msds2, NULL) == SF_OK);
    CHECK(msds2[0] == 0 && msds2[n - 1] == 0);
    sf_bsr_free(Hf);
    free(msds);
    free(msds2);

    /* a random (not minimised) structure: MSD refuses, modes still agree */
    double ortho[3] = {0, 0, 0};
    sf_atoms *r = tu_random_cuzr(120, 0.058, ortho, 2.2);
    sf_bsr *Hr = sf_eam_hessian(p, r, map, 1);
    double *mr = malloc(r->n * sizeof *mr);
    CHECK(sf_eigen_harmonic_msd(Hr, T, SF_EIGEN_DENSE, mr, NULL) == SF_ERR);
    printf("random structure: %s\n", sf_error_message());
    CHECK(strstr(sf_error_message(), "not at an energy minimum") != NULL);
    CHECK(sf_eigen_harmonic_msd(Hr, T, SF_EIGEN_SPARSE, mr, NULL) == SF_ERR);
    printf("random structure (sparse MSD): %s\n", sf_error_message());
    CHECK(strstr(sf_error_message(), "not at an energy minimum") != NULL);
    double *mrm = malloc(r->n * sizeof *mrm);
    sf_eam_atom_masses(p, r, map, mrm);
    sf_modes_opts orr = {.k = 8, .mass = mrm, .method = SF_EIGEN_DENSE};
    double e1[8], e2[8];
    CHECK(sf_eigen_modes(Hr, &orr, e1, NULL, NULL) == SF_OK);
    orr.method = SF_EIGEN_SPARSE;
    CHECK_MSG(sf_eigen_modes(Hr, &orr, e2, NULL, &info) == SF_OK, "%s", sf_error_message());
    printf("random structure: lowest eigenvalue %.4g (dense) %.4g (sparse, sigma %.3g after "
           "%d factorisations)\n", e1[0], e2[0], info.sigma, info.factor_tries);
    CHECK(e1[0] < 0);
    for (int m = 0; m < 8; m++)
        CHECK(fabs(e1[m] - e2[m]) < 1e-8 * fabs(e1[0]));
    orr.method = SF_EIGEN_BLOCK;
    CHECK_MSG(sf_eigen_modes(Hr, &orr, e2, NULL, &info) == SF_OK, "%s", sf_error_message());
    for (int m = 0; m < 8; m++)
        CHECK(fabs(e1[m] - e2[m]) < 1e-8 * fabs(e1[0]));

    /* argument errors */
    o.k = n3;
    CHECK(sf_eigen_modes(H, &o, es, NULL, NULL) == SF_ERR);
    CHECK(strstr(sf_error_message(), "translations removed") != NULL);

    free(mr);
    free(mrm);
    sf_bsr_free(Hr);
    sf_atoms_free(r);
    free(Z);
    free(msd);
    free(ref);
    free(es2);
    free(vs2);
    free(pp);
    free(ed);
    free(es);
    free(vd);
    free(vs);
    free(A);
    free(wall);
    free(s);
    free(f);
    free(mass);
    sf_bsr_free(H);
    sf_eam_free(p);
    sf_atoms_free(a);
    return sf_test_summary();
}
