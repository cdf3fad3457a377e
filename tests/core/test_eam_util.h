/* test_eam_util.h - shared helpers of the EAM / eigen tests: random Cu-Zr
 * configurations, a minimal LAMMPS data-file writer and reader, and running
 * LAMMPS (lmp) for reference energies, forces and minimisations. */
#ifndef TEST_EAM_UTIL_H
#define TEST_EAM_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sf_atoms.h"
#include "sf_eam.h"

#define CUZR_FS "/usr/share/lammps/potentials/CuZr_mm.eam.fs"

static unsigned long long tu_rng = 88172645463325252ULL;
static inline double tu_rand(void)
{
    tu_rng ^= tu_rng << 13;
    tu_rng ^= tu_rng >> 7;
    tu_rng ^= tu_rng << 17;
    return (double)(tu_rng >> 11) / 9007199254740992.0;
}

static inline int tu_have_lmp(void)
{
    return system("command -v lmp >/dev/null 2>&1") == 0;
}

static inline int tu_have_file(const char *path)
{
    return access(path, R_OK) == 0;
}

/* n random atoms (type 1 Cu, 2 Zr, half each) at number density dens in a
 * box with tilts (relative to the box length), no pair closer than dmin. */
static inline sf_atoms *tu_random_cuzr(size_t n, double dens, double tilt[3], double dmin)
{
    sf_atoms *a = sf_atoms_new(n, 2);
    double L = cbrt((double)n / dens);
    double lo[3] = {0.3, -0.2, 0.1}, hi[3] = {0.3 + L, -0.2 + L, 0.1 + L};
    sf_box_init(&a->box, lo, hi, tilt[0] * L, tilt[1] * L, tilt[2] * L);
    sf_atoms_set_species(a, 1, "Cu");
    sf_atoms_set_species(a, 2, "Zr");
    sf_atoms_ensure_masses(a);
    a->mass[0] = 63.546;
    a->mass[1] = 91.224;
    for (size_t i = 0; i < n; i++) {
        a->type[i] = (int32_t)(i % 2 ? 2 : 1);
        for (int tries = 0;; tries++) {
            double s[3] = {tu_rand(), tu_rand(), tu_rand()}, r[3];
            sf_box_to_cart(&a->box, s, r);
            int ok = 1;
            for (size_t j = 0; j < i && ok; j++) {
                double d[3] = {r[0] - a->x[3 * j], r[1] - a->x[3 * j + 1], r[2] - a->x[3 * j + 2]};
                sf_box_minimum_image(&a->box, d);
                if (d[0] * d[0] + d[1] * d[1] + d[2] * d[2] < dmin * dmin)
                    ok = 0;
            }
            if (ok || tries > 10000) {
                memcpy(a->x + 3 * i, r, sizeof r);
                break;
            }
        }
    }
    return a;
}

static inline int tu_write_data(const sf_atoms *a, const char *path)
{
    FILE *fp = fopen(path, "w");
    if (!fp)
        return -1;
    const sf_box *b = &a->box;
    fprintf(fp, "test configuration\n\n%zu atoms\n%d atom types\n\n", a->n, a->ntypes);
    fprintf(fp, "%.17g %.17g xlo xhi\n", b->lo[0], b->lo[0] + b->len[0]);
    fprintf(fp, "%.17g %.17g ylo yhi\n", b->lo[1], b->lo[1] + b->len[1]);
    fprintf(fp, "%.17g %.17g zlo zhi\n", b->lo[2], b->lo[2] + b->len[2]);
    if (sf_box_is_triclinic(b))
        fprintf(fp, "%.17g %.17g %.17g xy xz yz\n", b->xy, b->xz, b->yz);
    fprintf(fp, "\nMasses\n\n");
    for (int t = 1; t <= a->ntypes; t++)
        fprintf(fp, "%d %.17g\n", t, a->mass ? a->mass[t - 1] : 1.0);
    fprintf(fp, "\nAtoms # atomic\n\n");
    for (size_t i = 0; i < a->n; i++)
        fprintf(fp, "%lld %d %.17g %.17g %.17g\n", (long long)a->id[i], a->type[i],
                a->x[3 * i], a->x[3 * i + 1], a->x[3 * i + 2]);
    return fclose(fp);
}

/* Minimal reader of the files tu_write_data and LAMMPS write_data produce
 * (atomic style); atoms sorted by id. */
static inline sf_atoms *tu_read_data(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return NULL;
    char line[512];
    size_t n = 0;
    int ntypes = 0;
    double lo[3] = {0}, hi[3] = {1, 1, 1}, tilt[3] = {0};
    sf_atoms *a = NULL;
    double mass[16] = {0};
    while (fgets(line, sizeof line, fp)) {
        unsigned long long v;
        double x0, x1, x2;
        if (strstr(line, " atoms") && !strchr(line, ',') && sscanf(line, "%llu", &v) == 1)
            n = v;
        else if (strstr(line, "atom types"))
            sscanf(line, "%d", &ntypes);
        else if (strstr(line, "xlo xhi"))
            sscanf(line, "%lf %lf", &lo[0], &hi[0]);
        else if (strstr(line, "ylo yhi"))
            sscanf(line, "%lf %lf", &lo[1], &hi[1]);
        else if (strstr(line, "zlo zhi"))
            sscanf(line, "%lf %lf", &lo[2], &hi[2]);
        else if (strstr(line, "xy xz yz"))
            sscanf(line, "%lf %lf %lf", &tilt[0], &tilt[1], &tilt[2]);
        else if (strncmp(line, "Masses", 6) == 0) {
            fgets(line, sizeof line, fp);
            for (int t = 0; t < ntypes && t < 16; t++) {
                int ty;
                if (!fgets(line, sizeof line, fp) || sscanf(line, "%d %lf", &ty, &x0) != 2)
                    break;
                if (ty >= 1 && ty <= 16)
                    mass[ty - 1] = x0;
            }
        } else if (strncmp(line, "Atoms", 5) == 0) {
            a = sf_atoms_new(n, ntypes);
            sf_box_init(&a->box, lo, hi, tilt[0], tilt[1], tilt[2]);
            fgets(line, sizeof line, fp);
            for (size_t i = 0; i < n; i++) {
                long long id;
                int ty;
                if (!fgets(line, sizeof line, fp) ||
                    sscanf(line, "%lld %d %lf %lf %lf", &id, &ty, &x0, &x1, &x2) != 5) {
                    sf_atoms_free(a);
                    fclose(fp);
                    return NULL;
                }
                a->id[i] = id;
                a->type[i] = ty;
                a->x[3 * i] = x0;
                a->x[3 * i + 1] = x1;
                a->x[3 * i + 2] = x2;
            }
            break;
        }
    }
    fclose(fp);
    if (!a)
        return NULL;
    sf_atoms_ensure_masses(a);
    for (int t = 0; t < ntypes && t < 16; t++)
        a->mass[t] = mass[t];
    if (ntypes >= 2) {
        sf_atoms_set_species(a, 1, "Cu");
        sf_atoms_set_species(a, 2, "Zr");
    }
    sf_atoms_sort_by_id(a);
    return a;
}

/* A fresh scratch directory under /tmp. */
static inline char *tu_tmpdir(void)
{
    static char dir[64];
    strcpy(dir, "/tmp/sflex_eam_XXXXXX");
    return mkdtemp(dir);
}

/* Run lmp on data file dir/in.data with pair_style style / pair_coeff line;
 * reads energy, forces (3n) and per-atom energy (n) ordered by id. */
static inline int tu_lmp_forces(const char *dir, const char *style, const char *coeff,
                         size_t n, double *energy, double *f, double *pe)
{
    char path[512], cmd[1024];
    snprintf(path, sizeof path, "%s/in.run", dir);
    FILE *fp = fopen(path, "w");
    if (!fp)
        return -1;
    fprintf(fp,
            "units metal\natom_style atomic\nboundary p p p\n"
            "read_data %s/in.data\npair_style %s\npair_coeff %s\n"
            "compute pe all pe/atom\nthermo_style custom step pe\n"
            "dump d all custom 1 %s/forces.txt id fx fy fz c_pe\n"
            "dump_modify d format float %%.17g sort id\nrun 0\n"
            "print \"ENERGY $(pe:%%.17g)\" file %s/energy.txt\n",
            dir, style, coeff, dir, dir);
    fclose(fp);
    snprintf(cmd, sizeof cmd, "cd %s && lmp -in in.run -log none -screen none", dir);
    if (system(cmd) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/energy.txt", dir);
    fp = fopen(path, "r");
    if (!fp || fscanf(fp, "ENERGY %lf", energy) != 1) {
        if (fp)
            fclose(fp);
        return -1;
    }
    fclose(fp);
    snprintf(path, sizeof path, "%s/forces.txt", dir);
    fp = fopen(path, "r");
    if (!fp)
        return -1;
    char line[512];
    for (int k = 0; k < 9; k++)
        if (!fgets(line, sizeof line, fp)) {
            fclose(fp);
            return -1;
        }
    for (size_t i = 0; i < n; i++) {
        long long id;
        if (fscanf(fp, "%lld %lf %lf %lf %lf", &id, &f[3 * i], &f[3 * i + 1], &f[3 * i + 2],
                   &pe[i]) != 5) {
            fclose(fp);
            return -1;
        }
    }
    fclose(fp);
    return 0;
}

/* Minimise dir/in.data with LAMMPS (CuZr_mm eam/fs) into dir/min.data. */
static inline int tu_lmp_minimize(const char *dir)
{
    char path[512], cmd[1024];
    snprintf(path, sizeof path, "%s/in.min", dir);
    FILE *fp = fopen(path, "w");
    if (!fp)
        return -1;
    fprintf(fp,
            "units metal\natom_style atomic\nboundary p p p\n"
            "read_data %s/in.data\npair_style eam/fs\npair_coeff * * " CUZR_FS " Cu Zr\n"
            "min_modify line quadratic\n"
            "minimize 0 1e-10 20000 200000\nwrite_data %s/min.data\n",
            dir, dir);
    fclose(fp);
    snprintf(cmd, sizeof cmd, "cd %s && lmp -in in.min -log none -screen none", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static inline void tu_rmdir(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

#endif
