/* Files written by the real LAMMPS binary, and our files read by it.
 *
 * A small triclinic Cu-Zr box is run hot for a few hundred steps so atoms
 * cross the periodic boundaries; the dump holds every coordinate kind.  We
 * check that they all agree (x + image == xu, xs -> x, xsu -> xu) to 1e-9 A,
 * that the dump agrees with write_data, and that LAMMPS reads our data file
 * and dump back to the same configuration.  Skips (77) without /usr/bin/lmp. */
#include "sf_error.h"
#include "sf_io.h"
#include "sf_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LMP "/usr/bin/lmp"
#define POT "/usr/share/lammps/potentials/CuZr_mm.eam.fs"
#define TOL 1e-9

static char dir[256];

static const char *at(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static int run_lmp(const char *script_name, const char *script)
{
    FILE *f = fopen(at(script_name), "w");
    fputs(script, f);
    fclose(f);
    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "cd %s && " LMP " -in %s -log none -screen none -nocite "
             ">lmp.out 2>&1",
             dir, script_name);
    int rc = system(cmd);
    if (rc != 0) {
        snprintf(cmd, sizeof cmd, "tail -5 %s/lmp.out >&2", dir);
        if (system(cmd)) {
        }
    }
    return rc;
}

static const char *const cuzr[] = {"Cu", "Zr"};

static sf_atoms *read_frame(const char *path, long long frame)
{
    sf_read_opts o;
    sf_read_opts_init(&o);
    o.frame = frame;
    o.elements = cuzr;
    o.nelements = 2;
    sf_atoms *a = sf_read(path, &o);
    if (!a)
        fprintf(stderr, "%s\n", sf_error_message());
    return a;
}

/* unwrapped positions of b matched to a by id; returns the largest
 * deviation */
static double compare_by_id(const sf_atoms *a, const sf_atoms *b, int *same_ids,
                            int *same_types, int *same_images, double *vdev)
{
    *same_ids = a->n == b->n;
    *same_types = *same_images = 1;
    *vdev = 0;
    if (!*same_ids)
        return INFINITY;
    size_t *oa = malloc(a->n * sizeof *oa), *ob = malloc(b->n * sizeof *ob);
    sf_atoms_id_order(a, oa);
    sf_atoms_id_order(b, ob);
    double worst = 0;
    for (size_t k = 0; k < a->n; k++) {
        size_t i = oa[k], j = ob[k];
        if (a->id[i] != b->id[j]) {
            *same_ids = 0;
            break;
        }
        *same_types &= a->type[i] == b->type[j];
        /* unwrapped positions: LAMMPS may remap an atom that is just
         * outside the cell (write_data does), changing x and image */
        double ua[3], ub[3];
        static const int zero[3] = {0, 0, 0};
        sf_box_unwrap(&a->box, a->x + 3 * i, a->image ? a->image + 3 * i : zero,
                      ua);
        sf_box_unwrap(&b->box, b->x + 3 * j, b->image ? b->image + 3 * j : zero,
                      ub);
        for (int d = 0; d < 3; d++) {
            worst = fmax(worst, fabs(ua[d] - ub[d]));
            if (a->image && b->image)
                *same_images &= a->image[3 * i + d] == b->image[3 * j + d];
            if (a->v && b->v)
                *vdev = fmax(*vdev, fabs(a->v[3 * i + d] - b->v[3 * j + d]));
        }
    }
    free(oa);
    free(ob);
    return worst;
}

static int same_box(const sf_box *a, const sf_box *b, double tol)
{
    int ok = 1;
    for (int k = 0; k < 3; k++)
        ok &= fabs(a->lo[k] - b->lo[k]) <= tol &&
              fabs(a->len[k] - b->len[k]) <= tol;
    return ok && fabs(a->xy - b->xy) <= tol && fabs(a->xz - b->xz) <= tol &&
           fabs(a->yz - b->yz) <= tol;
}

static void check_coordinate_kinds(const sf_atoms *a, int *crossed)
{
    const double *xs[3], *xu[3], *xsu[3];
    static const char *const nxs[3] = {"xs", "ys", "zs"},
                             *nxu[3] = {"xu", "yu", "zu"},
                             *nxsu[3] = {"xsu", "ysu", "zsu"};
    for (int d = 0; d < 3; d++) {
        xs[d] = sf_atoms_column(a, nxs[d]);
        xu[d] = sf_atoms_column(a, nxu[d]);
        xsu[d] = sf_atoms_column(a, nxsu[d]);
        CHECK(xs[d] && xu[d] && xsu[d]);
        if (!xs[d] || !xu[d] || !xsu[d])
            return;
    }
    CHECK(a->image != NULL && a->v != NULL);
    CHECK(sf_atoms_column(a, "c_pe") != NULL);
    double d_unwrap = 0, d_scaled = 0, d_scaled_u = 0;
    for (size_t i = 0; i < a->n; i++) {
        double u[3], s[3], r[3], su[3], ru[3];
        sf_box_unwrap(&a->box, a->x + 3 * i, a->image + 3 * i, u);
        for (int d = 0; d < 3; d++) {
            s[d] = xs[d][i];
            su[d] = xsu[d][i];
            *crossed |= a->image[3 * i + d] != 0;
        }
        sf_box_to_cart(&a->box, s, r);
        sf_box_to_cart(&a->box, su, ru);
        for (int d = 0; d < 3; d++) {
            d_unwrap = fmax(d_unwrap, fabs(u[d] - xu[d][i]));
            d_scaled = fmax(d_scaled, fabs(r[d] - a->x[3 * i + d]));
            d_scaled_u = fmax(d_scaled_u, fabs(ru[d] - xu[d][i]));
        }
    }
    CHECK_MSG(d_unwrap <= TOL, "x + image vs xu: %g", d_unwrap);
    CHECK_MSG(d_scaled <= TOL, "xs vs x: %g", d_scaled);
    CHECK_MSG(d_scaled_u <= TOL, "xsu vs xu: %g", d_scaled_u);
}

int main(void)
{
    if (access(LMP, X_OK) != 0 || access(POT, R_OK) != 0) {
        printf("skipped: %s or %s missing\n", LMP, POT);
        return 77;
    }
    snprintf(dir, sizeof dir, "/tmp/sflex_test_io_lmp_%ld", (long)getpid());
    mkdir(dir, 0700);

    /* ---- LAMMPS writes ---- */
    int rc = run_lmp(
        "gen.in",
        "units metal\n"
        "boundary p p p\n"
        "atom_style atomic\n"
        "atom_modify sort 20 2.0\n" /* reorders atoms: unsorted dump ids */
        "lattice fcc 3.8\n"
        "region box prism 0 4 0 4 0 4 0.7 -0.5 0.3 units lattice\n"
        "create_box 2 box\n"
        "create_atoms 1 box\n"
        "set type 1 type/fraction 2 0.36 12345\n"
        "mass 1 63.546\n"
        "mass 2 91.224\n"
        "pair_style eam/fs\n"
        "pair_coeff * * " POT " Cu Zr\n"
        "velocity all create 4000 4928459 dist gaussian\n"
        "timestep 0.004\n"
        "compute pe all pe/atom\n"
        "dump d all custom 100 out.dump id type element x y z xs ys zs xu yu "
        "zu xsu ysu zsu ix iy iz vx vy vz c_pe\n"
        "dump_modify d element Cu Zr units yes time yes format float %.17g\n"
        "fix 1 all nve\n"
        "run 300\n"
        "write_data out.data\n");
    CHECK_MSG(rc == 0, "lmp failed to generate the test files");
    if (rc != 0)
        return sf_test_summary();

    /* every frame: coordinate kinds agree; ids unsorted somewhere */
    sf_dump_reader *r = sf_dump_open(at("out.dump"), NULL);
    CHECK(r != NULL);
    sf_atoms *a;
    int frames = 0, crossed = 0, unsorted = 0;
    while (r && (rc = sf_dump_next(r, &a)) == 1) {
        CHECK(a->n == 256 && a->ntypes == 2);
        CHECK(a->species[0] && !strcmp(a->species[0], "Cu"));
        CHECK(a->species[1] && !strcmp(a->species[1], "Zr"));
        CHECK(a->timestep == 100 * frames);
        CHECK(isfinite(a->time));
        CHECK(sf_box_is_triclinic(&a->box));
        check_coordinate_kinds(a, &crossed);
        for (size_t i = 1; i < a->n; i++)
            unsorted |= a->id[i] < a->id[i - 1];
        sf_atoms_free(a);
        frames++;
    }
    CHECK_MSG(r && rc == 0, "%s", sf_error_message());
    CHECK(frames == 4);
    CHECK_MSG(crossed, "no atom crossed a boundary: the test proves little");
    CHECK_MSG(unsorted, "ids came out sorted: unsorted ids not exercised");
    sf_dump_close(r);

    /* the last frame and write_data agree */
    sf_atoms *last = read_frame(at("out.dump"), SF_FRAME_LAST);
    sf_atoms *data = read_frame(at("out.data"), 0);
    CHECK(last && data);
    if (!last || !data)
        return sf_test_summary();
    int ids, types, images;
    double vdev;
    double dev = compare_by_id(last, data, &ids, &types, &images, &vdev);
    CHECK(ids && types);
    CHECK_MSG(dev <= TOL, "dump vs data positions: %g", dev);
    CHECK_MSG(vdev <= TOL, "dump vs data velocities: %g", vdev);
    CHECK(same_box(&last->box, &data->box, TOL));
    CHECK(data->timestep == 300 && data->mass &&
          fabs(data->mass[1] - 91.224) < 1e-12);

    /* ---- LAMMPS reads what we write ---- */
    CHECK(sf_write_data(at("ours.data"), data) == SF_OK);
    rc = run_lmp("readdata.in", "units metal\n"
                                "atom_style atomic\n"
                                "read_data ours.data\n"
                                "write_data back.data\n");
    CHECK_MSG(rc == 0, "lmp could not read our data file");
    sf_atoms *back = rc == 0 ? read_frame(at("back.data"), 0) : NULL;
    CHECK(back != NULL);
    if (back) {
        dev = compare_by_id(data, back, &ids, &types, &images, &vdev);
        CHECK(ids && types && images);
        CHECK_MSG(dev <= TOL, "read_data round trip: %g", dev);
        CHECK_MSG(vdev <= TOL, "read_data velocities: %g", vdev);
        CHECK(same_box(&data->box, &back->box, TOL));
        sf_atoms_free(back);
    }
    /* a dump of ours, with shuffled and perturbed positions, read by
     * read_dump into the original system */
    sf_atoms *moved = sf_atoms_copy(last);
    for (size_t i = 0; i < moved->n; i++)
        moved->x[3 * i] += 0.01 * (double)(i % 7);
    sf_atoms_wrap(moved);
    CHECK(sf_write_dump(at("ours.dump"), moved, NULL) == SF_OK);
    CHECK(sf_write_dump(at("ours.dump.gz"), moved, NULL) == SF_OK);
    rc = run_lmp("readdump.in",
                 "units metal\n"
                 "atom_style atomic\n"
                 "read_data out.data\n"
                 "read_dump ours.dump 300 x y z vx vy vz ix iy iz box yes "
                 "replace yes\n"
                 "write_data back2.data\n");
    CHECK_MSG(rc == 0, "lmp could not read our dump");
    back = rc == 0 ? read_frame(at("back2.data"), 0) : NULL;
    CHECK(back != NULL);
    if (back) {
        dev = compare_by_id(moved, back, &ids, &types, &images, &vdev);
        CHECK(ids && types && images);
        CHECK_MSG(dev <= TOL, "read_dump round trip: %g", dev);
        CHECK_MSG(vdev <= TOL, "read_dump velocities: %g", vdev);
        CHECK(same_box(&moved->box, &back->box, TOL));
        sf_atoms_free(back);
    }
    /* the gzip dump too (LAMMPS pipes it through gzip -d) */
    rc = run_lmp("readdumpgz.in",
                 "units metal\n"
                 "atom_style atomic\n"
                 "read_data out.data\n"
                 "read_dump ours.dump.gz 300 x y z vx vy vz ix iy iz box yes "
                 "replace yes\n"
                 "write_data back3.data\n");
    CHECK_MSG(rc == 0, "lmp could not read our gzip dump");
    back = rc == 0 ? read_frame(at("back3.data"), 0) : NULL;
    CHECK(back != NULL);
    if (back) {
        dev = compare_by_id(moved, back, &ids, &types, &images, &vdev);
        CHECK(ids && types && images && dev <= TOL && vdev <= TOL);
        sf_atoms_free(back);
    }
    /* our gzip dump decompresses to the same text */
    sf_atoms *g = read_frame(at("ours.dump.gz"), 0);
    CHECK(g != NULL);
    if (g) {
        dev = compare_by_id(moved, g, &ids, &types, &images, &vdev);
        CHECK(ids && dev == 0 && vdev == 0);
        sf_atoms_free(g);
    }
    sf_atoms_free(moved);
    sf_atoms_free(last);
    sf_atoms_free(data);

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return sf_test_summary();
}
