/* test_d2min.c - D2min against a brute-force reference (explicit image
 * search, least squares by Gaussian elimination) on small orthogonal and
 * triclinic boxes with shuffled atom order and atoms that crossed the
 * boundaries; exact zero for affine deformations (also a tilt change that
 * LAMMPS would flip, with atoms wrapped differently); errors for ids and
 * counts that do not match; invalid atoms; thread-count independence. */
#include "sf_test.h"

#include "sf_atoms.h"
#include "sf_box.h"
#include "sf_d2min.h"
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

static void cart(const sf_box *b, const double s[3], double r[3])
{
    r[0] = b->lo[0] + b->len[0] * s[0] + b->xy * s[1] + b->xz * s[2];
    r[1] = b->lo[1] + b->len[1] * s[1] + b->yz * s[2];
    r[2] = b->lo[2] + b->len[2] * s[2];
}

/* A jittered simple-cubic arrangement of nc^3 atoms (spacing ~a) in box
 * with tilts; two types; ids 1..n scaled by 7 (not contiguous). */
static sf_atoms *make_config(int nc, double a, double xy, double xz, double yz,
                             double jitter)
{
    size_t n = (size_t)nc * nc * nc;
    sf_atoms *at = sf_atoms_new(n, 2);
    double lo[3] = {-1.0, 0.5, 2.0}, hi[3];
    for (int k = 0; k < 3; k++)
        hi[k] = lo[k] + nc * a;
    sf_box_init(&at->box, lo, hi, xy, xz, yz);
    size_t i = 0;
    for (int z = 0; z < nc; z++)
        for (int y = 0; y < nc; y++)
            for (int x = 0; x < nc; x++, i++) {
                double s[3] = {(x + 0.5 + jitter * (urand() - 0.5)) / nc,
                               (y + 0.5 + jitter * (urand() - 0.5)) / nc,
                               (z + 0.5 + jitter * (urand() - 0.5)) / nc};
                cart(&at->box, s, at->x + 3 * i);
                at->id[i] = 7 * (int64_t)i + 3;
                at->type[i] = 1 + (int32_t)(i % 3 == 0);
            }
    return at;
}

/* Frac coordinates of r in box b. */
static void frac(const sf_box *b, const double r[3], double s[3])
{
    double d[3] = {r[0] - b->lo[0], r[1] - b->lo[1], r[2] - b->lo[2]};
    s[2] = d[2] / b->len[2];
    s[1] = (d[1] - b->yz * s[2]) / b->len[1];
    s[0] = (d[0] - b->xy * s[1] - b->xz * s[2]) / b->len[0];
}

/* Deformed copy: positions mapped through the box change (same fractional
 * coordinates, i.e. affine), plus noise, plus random lattice shifts (atoms
 * "crossing" the boundaries), in reversed order.  nb is the new box. */
static sf_atoms *deform(const sf_atoms *ref, const sf_box *nb, double noise,
                        int shifts)
{
    size_t n = ref->n;
    sf_atoms *d = sf_atoms_new(n, ref->ntypes);
    d->box = *nb;
    for (size_t i = 0; i < n; i++) {
        size_t k = n - 1 - i;
        double s[3], r[3];
        frac(&ref->box, ref->x + 3 * i, s);
        if (shifts)
            for (int c = 0; c < 3; c++)
                s[c] += (double)((int)(urand() * 5.0) - 2);
        cart(nb, s, r);
        for (int c = 0; c < 3; c++)
            d->x[3 * k + c] = r[c] + noise * (urand() - 0.5);
        d->id[k] = ref->id[i];
        d->type[k] = ref->type[i];
    }
    return d;
}

/* Brute-force minimum image: every shift in -3..3 along each direction. */
static void brute_min_image(const sf_box *b, double d[3])
{
    double best[3] = {0}, br = INFINITY;
    double s[3];
    s[2] = d[2] / b->len[2];
    s[1] = (d[1] - b->yz * s[2]) / b->len[1];
    s[0] = (d[0] - b->xy * s[1] - b->xz * s[2]) / b->len[0];
    for (int k = 0; k < 3; k++)
        s[k] = s[k] - floor(s[k]);
    for (int i = -3; i <= 3; i++)
        for (int j = -3; j <= 3; j++)
            for (int k = -3; k <= 3; k++) {
                double a = s[0] + i, bb = s[1] + j, c = s[2] + k;
                double x = b->len[0] * a + b->xy * bb + b->xz * c;
                double y = b->len[1] * bb + b->yz * c;
                double z = b->len[2] * c;
                double r = x * x + y * y + z * z;
                if (r < br) {
                    br = r;
                    best[0] = x;
                    best[1] = y;
                    best[2] = z;
                }
            }
    memcpy(d, best, sizeof best);
}

/* Solve the 3x3 system M x = rhs by Gaussian elimination with pivoting. */
static int solve3(double M[3][3], double rhs[3], double x[3])
{
    double A[3][4];
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++)
            A[i][j] = M[i][j];
        A[i][3] = rhs[i];
    }
    for (int c = 0; c < 3; c++) {
        int p = c;
        for (int r = c + 1; r < 3; r++)
            if (fabs(A[r][c]) > fabs(A[p][c]))
                p = r;
        if (fabs(A[p][c]) < 1e-300)
            return -1;
        for (int j = 0; j < 4; j++) {
            double t = A[c][j];
            A[c][j] = A[p][j];
            A[p][j] = t;
        }
        for (int r = 0; r < 3; r++)
            if (r != c) {
                double f = A[r][c] / A[c][c];
                for (int j = c; j < 4; j++)
                    A[r][j] -= f * A[c][j];
            }
    }
    for (int i = 0; i < 3; i++)
        x[i] = A[i][3] / A[i][i];
    return 0;
}

/* Brute-force D2min of reference atom i: all j by id search, images by
 * exhaustive search, each row of F from its own normal equations. */
static double brute_d2min(const sf_atoms *ref, const sf_atoms *def, size_t i,
                          double rc, double F[9], int *nn)
{
    size_t n = ref->n, ii = n;
    for (size_t k = 0; k < n; k++)
        if (def->id[k] == ref->id[i])
            ii = k;
    double (*d0)[3] = malloc(n * sizeof *d0), (*d1)[3] = malloc(n * sizeof *d1);
    int m = 0;
    for (size_t j = 0; j < n; j++) {
        if (j == i)
            continue;
        double v[3];
        for (int c = 0; c < 3; c++)
            v[c] = ref->x[3 * j + c] - ref->x[3 * i + c];
        brute_min_image(&ref->box, v);
        if (v[0] * v[0] + v[1] * v[1] + v[2] * v[2] >= rc * rc)
            continue;
        size_t jj = n;
        for (size_t k = 0; k < n; k++)
            if (def->id[k] == ref->id[j])
                jj = k;
        double u[3];
        for (int c = 0; c < 3; c++)
            u[c] = def->x[3 * jj + c] - def->x[3 * ii + c];
        brute_min_image(&def->box, u);
        memcpy(d0[m], v, sizeof v);
        memcpy(d1[m], u, sizeof u);
        m++;
    }
    double M[3][3] = {{0}};
    for (int k = 0; k < m; k++)
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++)
                M[a][b] += d0[k][a] * d0[k][b];
    /* row a of F: minimise sum_k (d1[k][a] - F_a . d0[k])^2 */
    for (int a = 0; a < 3; a++) {
        double rhs[3] = {0, 0, 0};
        for (int k = 0; k < m; k++)
            for (int b = 0; b < 3; b++)
                rhs[b] += d1[k][a] * d0[k][b];
        double row[3];
        double Mc[3][3];
        memcpy(Mc, M, sizeof M);
        if (solve3(Mc, rhs, row))
            return NAN;
        for (int b = 0; b < 3; b++)
            F[3 * a + b] = row[b];
    }
    double s = 0;
    for (int k = 0; k < m; k++)
        for (int a = 0; a < 3; a++) {
            double r = d1[k][a] - (F[3 * a] * d0[k][0] + F[3 * a + 1] * d0[k][1] +
                                   F[3 * a + 2] * d0[k][2]);
            s += r * r;
        }
    free(d0);
    free(d1);
    *nn = m;
    return s;
}

static void compare_brute(const char *what, const sf_atoms *ref,
                          const sf_atoms *def, double rc)
{
    sf_d2min_opts o;
    sf_d2min_opts_init(&o);
    o.cutoff = rc;
    sf_d2min_result r;
    int rc_ = sf_d2min_compute(ref, def, &o, &r);
    CHECK_MSG(rc_ == SF_OK, "%s: %s", what, sf_error_message());
    if (rc_)
        return;
    CHECK(r.ninvalid == 0);
    double maxrel = 0, maxf = 0, sum = 0;
    int nnmis = 0, mapbad = 0;
    for (size_t i = 0; i < ref->n; i++) {
        double F[9];
        int nn = 0;
        double b = brute_d2min(ref, def, i, rc, F, &nn);
        double rel = fabs(r.d2min[i] - b) / fmax(b, 1e-12);
        if (rel > maxrel)
            maxrel = rel;
        for (int k = 0; k < 9; k++)
            maxf = fmax(maxf, fabs(F[k] - r.F[9 * i + k]));
        nnmis += nn != r.nneigh[i];
        mapbad += def->id[r.match[i]] != ref->id[i];
        sum += b;
    }
    CHECK_MSG(maxrel < 1e-9, "%s: max relative D2min error %g", what, maxrel);
    CHECK_MSG(maxf < 1e-10, "%s: max F error %g", what, maxf);
    CHECK_MSG(nnmis == 0, "%s: %d neighbour counts differ", what, nnmis);
    CHECK(mapbad == 0);
    CHECK_MSG(sum > 1e-3, "%s: noise gave no D2min (sum %g)", what, sum);
    sf_d2min_result_free(&r);
}

static void test_fit(void)
{
    /* exact affine data: F recovered, residual ~0; planar data: invalid */
    double A[9] = {1.01, 0.05, -0.02, 0.003, 0.98, 0.04, 0.0, -0.01, 1.02};
    double d0[3 * 8], d[3 * 8];
    for (int k = 0; k < 8; k++) {
        double v[3] = {(k & 1) ? 2.5 : -2.3, (k & 2) ? 2.1 : -2.6,
                       (k & 4) ? 2.7 : -2.2};
        memcpy(d0 + 3 * k, v, sizeof v);
        for (int a = 0; a < 3; a++)
            d[3 * k + a] = A[3 * a] * v[0] + A[3 * a + 1] * v[1] + A[3 * a + 2] * v[2];
    }
    double F[9], r;
    CHECK(sf_d2min_fit(8, d0, d, F, &r) == SF_OK);
    CHECK(r < 1e-26);
    for (int k = 0; k < 9; k++)
        CHECK_NEAR(F[k], A[k], 1e-14);
    /* one displaced neighbour: residual > 0 and less than its squared
     * displacement (the fit absorbs part of it) */
    d[0] += 0.3;
    CHECK(sf_d2min_fit(8, d0, d, F, &r) == SF_OK);
    CHECK(r > 0.01 && r < 0.09);
    /* all vectors in the z = 0 plane: no unique F */
    for (int k = 0; k < 8; k++)
        d0[3 * k + 2] = 0.0;
    CHECK(sf_d2min_fit(8, d0, d, F, &r) == SF_ERR);
    CHECK(isnan(r) && isnan(F[4]));
    CHECK(strstr(sf_error_message(), "span") != NULL);
    CHECK(sf_d2min_fit(2, d0, d, F, &r) == SF_ERR);
}

static void test_brute_orthogonal(void)
{
    sf_atoms *ref = make_config(5, 2.5, 0, 0, 0, 0.6);
    sf_box nb = ref->box;
    nb.xy = 0.3; /* a small shear + stretch */
    nb.len[0] *= 1.01;
    sf_atoms *def = deform(ref, &nb, 0.2, 1);
    compare_brute("orthogonal", ref, def, 3.7);
    sf_atoms_free(ref);
    sf_atoms_free(def);
}

static void test_brute_triclinic(void)
{
    sf_atoms *ref = make_config(5, 2.6, 2.0, -1.5, 1.0, 0.6);
    sf_box nb = ref->box;
    nb.xy += 0.4;
    nb.yz -= 0.2;
    nb.len[2] *= 0.99;
    sf_atoms *def = deform(ref, &nb, 0.25, 1);
    compare_brute("triclinic", ref, def, 3.8);
    sf_atoms_free(ref);
    sf_atoms_free(def);
}

static void test_affine_zero(void)
{
    /* triclinic reference, general box deformation, then the xy tilt moved
     * by -lx (the same lattice, as LAMMPS flips a box), atoms wrapped into
     * the new cell after random lattice shifts, reversed order */
    sf_atoms *ref = make_config(6, 2.5, 1.2, 0.4, -0.7, 0.7);
    sf_box nb = ref->box;
    nb.len[0] *= 1.02;
    nb.len[1] *= 0.99;
    nb.xy += 0.2 * nb.len[1];
    nb.xz -= 0.3;
    nb.yz += 0.5;
    sf_atoms *def = deform(ref, &nb, 0.0, 1);
    /* the box deformation gradient A with A (a,b,c) = (a',b',c') */
    const sf_box *o = &ref->box;
    double H0[9] = {o->len[0], o->xy, o->xz, 0, o->len[1], o->yz, 0, 0, o->len[2]};
    double H1[9] = {nb.len[0], nb.xy, nb.xz, 0, nb.len[1], nb.yz, 0, 0, nb.len[2]};
    /* A = H1 H0^-1 (H0 upper triangular) */
    double inv[9] = {1 / H0[0], -H0[1] / (H0[0] * H0[4]),
                     (H0[1] * H0[5] - H0[2] * H0[4]) / (H0[0] * H0[4] * H0[8]),
                     0, 1 / H0[4], -H0[5] / (H0[4] * H0[8]), 0, 0, 1 / H0[8]};
    double A[9];
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++)
            A[3 * a + b] = H1[3 * a] * inv[b] + H1[3 * a + 1] * inv[3 + b] +
                           H1[3 * a + 2] * inv[6 + b];
    /* flip: xy -> xy - lx is the same lattice */
    def->box.xy -= def->box.len[0];
    sf_atoms_wrap(def);
    sf_d2min_opts op;
    sf_d2min_opts_init(&op);
    op.cutoff = 3.6;
    sf_d2min_result r;
    CHECK_MSG(sf_d2min_compute(ref, def, &op, &r) == SF_OK, "%s",
              sf_error_message());
    double maxd = 0, maxf = 0;
    for (size_t i = 0; i < ref->n; i++) {
        maxd = fmax(maxd, r.d2min[i]);
        for (int k = 0; k < 9; k++)
            maxf = fmax(maxf, fabs(r.F[9 * i + k] - A[k]));
    }
    CHECK_MSG(maxd < 1e-20, "affine D2min %g", maxd);
    CHECK_MSG(maxf < 1e-12, "affine F error %g", maxf);
    CHECK(r.ninvalid == 0);
    sf_d2min_result_free(&r);
    /* a pure translation of everything (plus wrapping) is zero too */
    for (size_t i = 0; i < def->n; i++)
        for (int c = 0; c < 3; c++)
            def->x[3 * i + c] += 5.3 + c;
    sf_atoms_wrap(def);
    CHECK(sf_d2min_compute(ref, def, &op, &r) == SF_OK);
    maxd = 0;
    for (size_t i = 0; i < ref->n; i++)
        maxd = fmax(maxd, r.d2min[i]);
    CHECK_MSG(maxd < 1e-20, "translated affine D2min %g", maxd);
    sf_d2min_result_free(&r);
    sf_atoms_free(ref);
    sf_atoms_free(def);
}

static void test_errors(void)
{
    sf_atoms *ref = make_config(4, 2.5, 0, 0, 0, 0.3);
    sf_atoms *def = sf_atoms_copy(ref);
    sf_d2min_opts o;
    sf_d2min_opts_init(&o);
    sf_d2min_result r;
    o.cutoff = 0.0;
    CHECK(sf_d2min_compute(ref, def, &o, &r) == SF_ERR);
    CHECK(strstr(sf_error_message(), "cutoff") != NULL);
    o.cutoff = 6.0; /* box 10: not below half the width */
    CHECK(sf_d2min_compute(ref, def, &o, &r) == SF_ERR);
    CHECK(strstr(sf_error_message(), "half the reference box width") != NULL);
    o.cutoff = 3.0;
    CHECK(sf_d2min_compute(ref, def, &o, &r) == SF_OK);
    sf_d2min_result_free(&r);
    /* an id that the other side lacks */
    def->id[5] = 100000;
    CHECK(sf_d2min_compute(ref, def, &o, &r) == SF_ERR);
    CHECK_MSG(strstr(sf_error_message(), "atom id 38 of the reference is missing") != NULL,
              "%s", sf_error_message());
    CHECK(r.d2min == NULL && r.F == NULL);
    def->id[5] = ref->id[5];
    /* duplicate ids */
    def->id[6] = def->id[7];
    CHECK(sf_d2min_compute(ref, def, &o, &r) == SF_ERR);
    CHECK_MSG(strstr(sf_error_message(), "duplicate") != NULL, "%s",
              sf_error_message());
    def->id[6] = ref->id[6];
    /* a type that changed */
    def->type[9] = def->type[9] == 1 ? 2 : 1;
    CHECK(sf_d2min_compute(ref, def, &o, &r) == SF_ERR);
    CHECK_MSG(strstr(sf_error_message(), "has type") != NULL, "%s",
              sf_error_message());
    def->type[9] = ref->type[9];
    /* different counts */
    unsigned char *keep = malloc(ref->n);
    memset(keep, 1, ref->n);
    keep[0] = 0;
    sf_atoms *fewer = sf_atoms_select(def, keep);
    CHECK(sf_d2min_compute(ref, fewer, &o, &r) == SF_ERR);
    CHECK_MSG(strstr(sf_error_message(), "counts differ: 64 in the reference, 63") != NULL,
              "%s", sf_error_message());
    free(keep);
    sf_atoms_free(fewer);
    sf_atoms_free(ref);
    sf_atoms_free(def);
}

static void test_invalid_and_normalize(void)
{
    /* an atom far from the rest has no neighbours: NAN, counted */
    sf_atoms *a = make_config(4, 2.5, 0, 0, 0, 0.3);
    double lo[3] = {0, 0, 0}, hi[3] = {30, 30, 30};
    sf_box_init(&a->box, lo, hi, 0, 0, 0);
    /* atoms occupy 0..10 (plus the origin offset); move one to the far
     * corner */
    a->x[0] = 25;
    a->x[1] = 25;
    a->x[2] = 25;
    sf_atoms *d = sf_atoms_copy(a);
    for (size_t i = 0; i < d->n; i++)
        d->x[3 * i] += 0.05 * sin((double)i);
    sf_d2min_opts o;
    sf_d2min_opts_init(&o);
    o.cutoff = 3.7;
    sf_d2min_result r, rn;
    CHECK(sf_d2min_compute(a, d, &o, &r) == SF_OK);
    CHECK(r.ninvalid == 1);
    CHECK(isnan(r.d2min[0]) && r.nneigh[0] == 0);
    CHECK(!isnan(r.d2min[1]) && r.nneigh[1] > 3);
    o.normalize = 1;
    CHECK(sf_d2min_compute(a, d, &o, &rn) == SF_OK);
    int bad = 0;
    for (size_t i = 1; i < a->n; i++)
        bad += fabs(rn.d2min[i] - r.d2min[i] / r.nneigh[i]) > 1e-15 * (1 + r.d2min[i]);
    CHECK(bad == 0);
    sf_d2min_result_free(&r);
    sf_d2min_result_free(&rn);
    sf_atoms_free(a);
    sf_atoms_free(d);
}

static void test_threads(void)
{
#ifdef _OPENMP
    sf_atoms *ref = make_config(10, 2.5, 1.0, 0.5, -0.5, 0.7);
    sf_box nb = ref->box;
    nb.xy += 0.5;
    sf_atoms *def = deform(ref, &nb, 0.3, 1);
    sf_d2min_opts o;
    sf_d2min_opts_init(&o);
    o.cutoff = 3.7;
    sf_d2min_result r1, r2;
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    CHECK(sf_d2min_compute(ref, def, &o, &r1) == SF_OK);
    omp_set_num_threads(3);
    CHECK(sf_d2min_compute(ref, def, &o, &r2) == SF_OK);
    omp_set_num_threads(saved);
    CHECK(memcmp(r1.d2min, r2.d2min, ref->n * sizeof(double)) == 0);
    CHECK(memcmp(r1.F, r2.F, 9 * ref->n * sizeof(double)) == 0);
    /* the reference in another atom order: the same bytes for each id */
    sf_atoms *rev = sf_atoms_new(ref->n, ref->ntypes);
    rev->box = ref->box;
    for (size_t i = 0; i < ref->n; i++) {
        size_t k = (i * 7919) % ref->n; /* 7919 is prime, n = 1000 */
        rev->id[k] = ref->id[i];
        rev->type[k] = ref->type[i];
        for (int c = 0; c < 3; c++)
            rev->x[3 * k + c] = ref->x[3 * i + c];
    }
    sf_d2min_result r3;
    CHECK(sf_d2min_compute(rev, def, &o, &r3) == SF_OK);
    int diff = 0;
    for (size_t i = 0; i < ref->n; i++) {
        size_t k = (i * 7919) % ref->n;
        diff += memcmp(&r1.d2min[i], &r3.d2min[k], sizeof(double)) != 0;
        diff += memcmp(r1.F + 9 * i, r3.F + 9 * k, 9 * sizeof(double)) != 0;
    }
    CHECK_MSG(diff == 0, "%d atoms differ after reordering the reference", diff);
    sf_d2min_result_free(&r3);
    sf_atoms_free(rev);
    sf_d2min_result_free(&r1);
    sf_d2min_result_free(&r2);
    sf_atoms_free(ref);
    sf_atoms_free(def);
#endif
}

int main(void)
{
    test_fit();
    test_brute_orthogonal();
    test_brute_triclinic();
    test_affine_zero();
    test_errors();
    test_invalid_and_normalize();
    test_threads();
    return sf_test_summary();
}
