/* Round trips of every writer through its reader, bit for bit; multi-frame
 * files and frame selection; deterministic bytes; no partial outputs. */
#include "sf_error.h"
#include "sf_io.h"
#include "sf_test.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];

static double urand(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

static const char *tmp(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

/* A messy configuration: triclinic box away from the origin, shuffled ids,
 * atoms outside the cell with image flags, velocities, extra columns. */
static sf_atoms *make_atoms(size_t n, uint64_t seed, int named)
{
    sf_atoms *a = sf_atoms_new(n, 2);
    double lo[3] = {-3.1, 0.7, 1.3}, hi[3] = {17.9, 20.03, 19.1};
    sf_box_init(&a->box, lo, hi, 2.66, -1.9, 1.14);
    if (named) {
        sf_atoms_set_species(a, 1, "Cu");
        sf_atoms_set_species(a, 2, "Zr");
    }
    sf_atoms_ensure_masses(a);
    a->mass[0] = 63.546;
    a->mass[1] = 91.224;
    sf_atoms_ensure_velocities(a);
    sf_atoms_ensure_images(a);
    double *pe = sf_atoms_add_column(a, "c_pe", NULL);
    double *q = sf_atoms_add_column(a, "q", NULL);
    for (size_t i = 0; i < n; i++) {
        a->id[i] = (int64_t)(n - i) * 7 + 3; /* descending, gaps */
        a->type[i] = urand(&seed) < 0.36 ? 2 : 1;
        double s[3];
        for (int k = 0; k < 3; k++) {
            s[k] = urand(&seed) * 1.2 - 0.1; /* some outside the cell */
            a->v[3 * i + k] = (urand(&seed) - 0.5) * 13.7;
            a->image[3 * i + k] = (int)(urand(&seed) * 5) - 2;
        }
        sf_box_to_cart(&a->box, s, a->x + 3 * i);
        pe[i] = -4.0 - urand(&seed);
        q[i] = i % 3 ? 0.0 : 1e-300 * urand(&seed);
    }
    a->timestep = 123456789012LL;
    a->time = 246.913578024;
    return a;
}

enum { C_MASS = 1, C_COLS = 2, C_TIME = 4, C_V = 8, C_IMG = 16, C_NAMES = 32,
       C_ALL = 63 };

static int bits_eq(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

static int same_atoms(const sf_atoms *a, const sf_atoms *b, int what,
                      const char *label)
{
    int ok = 1;
#define SAME(cond)                                                           \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s: differs: %s\n", label, #cond);              \
            ok = 0;                                                          \
        }                                                                    \
    } while (0)
    SAME(a->n == b->n);
    SAME(a->ntypes == b->ntypes);
    if (!ok)
        return 0;
    for (int k = 0; k < 3; k++) {
        SAME(bits_eq(a->box.lo[k], b->box.lo[k]));
        SAME(bits_eq(a->box.len[k], b->box.len[k]));
        SAME(a->box.periodic[k] == b->box.periodic[k]);
    }
    SAME(bits_eq(a->box.xy, b->box.xy) && bits_eq(a->box.xz, b->box.xz) &&
         bits_eq(a->box.yz, b->box.yz));
    SAME(a->timestep == b->timestep);
    if (what & C_TIME)
        SAME(bits_eq(a->time, b->time));
    int idok = 1, xok = 1, vok = 1, iok = 1;
    for (size_t i = 0; i < a->n; i++) {
        idok &= a->id[i] == b->id[i] && a->type[i] == b->type[i];
        for (int k = 0; k < 3; k++) {
            xok &= bits_eq(a->x[3 * i + k], b->x[3 * i + k]);
            if ((what & C_V) && a->v && b->v)
                vok &= bits_eq(a->v[3 * i + k], b->v[3 * i + k]);
            if ((what & C_IMG) && a->image && b->image)
                iok &= a->image[3 * i + k] == b->image[3 * i + k];
        }
    }
    SAME(idok);
    SAME(xok);
    if (what & C_V)
        SAME(vok && !a->v == !b->v);
    if (what & C_IMG)
        SAME(iok && !a->image == !b->image);
    if (what & C_NAMES)
        for (int t = 0; t < a->ntypes; t++)
            SAME(!a->species[t] == !b->species[t] &&
                 (!a->species[t] || !strcmp(a->species[t], b->species[t])));
    if (what & C_MASS) {
        SAME(!a->mass == !b->mass);
        for (int t = 0; a->mass && b->mass && t < a->ntypes; t++)
            SAME(bits_eq(a->mass[t], b->mass[t]));
    }
    if (what & C_COLS) {
        SAME(a->ncols == b->ncols);
        for (size_t c = 0; c < a->ncols && ok; c++) {
            const double *d = sf_atoms_column(b, a->cols[c].name);
            SAME(d != NULL);
            for (size_t i = 0; d && i < a->n; i++)
                if (!bits_eq(d[i], a->cols[c].data[i])) {
                    SAME(!"column values");
                    break;
                }
        }
    }
    return ok;
#undef SAME
}

static sf_atoms *read_with(const char *path, const char *const *elements,
                           int ne, long long frame)
{
    sf_read_opts o;
    sf_read_opts_init(&o);
    o.elements = elements;
    o.nelements = ne;
    o.frame = frame;
    sf_atoms *a = sf_read(path, &o);
    if (!a)
        fprintf(stderr, "read %s: %s\n", path, sf_error_message());
    return a;
}

static int files_equal(const char *p, const char *q)
{
    FILE *f = fopen(p, "rb"), *g = fopen(q, "rb");
    int eq = f && g;
    while (eq) {
        int a = fgetc(f), b = fgetc(g);
        if (a != b)
            eq = 0;
        if (a == EOF || b == EOF)
            break;
    }
    if (f)
        fclose(f);
    if (g)
        fclose(g);
    return eq;
}

static void test_formats(void)
{
    static const char *const cuzr[] = {"Cu", "Zr"};
    for (int gz = 0; gz < 2; gz++)
        for (int named = 0; named < 2; named++) {
            sf_atoms *a = make_atoms(1000, 42 + (uint64_t)named, named);
            char p[64];
            /* dump: everything but masses */
            snprintf(p, sizeof p, "rt%d%d.dump%s", named, gz, gz ? ".gz" : "");
            CHECK(sf_write_dump(tmp(p), a, NULL) == SF_OK);
            sf_atoms *b = read_with(tmp(p), NULL, 0, 0);
            CHECK(b && same_atoms(a, b, C_ALL & ~C_MASS, p));
            sf_atoms_free(b);
            /* data: no extra columns, no time */
            snprintf(p, sizeof p, "rt%d%d.data%s", named, gz, gz ? ".gz" : "");
            CHECK(sf_write_data(tmp(p), a) == SF_OK);
            b = read_with(tmp(p), NULL, 0, 0);
            CHECK(b && same_atoms(a, b, C_MASS | C_V | C_IMG | C_NAMES, p));
            sf_atoms_free(b);
            /* xyz: names fix the type numbers given the elements option */
            snprintf(p, sizeof p, "rt%d%d.xyz%s", named, gz, gz ? ".gz" : "");
            CHECK(sf_write_xyz(tmp(p), a) == SF_OK);
            b = read_with(tmp(p), named ? cuzr : NULL, named ? 2 : 0, 0);
            CHECK(b && same_atoms(a, b, C_ALL & ~C_MASS, p));
            sf_atoms_free(b);
            sf_atoms_free(a);
        }
    /* data without masses keeps names in the title line */
    sf_atoms *a = make_atoms(50, 7, 1);
    free(a->mass);
    a->mass = NULL;
    CHECK(sf_write_data(tmp("nomass.data"), a) == SF_OK);
    sf_atoms *b = read_with(tmp("nomass.data"), NULL, 0, 0);
    CHECK(b && same_atoms(a, b, C_ALL & ~(C_COLS | C_TIME), "nomass.data"));
    sf_atoms_free(b);
    /* xyz without the elements option: types by first appearance */
    CHECK(sf_write_xyz(tmp("order.xyz"), a) == SF_OK);
    b = read_with(tmp("order.xyz"), NULL, 0, 0);
    CHECK(b != NULL);
    if (b) {
        CHECK(!strcmp(b->species[0], a->species[a->type[0] - 1]));
        for (size_t i = 0; i < a->n; i++)
            CHECK(!strcmp(b->species[b->type[i] - 1],
                          a->species[a->type[i] - 1]));
    }
    sf_atoms_free(b);
    sf_atoms_free(a);
}

/* Other coordinate kinds agree with Cartesian positions. */
static void test_coordinate_kinds(void)
{
    sf_atoms *a = make_atoms(500, 99, 1);
    static const char *const kinds[4][6] = {
        {"id", "type", "xs", "ys", "zs", NULL},
        {"id", "type", "xu", "yu", "zu", NULL},
        {"id", "type", "xsu", "ysu", "zsu", NULL},
        {"id", "element", "x", "y", "z", NULL}};
    for (int k = 0; k < 4; k++) {
        CHECK(sf_write_dump(tmp("kinds.dump"), a, kinds[k]) == SF_OK);
        sf_atoms *b = read_with(tmp("kinds.dump"), NULL, 0, 0);
        CHECK(b != NULL);
        if (!b)
            continue;
        double worst = 0;
        for (size_t i = 0; i < a->n; i++) {
            double want[3];
            if (k == 1 || k == 2)
                sf_box_unwrap(&a->box, a->x + 3 * i, a->image + 3 * i, want);
            else
                memcpy(want, a->x + 3 * i, sizeof want);
            for (int d = 0; d < 3; d++)
                worst = fmax(worst, fabs(b->x[3 * i + d] - want[d]));
        }
        CHECK_MSG(worst < 1e-12, "kind %d: worst %g", k, worst);
        if (k < 3)
            CHECK(b->type[0] == a->type[0]);
        else /* element without type: names, types by appearance */
            CHECK(!strcmp(b->species[b->type[0] - 1],
                          a->species[a->type[0] - 1]));
        sf_atoms_free(b);
    }
    sf_atoms_free(a);
}

static void test_frames(void)
{
    static const char *const fmts[] = {"multi.dump", "multi.xyz.gz",
                                       "multi.lammpstrj.gz"};
    for (int f = 0; f < 3; f++) {
        const char *path = tmp(fmts[f]);
        sf_writer *w = sf_writer_open(path, SF_FORMAT_AUTO);
        CHECK(w != NULL);
        sf_atoms *fr[3];
        for (int k = 0; k < 3; k++) {
            fr[k] = make_atoms(100 + (size_t)k * 10, 1000 + (uint64_t)k, 1);
            fr[k]->timestep = k * 100;
            CHECK(sf_writer_frame(w, fr[k], NULL) == SF_OK);
        }
        CHECK(sf_writer_commit(w) == SF_OK);
        static const char *const cuzr[] = {"Cu", "Zr"};
        sf_read_opts o;
        sf_read_opts_init(&o);
        o.elements = cuzr;
        o.nelements = 2;
        sf_dump_reader *r = sf_dump_open(path, &o);
        CHECK(r != NULL);
        sf_atoms *b;
        int k = 0, rc;
        while ((rc = sf_dump_next(r, &b)) == 1) {
            CHECK(k < 3 && same_atoms(fr[k], b, C_ALL & ~C_MASS, fmts[f]));
            sf_atoms_free(b);
            k++;
        }
        CHECK(rc == 0 && k == 3 && sf_dump_frames(r) == 3);
        CHECK(sf_dump_next(r, &b) == 0); /* stays at the end */
        sf_dump_close(r);
        static const long long pick[] = {0, 1, 2, -1, -2, -3};
        static const int want[] = {0, 1, 2, 2, 1, 0};
        for (int i = 0; i < 6; i++) {
            b = read_with(path, cuzr, 2, pick[i]);
            CHECK_MSG(b && b->timestep == want[i] * 100 &&
                          same_atoms(fr[want[i]], b, C_ALL & ~C_MASS, "pick"),
                      "%s frame %lld", fmts[f], pick[i]);
            sf_atoms_free(b);
        }
        o.frame = 3;
        CHECK(sf_read(path, &o) == NULL &&
              strstr(sf_error_message(), "only 3 frames"));
        o.frame = -4;
        CHECK(sf_read(path, &o) == NULL &&
              strstr(sf_error_message(), "only 3 frames"));
        for (int j = 0; j < 3; j++)
            sf_atoms_free(fr[j]);
    }
}

static int count_parts(void)
{
    DIR *d = opendir(tmpdir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strstr(e->d_name, ".part-") != NULL;
    closedir(d);
    return n;
}

static void test_outputs(void)
{
    sf_atoms *a = make_atoms(300, 5, 1);
    /* same configuration -> same bytes (also gzip) */
    static const char *const names[][2] = {{"d1.dump", "d2.dump"},
                                           {"d1.data", "d2.data"},
                                           {"d1.xyz", "d2.xyz"},
                                           {"d1.dump.gz", "d2.dump.gz"}};
    for (int i = 0; i < 4; i++) {
        CHECK(sf_write(tmp(names[i][0]), a, SF_FORMAT_AUTO, NULL) == SF_OK);
        CHECK(sf_write(tmp(names[i][1]), a, SF_FORMAT_AUTO, NULL) == SF_OK);
        CHECK(files_equal(tmp(names[i][0]), tmp(names[i][1])));
    }
    /* a failed write leaves neither a partial file nor a temporary one, and
     * an existing target unchanged */
    sf_atoms *bad = sf_atoms_copy(a);
    bad->x[3 * 200 + 1] = NAN;
    const char *exts[] = {"bad.dump", "bad.data", "bad.xyz", "bad.dump.gz"};
    for (int i = 0; i < 4; i++) {
        CHECK(sf_write(tmp(exts[i]), bad, SF_FORMAT_AUTO, NULL) == SF_ERR);
        CHECK_MSG(strstr(sf_error_message(), "non-finite") &&
                      strstr(sf_error_message(), exts[i]),
                  "%s", sf_error_message());
        CHECK(access(tmp(exts[i]), F_OK) != 0);
    }
    CHECK(sf_write(tmp("d1.dump"), bad, SF_FORMAT_AUTO, NULL) == SF_ERR);
    CHECK(files_equal(tmp("d1.dump"), tmp("d2.dump")));
    CHECK(count_parts() == 0);
    CHECK(sf_write("/nonexistent_dir/x.dump", a, SF_FORMAT_AUTO, NULL) ==
              SF_ERR &&
          strstr(sf_error_message(), "/nonexistent_dir/x.dump"));
    CHECK(sf_write(tmp("noext"), a, SF_FORMAT_AUTO, NULL) == SF_ERR &&
          strstr(sf_error_message(), "format"));
    const char *cols[] = {"id", "nosuch", NULL};
    CHECK(sf_write_dump(tmp("cols.dump"), a, cols) == SF_ERR &&
          strstr(sf_error_message(), "nosuch"));
    CHECK(access(tmp("cols.dump"), F_OK) != 0 && count_parts() == 0);
    sf_atoms_free(bad);
    sf_atoms_free(a);
}

/* Non-periodic directions survive dumps ("ff") and XYZ (pbc). */
static void test_nonperiodic(void)
{
    static const char *const cuzr[] = {"Cu", "Zr"};
    sf_atoms *a = make_atoms(200, 11, 1);
    a->box.periodic[2] = 0;
    const char *f[] = {"np.dump", "np.xyz"};
    for (int i = 0; i < 2; i++) {
        CHECK(sf_write(tmp(f[i]), a, SF_FORMAT_AUTO, NULL) == SF_OK);
        sf_atoms *b = read_with(tmp(f[i]), cuzr, 2, 0);
        CHECK(b && same_atoms(a, b, C_ALL & ~C_MASS, f[i]));
        CHECK(b && b->box.periodic[0] && !b->box.periodic[2]);
        sf_atoms_free(b);
    }
    sf_atoms_free(a);
}

/* An empty configuration and a single-atom one round-trip too. */
static void test_small(void)
{
    for (size_t n = 0; n < 2; n++) {
        sf_atoms *a = sf_atoms_new(n, 1);
        const char *f[] = {"s.dump", "s.data", "s.xyz"};
        for (int i = 0; i < 3; i++) {
            CHECK(sf_write(tmp(f[i]), a, SF_FORMAT_AUTO, NULL) == SF_OK);
            sf_atoms *b = read_with(tmp(f[i]), NULL, 0, 0);
            CHECK_MSG(b && b->n == n, "%s n=%zu", f[i], n);
            sf_atoms_free(b);
        }
        sf_atoms_free(a);
    }
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sflex_test_io_rt_%ld",
             (long)getpid());
    mkdir(tmpdir, 0700);
    test_formats();
    test_coordinate_kinds();
    test_frames();
    test_outputs();
    test_small();
    test_nonperiodic();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        return 1;
    return sf_test_summary();
}
