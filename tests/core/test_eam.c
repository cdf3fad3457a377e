/* test_eam.c - EAM energies, forces and per-atom energies against LAMMPS
 * (eam/fs with CuZr_mm, eam/alloy with CuNi), orthogonal and triclinic
 * boxes smaller than twice the cutoff; potential-file errors.
 * Skips (77) when lmp or the lammps-data potentials are missing. */
#include "sf_test.h"
#include "test_eam_util.h"

#include "sf_error.h"

static double max_abs(const double *x, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(x[i]) > m)
            m = fabs(x[i]);
    return m;
}

static void compare_with_lammps(const char *label, sf_atoms *a, const char *file,
                                const char *style, const char *coeff,
                                const char *const *names)
{
    char *dir = tu_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/in.data", dir);
    CHECK(tu_write_data(a, path) == 0);
    size_t n = a->n;
    double *fl = calloc(3 * n, sizeof *fl), *pel = calloc(n, sizeof *pel);
    double *f = calloc(3 * n, sizeof *f), *pe = calloc(n, sizeof *pe);
    double el = 0, e = 0;
    int rc = tu_lmp_forces(dir, style, coeff, n, &el, fl, pel);
    CHECK_MSG(rc == 0, "%s: lmp failed", label);
    sf_eam *p = sf_eam_read(file, SF_EAM_AUTO);
    CHECK_MSG(p != NULL, "%s", sf_error_message());
    int map[8];
    CHECK(sf_eam_type_map(p, a, names, names ? a->ntypes : 0, map) == SF_OK);
    CHECK_MSG(sf_eam_compute(p, a, map, &e, pe, f, NULL) == SF_OK, "%s",
              sf_error_message());
    double fs = max_abs(fl, 3 * n), df = 0, dpe = 0;
    for (size_t k = 0; k < 3 * n; k++)
        df = fmax(df, fabs(f[k] - fl[k]));
    for (size_t i = 0; i < n; i++)
        dpe = fmax(dpe, fabs(pe[i] - pel[i]));
    printf("%s: E sflex %.15g lammps %.15g (rel %.2e); max|dF|/max|F| %.2e (max|F| "
           "%.3g); max|dpe| %.2e\n",
           label, e, el, fabs(e - el) / fabs(el), df / fs, fs, dpe);
    CHECK_MSG(fabs(e - el) <= 1e-10 * fabs(el), "%s energy", label);
    CHECK_MSG(df <= 1e-10 * fs, "%s forces", label);
    CHECK_MSG(dpe <= 1e-10 * fabs(el) / n * 10, "%s per-atom energy", label);
    /* determinism: a second evaluation gives the same bytes */
    double *f2 = calloc(3 * n, sizeof *f2), e2 = 0;
    sf_eam_compute(p, a, map, &e2, NULL, f2, NULL);
    CHECK(e2 == e && memcmp(f, f2, 3 * n * sizeof *f) == 0);
    free(f2);
    sf_eam_free(p);
    free(fl);
    free(pel);
    free(f);
    free(pe);
    tu_rmdir(dir);
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    fputs(text, fp);
    fclose(fp);
}

static void test_errors(void)
{
    char *dir = tu_tmpdir();
    char path[512];
    CHECK(sf_eam_read("/nonexistent/x.eam.fs", SF_EAM_AUTO) == NULL);
    CHECK(strstr(sf_error_message(), "/nonexistent/x.eam.fs") != NULL);

    snprintf(path, sizeof path, "%s/bad.eam.fs", dir);
    write_text(path, "c1\nc2\nc3\n1 Cu\n10 0.1 10 0.1 0.9\n29 63.5 3.6 fcc\n"
                     "1 2 3 4 5 6 7 8 9 10\n1 2 3 x 5 6 7 8 9 10\n");
    CHECK(sf_eam_read(path, SF_EAM_AUTO) == NULL);
    printf("error: %s\n", sf_error_message());
    CHECK(strstr(sf_error_message(), ":8:") != NULL);
    CHECK(strstr(sf_error_message(), "'x'") != NULL);
    CHECK(strstr(sf_error_message(), "rho(r) of Cu") != NULL);

    write_text(path, "c1\nc2\nc3\n1 Cu\n10 0.1 10 0.1 0.9\n29 63.5 3.6 fcc\n"
                     "1 2 3 4 5 6 7 8 9 10\n1 2 3 4 5 6 7 8 9 10\n1 2 3\n");
    CHECK(sf_eam_read(path, SF_EAM_AUTO) == NULL);
    printf("error: %s\n", sf_error_message());
    CHECK(strstr(sf_error_message(), "end of file after 3 of 10") != NULL);
    CHECK(strstr(sf_error_message(), "r*phi(r) of Cu-Cu") != NULL);

    write_text(path, "c1\nc2\nc3\n2 Cu\n");
    CHECK(sf_eam_read(path, SF_EAM_AUTO) == NULL);
    CHECK(strstr(sf_error_message(), ":4:") != NULL);

    /* a valid one-element file is read; unknown species are reported */
    write_text(path, "c1\nc2\nc3\n1 Cu\n10 0.1 10 0.1 0.9\n29 63.5 3.6 fcc\n"
                     "0 -1 -2 -3 -4 -5 -6 -7 -8 -9\n9 8 7 6 5 4 3 2 1 0\n"
                     "9 8 7 6 5 4 3 2 1 0\n");
    sf_eam *p = sf_eam_read(path, SF_EAM_AUTO);
    CHECK_MSG(p != NULL, "%s", sf_error_message());
    if (p) {
        CHECK(sf_eam_nelements(p) == 1);
        CHECK(strcmp(sf_eam_element(p, 0), "Cu") == 0);
        CHECK_NEAR(sf_eam_mass(p, 0), 63.5, 0);
        CHECK_NEAR(sf_eam_cutoff(p), 0.9, 0);
        sf_atoms *a = sf_atoms_new(2, 1);
        sf_atoms_set_species(a, 1, "Ag");
        int map[2];
        CHECK(sf_eam_type_map(p, a, NULL, 0, map) == SF_ERR);
        CHECK(strstr(sf_error_message(), "'Ag'") != NULL);
        sf_atoms_free(a);
        sf_eam_free(p);
    }
    tu_rmdir(dir);
}

int main(void)
{
    test_errors();
    if (!tu_have_lmp() || !tu_have_file(CUZR_FS)) {
        printf("lmp or %s missing: skipping the LAMMPS comparisons\n", CUZR_FS);
        return sf_test_fail ? 1 : 77;
    }
    sf_eam *p = sf_eam_read(CUZR_FS, SF_EAM_AUTO);
    CHECK_MSG(p != NULL, "%s", sf_error_message());
    CHECK(p && sf_eam_kind(p) == SF_EAM_FS && sf_eam_nelements(p) == 2);
    sf_eam_free(p);

    double ortho[3] = {0, 0, 0}, tri[3] = {0.12, -0.07, 0.09};
    sf_atoms *a = tu_random_cuzr(200, 0.058, ortho, 2.1);
    compare_with_lammps("CuZr fs, orthogonal, 200 atoms", a, CUZR_FS, "eam/fs",
                        "* * " CUZR_FS " Cu Zr", NULL);
    sf_atoms_free(a);
    /* strongly compressed: short distances, large densities */
    a = tu_random_cuzr(120, 0.25, ortho, 1.2);
    compare_with_lammps("CuZr fs, compressed x4, 120 atoms", a, CUZR_FS, "eam/fs",
                        "* * " CUZR_FS " Cu Zr", NULL);
    sf_atoms_free(a);
    a = tu_random_cuzr(200, 0.058, tri, 2.1);
    compare_with_lammps("CuZr fs, triclinic, 200 atoms", a, CUZR_FS, "eam/fs",
                        "* * " CUZR_FS " Cu Zr", NULL);
    /* atoms outside the box are wrapped like LAMMPS does */
    for (size_t i = 0; i < a->n; i += 7)
        a->x[3 * i] += 2 * a->box.len[0];
    compare_with_lammps("CuZr fs, triclinic, unwrapped", a, CUZR_FS, "eam/fs",
                        "* * " CUZR_FS " Cu Zr", NULL);
    sf_atoms_free(a);

    const char *alloy = "/usr/share/lammps/potentials/CuNi.eam.alloy";
    if (tu_have_file(alloy)) {
        a = tu_random_cuzr(150, 0.08, tri, 1.9);
        const char *names[2] = {"Cu", "Ni"};
        compare_with_lammps("CuNi alloy, triclinic, 150 atoms", a, alloy, "eam/alloy",
                            "* * /usr/share/lammps/potentials/CuNi.eam.alloy Cu Ni",
                            names);
        sf_atoms_free(a);
    }
    return sf_test_summary();
}
