/* test_neighbor.c - cell-list neighbour lists against a brute-force
 * all-pairs search over explicit image shifts, on small periodic boxes
 * (orthogonal, triclinic, smaller than the cutoff, unwrapped input, a
 * non-periodic direction), half lists, groups, and byte-identical output
 * for 1 and 2 threads. */
#include "sf_test.h"

#include "sf_atoms.h"
#include "sf_box.h"
#include "sf_error.h"
#include "sf_neighbor.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* xorshift: the same numbers on every platform */
static uint64_t rng = 88172645463325252ull;
static double urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

typedef struct pair {
    uint32_t i, j;
    long n[3]; /* lattice shift */
    double d[3], r;
} pair;

static int cmp_pair(const void *pa, const void *pb)
{
    const pair *a = pa, *b = pb;
    if (a->i != b->i)
        return a->i < b->i ? -1 : 1;
    if (a->j != b->j)
        return a->j < b->j ? -1 : 1;
    for (int k = 0; k < 3; k++)
        if (a->n[k] != b->n[k])
            return a->n[k] < b->n[k] ? -1 : 1;
    return 0;
}

/* Lattice shift n with x_j + n.(a,b,c) - x_i = d (rounded). */
static void shift_of(const sf_box *bx, const double *xi, const double *xj,
                     const double *d, long n[3])
{
    double t[3] = {d[0] - (xj[0] - xi[0]), d[1] - (xj[1] - xi[1]),
                   d[2] - (xj[2] - xi[2])};
    double s2 = t[2] / bx->len[2];
    double s1 = (t[1] - bx->yz * s2) / bx->len[1];
    double s0 = (t[0] - bx->xy * s1 - bx->xz * s2) / bx->len[0];
    n[0] = lround(s0);
    n[1] = lround(s1);
    n[2] = lround(s2);
}

/* All pairs by brute force: every j, every image shift in range. */
static pair *brute(const sf_atoms *a, double rc, size_t *np)
{
    const sf_box *bx = &a->box;
    double w[3];
    sf_box_widths(bx, w);
    /* shifts: the cutoff in cell widths plus the spread of the (possibly
     * unwrapped) inputs in box lengths */
    double smin[3] = {1e300, 1e300, 1e300}, smax[3] = {-1e300, -1e300, -1e300};
    for (size_t i = 0; i < a->n; i++) {
        double sv[3];
        sf_box_to_frac(bx, a->x + 3 * i, sv);
        for (int k = 0; k < 3; k++) {
            if (sv[k] < smin[k])
                smin[k] = sv[k];
            if (sv[k] > smax[k])
                smax[k] = sv[k];
        }
    }
    long lim[3];
    for (int k = 0; k < 3; k++)
        lim[k] = bx->periodic[k] && a->n
                     ? (long)ceil(rc / w[k]) + (long)ceil(smax[k] - smin[k]) + 1
                     : 0;
    size_t cap = 1024, m = 0;
    pair *p = malloc(cap * sizeof *p);
    for (size_t i = 0; i < a->n; i++)
        for (size_t j = 0; j < a->n; j++)
            for (long n2 = -lim[2]; n2 <= lim[2]; n2++)
                for (long n1 = -lim[1]; n1 <= lim[1]; n1++)
                    for (long n0 = -lim[0]; n0 <= lim[0]; n0++) {
                        if (i == j && n0 == 0 && n1 == 0 && n2 == 0)
                            continue;
                        const double *xi = a->x + 3 * i, *xj = a->x + 3 * j;
                        double d[3];
                        d[0] = xj[0] + n0 * bx->len[0] + n1 * bx->xy +
                               n2 * bx->xz - xi[0];
                        d[1] = xj[1] + n1 * bx->len[1] + n2 * bx->yz - xi[1];
                        d[2] = xj[2] + n2 * bx->len[2] - xi[2];
                        double r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
                        if (!(r < rc))
                            continue;
                        if (m == cap)
                            p = realloc(p, (cap *= 2) * sizeof *p);
                        pair *q = p + m++;
                        q->i = (uint32_t)i;
                        q->j = (uint32_t)j;
                        q->n[0] = n0;
                        q->n[1] = n1;
                        q->n[2] = n2;
                        memcpy(q->d, d, sizeof d);
                        q->r = r;
                    }
    qsort(p, m, sizeof *p, cmp_pair);
    *np = m;
    return p;
}

/* The list as pairs (mirrored too when half and mirror != 0). */
static pair *from_list(const sf_atoms *a, const sf_neighbor_list *nl,
                       int mirror, size_t *np)
{
    size_t m = nl->npairs * (mirror ? 2 : 1);
    pair *p = malloc((m + 1) * sizeof *p);
    size_t k = 0;
    for (size_t i = 0; i < nl->n; i++)
        for (size_t e = nl->offsets[i]; e < nl->offsets[i + 1]; e++) {
            pair *q = p + k++;
            q->i = (uint32_t)i;
            q->j = nl->j[e];
            memcpy(q->d, nl->vec + 3 * e, 3 * sizeof(double));
            q->r = nl->dist[e];
            shift_of(&a->box, a->x + 3 * i, a->x + 3 * q->j, q->d, q->n);
            if (mirror) {
                pair *t = p + k++;
                t->i = q->j;
                t->j = q->i;
                for (int c = 0; c < 3; c++)
                    t->d[c] = -q->d[c];
                t->r = q->r;
                shift_of(&a->box, a->x + 3 * t->i, a->x + 3 * t->j, t->d, t->n);
            }
        }
    qsort(p, k, sizeof *p, cmp_pair);
    *np = k;
    return p;
}

static double relerr(double a, double b)
{
    double s = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    return s > 0 ? fabs(a - b) / s : 0.0;
}

/* Compare two sorted pair sets: same keys, distances and vectors within
 * 1e-12 relative (vectors relative to the distance). */
static int same_pairs(const pair *p, size_t np, const pair *q, size_t nq,
                      const char *what)
{
    if (np != nq) {
        fprintf(stderr, "%s: %zu pairs vs %zu brute force\n", what, np, nq);
        return 0;
    }
    for (size_t k = 0; k < np; k++) {
        if (cmp_pair(p + k, q + k) != 0) {
            fprintf(stderr, "%s: pair %zu differs: (%u,%u,[%ld %ld %ld]) vs "
                            "(%u,%u,[%ld %ld %ld])\n",
                    what, k, p[k].i, p[k].j, p[k].n[0], p[k].n[1], p[k].n[2],
                    q[k].i, q[k].j, q[k].n[0], q[k].n[1], q[k].n[2]);
            return 0;
        }
        double scale = q[k].r > 1e-300 ? q[k].r : 1.0;
        if (relerr(p[k].r, q[k].r) > 1e-12 ||
            fabs(p[k].d[0] - q[k].d[0]) > 1e-12 * scale ||
            fabs(p[k].d[1] - q[k].d[1]) > 1e-12 * scale ||
            fabs(p[k].d[2] - q[k].d[2]) > 1e-12 * scale) {
            fprintf(stderr, "%s: pair %zu distance %.17g vs %.17g\n", what, k,
                    p[k].r, q[k].r);
            return 0;
        }
    }
    return 1;
}

static sf_atoms *random_atoms(size_t n, const double lo[3], const double len[3],
                              double xy, double xz, double yz, int ntypes,
                              double spread)
{
    sf_atoms *a = sf_atoms_new(n, ntypes);
    double hi[3] = {lo[0] + len[0], lo[1] + len[1], lo[2] + len[2]};
    sf_box_init(&a->box, lo, hi, xy, xz, yz);
    for (size_t i = 0; i < n; i++) {
        /* fractional in [-spread, 1 + spread): spread > 0 tests unwrapped */
        double s[3];
        for (int k = 0; k < 3; k++)
            s[k] = -spread + (1 + 2 * spread) * urand();
        sf_box_to_cart(&a->box, s, a->x + 3 * i);
        a->type[i] = 1 + (int32_t)(i % (size_t)ntypes);
    }
    return a;
}

static void check_case(const char *name, sf_atoms *a, double rc)
{
    size_t nb, nf, nh;
    pair *b = brute(a, rc, &nb);
    sf_neighbor_list *full = sf_neighbor_build(a, rc, 0);
    sf_neighbor_list *half = sf_neighbor_build(a, rc, SF_NEIGHBOR_HALF);
    CHECK_MSG(full && half, "%s: %s", name, sf_error_message());
    if (!full || !half) {
        free(b);
        return;
    }
    pair *f = from_list(a, full, 0, &nf);
    pair *h = from_list(a, half, 1, &nh);
    char what[256];
    snprintf(what, sizeof what, "%s full", name);
    CHECK_MSG(same_pairs(f, nf, b, nb, what), "%s", what);
    snprintf(what, sizeof what, "%s half+mirror", name);
    CHECK_MSG(same_pairs(h, nh, b, nb, what), "%s", what);
    CHECK(half->npairs * 2 == full->npairs);
    /* count API agrees with the list, for several cell sizes (which atom of
     * a pair holds it in a half list depends on the grid: totals only) */
    for (int cs = 0; cs < 4; cs++) {
        double cell = cs == 0 ? 0.0 : rc * (0.3 + 0.45 * cs);
        sf_cells *c = sf_cells_new_sized(&a->box, a->n, a->x, NULL, 1, rc, cell);
        size_t bad = 0, tot = 0;
        for (size_t i = 0; i < a->n; i++) {
            if (sf_cells_count_within(c, i, -1, rc, 0) !=
                full->offsets[i + 1] - full->offsets[i])
                bad++;
            tot += sf_cells_count_within(c, i, -1, rc, SF_CELLS_HALF);
        }
        CHECK_MSG(bad == 0, "%s: cell %g: %zu count mismatches", name, cell, bad);
        CHECK_MSG(tot == half->npairs, "%s: cell %g: half total %zu vs %zu", name,
                  cell, tot, half->npairs);
        sf_cells_free(c);
    }
    printf("%-28s n=%zu rc=%g pairs=%zu ok\n", name, a->n, rc, nb);
    free(b);
    free(f);
    free(h);
    sf_neighbor_free(full);
    sf_neighbor_free(half);
}

static void test_boxes(void)
{
    double lo0[3] = {0, 0, 0}, lo1[3] = {-3.2, 1.5, -7.25};
    {
        double len[3] = {10, 11, 12};
        sf_atoms *a = random_atoms(300, lo0, len, 0, 0, 0, 2, 0);
        check_case("orthogonal", a, 3.5);
        sf_atoms_free(a);
    }
    {
        double len[3] = {9, 10, 11};
        sf_atoms *a = random_atoms(300, lo1, len, 3.0, -2.5, 1.7, 2, 0);
        check_case("triclinic", a, 3.7);
        sf_atoms_free(a);
    }
    {
        /* tilts beyond the LAMMPS limits still work */
        double len[3] = {6, 7, 8};
        sf_atoms *a = random_atoms(120, lo1, len, 5.5, -7.0, 6.0, 2, 0);
        check_case("strongly tilted", a, 4.0);
        sf_atoms_free(a);
    }
    {
        double len[3] = {3.0, 3.5, 4.0};
        sf_atoms *a = random_atoms(6, lo0, len, 0, 0, 0, 2, 0);
        check_case("tiny orthogonal", a, 7.0);
        sf_atoms_free(a);
    }
    {
        double len[3] = {2.5, 3.0, 2.8};
        sf_atoms *a = random_atoms(5, lo1, len, 1.1, -0.9, 0.7, 2, 0);
        check_case("tiny triclinic", a, 6.0);
        sf_atoms_free(a);
    }
    {
        double len[3] = {2.2, 2.6, 3.1};
        sf_atoms *a = random_atoms(1, lo0, len, 0.5, 0.3, -0.4, 1, 0);
        check_case("one atom, own images", a, 5.0);
        sf_atoms_free(a);
    }
    {
        double len[3] = {8, 9, 10};
        sf_atoms *a = random_atoms(150, lo1, len, 1.5, 2.0, -1.0, 3, 1.5);
        check_case("unwrapped input", a, 3.3);
        sf_atoms_free(a);
    }
    {
        double len[3] = {8, 9, 10};
        sf_atoms *a = random_atoms(150, lo0, len, 1.0, 0.5, -1.0, 2, 0);
        a->box.periodic[2] = 0;
        /* a few atoms outside the box along the open direction */
        for (size_t i = 0; i < 10; i++)
            a->x[3 * i + 2] += (i % 2 ? 6.0 : -5.0);
        check_case("non-periodic z", a, 3.6);
        sf_atoms_free(a);
    }
    {
        double len[3] = {8, 9, 10};
        sf_atoms *a = random_atoms(0, lo0, len, 0, 0, 0, 1, 0);
        sf_neighbor_list *nl = sf_neighbor_build(a, 3.0, 0);
        CHECK(nl && nl->npairs == 0 && nl->offsets[0] == 0);
        sf_neighbor_free(nl);
        sf_atoms_free(a);
    }
}

static void test_errors(void)
{
    double lo[3] = {0, 0, 0}, len[3] = {5, 5, 5};
    sf_atoms *a = random_atoms(10, lo, len, 0, 0, 0, 1, 0);
    CHECK(sf_neighbor_build(a, 0.0, 0) == NULL);
    CHECK(strstr(sf_error_message(), "cutoff") != NULL);
    CHECK(sf_neighbor_build(a, NAN, 0) == NULL);
    a->x[7] = NAN;
    CHECK(sf_neighbor_build(a, 2.0, 0) == NULL);
    CHECK(strstr(sf_error_message(), "atom 3") != NULL);
    sf_atoms_free(a);
}

/* Group queries: per-group results partition the all-group result. */
static void test_groups(void)
{
    double lo[3] = {1, 2, 3}, len[3] = {9, 8, 10};
    sf_atoms *a = random_atoms(250, lo, len, 2.0, -1.0, 1.5, 3, 0);
    int32_t *grp = malloc(a->n * sizeof *grp);
    for (size_t i = 0; i < a->n; i++)
        grp[i] = a->type[i] - 1;
    sf_cells *c = sf_cells_new(&a->box, a->n, a->x, grp, 3, 4.0);
    CHECK(c != NULL);
    sf_nbuf all = {0}, one = {0};
    size_t bad = 0;
    const uint32_t *ent = sf_cells_atoms(c);
    for (size_t i = 0; i < a->n; i++) {
        all.n = 0;
        sf_cells_query(c, i, -1, 4.0, SF_CELLS_VEC, &all);
        size_t tot = 0;
        for (int g = 0; g < 3; g++) {
            one.n = 0;
            sf_cells_query(c, i, g, 3.5, 0, &one);
            for (size_t k = 0; k < one.n; k++)
                if (grp[ent[one.j[k]]] != g || !(one.d2[k] < 3.5 * 3.5))
                    bad++;
            size_t cnt = 0;
            for (size_t k = 0; k < all.n; k++)
                if (grp[ent[all.j[k]]] == g && all.d2[k] < 3.5 * 3.5)
                    cnt++;
            if (cnt != one.n)
                bad++;
            tot += one.n;
        }
        if (tot > all.n)
            bad++;
    }
    CHECK_MSG(bad == 0, "%zu group mismatches", bad);
    sf_nbuf_free(&all);
    sf_nbuf_free(&one);
    sf_cells_free(c);
    free(grp);
    sf_atoms_free(a);
}

/* Same bytes for 1 and 2 threads, full and half. */
static void test_threads(void)
{
#ifdef _OPENMP
    double lo[3] = {0, 0, 0}, len[3] = {30, 28, 32};
    sf_atoms *a = random_atoms(20000, lo, len, 4.0, -3.0, 2.0, 2, 0.2);
    for (int half = 0; half <= 1; half++) {
        int fl = half ? SF_NEIGHBOR_HALF : 0;
        omp_set_num_threads(1);
        sf_neighbor_list *p = sf_neighbor_build(a, 4.5, fl);
        omp_set_num_threads(2);
        sf_neighbor_list *q = sf_neighbor_build(a, 4.5, fl);
        CHECK(p && q && p->npairs == q->npairs);
        if (p && q && p->npairs == q->npairs) {
            CHECK(memcmp(p->offsets, q->offsets, (a->n + 1) * sizeof *p->offsets) == 0);
            CHECK(memcmp(p->j, q->j, p->npairs * sizeof *p->j) == 0);
            CHECK(memcmp(p->dist, q->dist, p->npairs * sizeof *p->dist) == 0);
            CHECK(memcmp(p->vec, q->vec, 3 * p->npairs * sizeof *p->vec) == 0);
        }
        sf_neighbor_free(p);
        sf_neighbor_free(q);
    }
    sf_atoms_free(a);
#else
    printf("no OpenMP: thread determinism not tested\n");
#endif
}

/* sf_neighbor_update: the same list as a fresh build, memory reused. */
static void test_update(void)
{
    double lo[3] = {0, 0, 0}, len[3] = {12, 13, 14};
    sf_atoms *a = random_atoms(500, lo, len, 1.0, -0.5, 2.0, 2, 0);
    sf_neighbor_list *nl = sf_neighbor_build(a, 3.4, 0);
    CHECK(nl != NULL);
    for (int step = 0; step < 3; step++) {
        for (size_t k = 0; k < 3 * a->n; k++)
            a->x[k] += 0.3 * (urand() - 0.5);
        double *before = nl->j ? (double *)nl->dist : NULL;
        CHECK(sf_neighbor_update(nl, &a->box, a->n, a->x) == SF_OK);
        sf_neighbor_list *fresh = sf_neighbor_build(a, 3.4, 0);
        CHECK(fresh && fresh->npairs == nl->npairs);
        if (fresh && fresh->npairs == nl->npairs) {
            CHECK(memcmp(fresh->offsets, nl->offsets, (a->n + 1) * sizeof *nl->offsets) == 0);
            CHECK(memcmp(fresh->j, nl->j, nl->npairs * sizeof *nl->j) == 0);
            CHECK(memcmp(fresh->dist, nl->dist, nl->npairs * sizeof *nl->dist) == 0);
            CHECK(memcmp(fresh->vec, nl->vec, 3 * nl->npairs * sizeof *nl->vec) == 0);
        }
        if (nl->npairs <= nl->cap && step > 0)
            CHECK(before == NULL || nl->dist == before || nl->cap >= nl->npairs);
        sf_neighbor_free(fresh);
    }
    /* fewer atoms */
    CHECK(sf_neighbor_update(nl, &a->box, 100, a->x) == SF_OK);
    CHECK(nl->n == 100);
    sf_neighbor_list *fresh = sf_neighbor_build_x(&a->box, 100, a->x, 3.4, 0);
    CHECK(fresh && fresh->npairs == nl->npairs);
    sf_neighbor_free(fresh);
    sf_neighbor_free(nl);
    sf_atoms_free(a);
}

int main(void)
{
    test_boxes();
    test_errors();
    test_groups();
    test_threads();
    test_update();
    return sf_test_summary();
}
