/* Every file of the real-world corpus ($SFLEX_CORPUS, see
 * shared/corpus/README.md) reads with the right counts, types and box.
 * Skips (77) when the corpus directory is absent. */
#include "sf_error.h"
#include "sf_io.h"
#include "sf_test.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct expect {
    const char *file;
    size_t n;
    int ntypes;
    size_t count[5];       /* atoms per type 1..4 */
    double lo[3], hi[3];   /* box */
    double xy;
    int has_v, has_img, has_mass, ncols;
    long long timestep;
    /* one atom: id and its position */
    long long id;
    double x[3];
} expect;

static const expect table[] = {
    {"cuzr64_mace_4000_sheared.data", 4000, 2, {0, 2560, 1440},
     {0.278926096558898, 0.278926096558898, 0.278926096558898},
     {40.500504984040916, 40.500504984040916, 40.500504984040916},
     7.105427357601002e-15, 1, 1, 1, 0, 60000,
     3091, {1.246422954379721, 0.97995349390762, 1.06891111345836}},
    {"cuzr64_mace_2048_quenched.data", 2048, 2, {0, 1311, 737},
     {0, 0, 0}, {32.622985064, 32.622985064, 32.622985064}, 0, 1, 1, 1, 0,
     40529, 1064, {4.723682190305475, 1.7031097201927337, 32.46304752251401}},
    {"cu64.5zr35.5_5000_q1.0e+10.lammps", 5000, 2, {0, 3225, 1775},
     {-21.4963, -21.4963, -21.4963}, {21.4963, 21.4963, 21.4963}, 0, 0, 0, 0,
     0, 0, 11, {-6.8388119, -15.143444, -3.46092097e-02}},
    {"cu64.5zr35.5_5000_q2.8e+07.lammps", 5000, 2, {0, 3225, 1775},
     {9.30308029e-02, 0.11076, 9.39247981e-02},
     {43.076099, 43.0798, 43.074699}, 0, 0, 0, 0, 0, 0,
     1, {16.42462, 38.700966, 27.074326}},
    {"cu64.5zr35.5_5000_q5.0e+08.lammps", 5000, 2, {0, 3225, 1775},
     {8.15004036e-02, 9.92330983e-02, 8.23950991e-02},
     {43.087601, 43.0914, 43.086201}, 0, 0, 0, 0, 0, 0,
     1, {20.733143, 9.7100086, 20.398062}},
    {"cuzralti_62500_slab.dump.gz", 62500, 4, {0, 3125, 28125, 3125, 28125},
     {-5.2529854340047777, -5.2529854340047777, -5.2529854340047777},
     {97.752985433206206, 97.752985433206206, 167.75298543320599}, 0, 0, 0,
     0, 2, 0, 9121, {-0.876114, 27.232, 4.40645}},
};
#define NTABLE (sizeof table / sizeof *table)

static void check_file(const char *path, const expect *e)
{
    sf_atoms *a = sf_read(path, NULL);
    CHECK_MSG(a != NULL, "%s", sf_error_message());
    if (!a)
        return;
    CHECK_MSG(a->n == e->n, "%s: n %zu", e->file, a->n);
    CHECK_MSG(a->ntypes == e->ntypes, "%s: ntypes %d", e->file, a->ntypes);
    size_t counts[SF_MAX_TYPES + 1];
    sf_atoms_type_counts(a, counts);
    for (int t = 1; t <= e->ntypes; t++)
        CHECK_MSG(counts[t] == e->count[t], "%s: type %d has %zu atoms",
                  e->file, t, counts[t]);
    for (int k = 0; k < 3; k++) {
        CHECK_NEAR(a->box.lo[k], e->lo[k], 1e-12);
        CHECK_NEAR(a->box.lo[k] + a->box.len[k], e->hi[k], 1e-12);
    }
    CHECK(a->box.xy == e->xy && a->box.xz == 0 && a->box.yz == 0);
    CHECK(!a->v == !e->has_v);
    CHECK(!a->image == !e->has_img);
    CHECK(!a->mass == !e->has_mass);
    CHECK((int)a->ncols == e->ncols);
    CHECK(a->timestep == e->timestep);
    CHECK(sf_atoms_validate(a, path) == SF_OK);
    int found = 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->id[i] == e->id) {
            found = 1;
            for (int k = 0; k < 3; k++)
                CHECK(a->x[3 * i + k] == e->x[k]); /* parsed exactly */
        }
    CHECK_MSG(found, "%s: atom id %lld missing", e->file, e->id);
    if (e->has_mass)
        CHECK(a->mass[0] == 63.546 && a->mass[1] == 91.224);
    if (!strcmp(e->file, "cuzr64_mace_4000_sheared.data")) {
        /* ids unsorted, velocities matched by id, images read */
        int sorted = 1;
        for (size_t i = 1; i < a->n; i++)
            sorted &= a->id[i] > a->id[i - 1];
        CHECK(!sorted);
        CHECK(a->id[0] == 3091 && a->v[0] == -3.2637525876597056 &&
              a->v[2] == 1.6511189972116427);
        CHECK(a->image[0] == 1 && a->image[1] == 0 && a->image[2] == 0);
    }
    if (e->ncols) {
        CHECK(sf_atoms_column(a, "c_pe_atom") &&
              sf_atoms_column(a, "c_pe_atom")[0] == -3.54192);
        CHECK(sf_atoms_column(a, "c_ke_atom") != NULL);
    }
    /* the same through the streaming reader: one frame, then the end */
    sf_dump_reader *r = sf_dump_open(path, NULL);
    sf_atoms *b = NULL;
    CHECK(r && sf_dump_next(r, &b) == 1 && b && b->n == a->n);
    sf_atoms_free(b);
    CHECK(r && sf_dump_next(r, &b) == 0 && b == NULL);
    sf_dump_close(r);
    /* names given the pair_coeff way */
    static const char *const names[] = {"Cu", "Zr", "Al", "Ti"};
    sf_read_opts o;
    sf_read_opts_init(&o);
    o.elements = names;
    o.nelements = e->ntypes;
    b = sf_read(path, &o);
    CHECK(b && b->species[0] && !strcmp(b->species[0], "Cu") &&
          !strcmp(b->species[e->ntypes - 1], names[e->ntypes - 1]));
    sf_atoms_free(b);
    sf_atoms_free(a);
}

int main(void)
{
    const char *dir = getenv("SFLEX_CORPUS");
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d) {
        printf("skipped: corpus directory %s absent\n", dir ? dir : "(unset)");
        return 77;
    }
    int seen[NTABLE] = {0};
    struct dirent *ent;
    char path[1024];
    while ((ent = readdir(d))) {
        const char *nm = ent->d_name;
        if (nm[0] == '.' || !strcmp(nm, "README.md"))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, nm);
        size_t k = 0;
        while (k < NTABLE && strcmp(table[k].file, nm))
            k++;
        if (k < NTABLE) {
            seen[k] = 1;
            check_file(path, &table[k]);
        } else { /* a file added later: it must at least read */
            sf_atoms *a = sf_read(path, NULL);
            CHECK_MSG(a != NULL, "%s", sf_error_message());
            sf_atoms_free(a);
        }
    }
    closedir(d);
    for (size_t k = 0; k < NTABLE; k++)
        CHECK_MSG(seen[k], "corpus file %s missing", table[k].file);
    return sf_test_summary();
}
