/* test_rdf_lammps.c - sf_rdf_compute against LAMMPS `compute rdf` on the
 * same configuration (a triclinic two-species sample written here as a
 * LAMMPS data file).  Skipped (77) when /usr/bin/lmp is missing.
 * Both use bins [k dr, (k+1) dr), exact shell volumes and N_b - 1 for like
 * pairs, so g(r) and the running coordination number agree bin by bin. */
#include "sf_test.h"

#include "sf_atoms.h"
#include "sf_error.h"
#include "sf_rdf.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LMP "/usr/bin/lmp"

static uint64_t rng = 0x853C49E6748FEA9Bull;
static double urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

int main(void)
{
    if (access(LMP, X_OK) != 0) {
        printf("skip: %s not found\n", LMP);
        return 77;
    }
    char dir[] = "/tmp/sflex_rdf_lmpXXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    /* a sample with some structure: a jittered simple-cubic lattice */
    size_t m = 11, n = m * m * m;
    double a0 = 2.6;
    sf_atoms *a = sf_atoms_new(n, 2);
    double lo[3] = {-1.0, 0.25, 2.0};
    double hi[3] = {lo[0] + m * a0, lo[1] + m * a0, lo[2] + m * a0};
    sf_box_init(&a->box, lo, hi, 3.1, -2.2, 1.7);
    size_t i = 0;
    for (size_t z = 0; z < m; z++)
        for (size_t y = 0; y < m; y++)
            for (size_t x = 0; x < m; x++, i++) {
                double s[3] = {(x + 0.3 * urand()) / m, (y + 0.3 * urand()) / m,
                               (z + 0.3 * urand()) / m};
                sf_box_to_cart(&a->box, s, a->x + 3 * i);
                a->type[i] = urand() < 0.64 ? 1 : 2;
            }

    char path[512];
    snprintf(path, sizeof path, "%s/sample.data", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "sflex test_rdf_lammps\n\n%zu atoms\n2 atom types\n\n", n);
    fprintf(f, "%.17g %.17g xlo xhi\n%.17g %.17g ylo yhi\n%.17g %.17g zlo zhi\n",
            lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]);
    fprintf(f, "%.17g %.17g %.17g xy xz yz\n\nMasses\n\n1 63.546\n2 91.224\n\n"
               "Atoms # atomic\n\n",
            a->box.xy, a->box.xz, a->box.yz);
    for (size_t k = 0; k < n; k++)
        fprintf(f, "%zu %d %.17g %.17g %.17g\n", k + 1, a->type[k], a->x[3 * k],
                a->x[3 * k + 1], a->x[3 * k + 2]);
    fclose(f);

    const double rc = 6.0, dr = 0.05;
    const int nbins = 120;
    snprintf(path, sizeof path, "%s/in.rdf", dir);
    f = fopen(path, "w");
    fprintf(f,
            "units metal\natom_style atomic\nboundary p p p\n"
            "read_data %s/sample.data\n"
            "pair_style zero %g\npair_coeff * *\nneighbor 0.5 bin\n"
            "compute r all rdf %d 1 1 1 2 2 2 cutoff %g\n"
            "fix f all ave/time 1 1 1 c_r[*] file %s/rdf.out mode vector "
            "format \" %%.17g\"\n"
            "run 0\n",
            dir, rc, nbins, rc, dir);
    fclose(f);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd %s && " LMP " -in in.rdf -log none -screen none -nocite "
             "> lmp.stdout 2>&1",
             dir);
    int st = system(cmd);
    CHECK_MSG(st == 0, "lmp failed (%d), see %s/lmp.stdout", st, dir);

    snprintf(path, sizeof path, "%s/rdf.out", dir);
    f = fopen(path, "r");
    CHECK_MSG(f != NULL, "no %s", path);
    double lg[3][120], lc[3][120], lr[120];
    int rows = 0;
    if (f) {
        char line[4096];
        while (fgets(line, sizeof line, f)) {
            if (line[0] == '#')
                continue;
            int idx;
            double v[7];
            if (sscanf(line, "%d %lf %lf %lf %lf %lf %lf %lf", &idx, v, v + 1,
                       v + 2, v + 3, v + 4, v + 5, v + 6) == 8 &&
                idx >= 1 && idx <= nbins) {
                lr[idx - 1] = v[0];
                for (int p = 0; p < 3; p++) {
                    lg[p][idx - 1] = v[1 + 2 * p];
                    lc[p][idx - 1] = v[2 + 2 * p];
                }
                rows++;
            }
        }
        fclose(f);
    }
    CHECK_MSG(rows == nbins, "read %d rows of LAMMPS output", rows);

    sf_rdf *r = sf_rdf_compute(a, rc, dr, NULL);
    CHECK(r != NULL && r->nbins == (size_t)nbins);
    if (r && rows == nbins) {
        int pairs[3][2] = {{1, 1}, {1, 2}, {2, 2}};
        size_t bad = 0;
        double worst = 0;
        for (int p = 0; p < 3; p++) {
            size_t o = sf_rdf_offset(r, pairs[p][0], pairs[p][1]);
            for (int k = 0; k < nbins; k++) {
                double eg = fabs(r->g[o + k] - lg[p][k]);
                double ec = fabs(r->cn[o + k] - lc[p][k]);
                double sg = 1e-9 * (fabs(lg[p][k]) + 1e-6);
                double sc = 1e-9 * (fabs(lc[p][k]) + 1e-6);
                if (eg > sg || ec > sc) {
                    if (bad < 5)
                        fprintf(stderr, "pair %d bin %d: g %.12g vs %.12g, cn %.12g vs %.12g\n",
                                p, k, r->g[o + k], lg[p][k], r->cn[o + k], lc[p][k]);
                    bad++;
                }
                if (lg[p][k] > 0.1 && eg / lg[p][k] > worst)
                    worst = eg / lg[p][k];
            }
        }
        for (int k = 0; k < nbins; k++)
            if (fabs(lr[k] - r->r[k]) > 1e-12)
                bad++;
        CHECK_MSG(bad == 0, "%zu values differ from LAMMPS compute rdf", bad);
        printf("g(r) vs LAMMPS compute rdf: %d bins x 3 pairs, worst relative "
               "difference %.2e\n",
               nbins, worst);
    }
    sf_rdf_free(r);
    sf_atoms_free(a);
    if (sf_test_fail == 0) {
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", dir);
    }
    return sf_test_summary();
}
