/* Tests of the box geometry and the atoms container. */
#include "sf_atoms.h"
#include "sf_error.h"
#include "sf_test.h"

#include <string.h>

static double urand(unsigned long long *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

static void test_box(void)
{
    sf_box b;
    double lo[3] = {-1, 2, 0.5}, hi[3] = {9, 14, 7.5};
    CHECK(sf_box_init(&b, lo, hi, 2.0, -1.5, 0.7) == SF_OK);
    CHECK_NEAR(sf_box_volume(&b), 10.0 * 12.0 * 7.0, 1e-12);
    unsigned long long seed = 1;
    for (int t = 0; t < 1000; t++) {
        double r[3], s[3], q[3];
        for (int k = 0; k < 3; k++)
            r[k] = 40 * urand(&seed) - 20;
        sf_box_to_frac(&b, r, s);
        sf_box_to_cart(&b, s, q);
        for (int k = 0; k < 3; k++)
            CHECK_NEAR(q[k], r[k], 1e-12);
        /* wrap keeps the point equivalent and inside the cell */
        double w[3] = {r[0], r[1], r[2]};
        int img[3] = {0, 0, 0};
        sf_box_wrap(&b, w, img);
        sf_box_to_frac(&b, w, s);
        for (int k = 0; k < 3; k++)
            CHECK(s[k] >= 0.0 && s[k] < 1.0);
        double u[3];
        sf_box_unwrap(&b, w, img, u);
        for (int k = 0; k < 3; k++)
            CHECK_NEAR(u[k], r[k], 1e-11);
        /* minimum image is no longer than any of the 125 nearby images */
        double d[3] = {r[0], r[1], r[2]};
        sf_box_minimum_image(&b, d);
        double dm = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
        double best = 1e300;
        double fr[3];
        sf_box_to_frac(&b, (double[3]){r[0] + b.lo[0], r[1] + b.lo[1], r[2] + b.lo[2]}, fr);
        for (int i = -4; i <= 4; i++)
            for (int j = -4; j <= 4; j++)
                for (int k = -4; k <= 4; k++) {
                    double x = r[0] + i * b.len[0] + j * b.xy + k * b.xz;
                    double y = r[1] + j * b.len[1] + k * b.yz;
                    double z = r[2] + k * b.len[2];
                    double r2 = x * x + y * y + z * z;
                    if (r2 < best)
                        best = r2;
                }
        CHECK_NEAR(dm, best, 1e-9);
    }
    double w[3];
    sf_box_widths(&b, w);
    CHECK_NEAR(w[2], 7.0, 1e-12);
    double lo2[3] = {0, 0, 0}, hi2[3] = {1, 0, 1};
    CHECK(sf_box_init(&b, lo2, hi2, 0, 0, 0) == SF_ERR);
    CHECK(strstr(sf_error_message(), "zero or negative length along y") != NULL);
}

static void test_atoms(void)
{
    sf_atoms *a = sf_atoms_new(5, 2);
    CHECK(a != NULL);
    int64_t ids[5] = {40, 3, 17, 8, 1};
    for (int i = 0; i < 5; i++) {
        a->id[i] = ids[i];
        a->type[i] = 1 + (i % 2);
        a->x[3 * i] = i;
    }
    CHECK(sf_atoms_set_species(a, 1, "Cu") == SF_OK);
    CHECK(sf_atoms_set_species(a, 2, "Zr") == SF_OK);
    CHECK(sf_atoms_find_species(a, "Zr") == 2);
    double col[5] = {10, 11, 12, 13, 14};
    CHECK(sf_atoms_add_column(a, "q", col) != NULL);
    CHECK(sf_atoms_validate(a, "t") == SF_OK);
    double *x0 = a->x;
    CHECK(sf_atoms_sort_by_id(a) == SF_OK);
    CHECK(a->x == x0); /* sorted in place: views stay valid */
    CHECK(a->id[0] == 1 && a->id[4] == 40);
    CHECK(a->x[0] == 4 && sf_atoms_column(a, "q")[0] == 14);
    unsigned char keep[5] = {1, 0, 1, 0, 1};
    sf_atoms *b = sf_atoms_select(a, keep);
    CHECK(b && b->n == 3 && b->id[1] == 8);
    sf_atoms *c = sf_atoms_concat(a, b);
    CHECK(c && c->n == 8 && sf_atoms_validate(c, "c") == SF_OK);
    sf_atoms *r = sf_atoms_replicate(a, 2, 3, 1);
    CHECK(r && r->n == 30 && sf_atoms_validate(r, "r") == SF_OK);
    CHECK_NEAR(r->box.len[1], 3 * a->box.len[1], 1e-15);
    a->id[2] = a->id[1];
    CHECK(sf_atoms_validate(a, "file.dump") == SF_ERR);
    CHECK(strstr(sf_error_message(), "file.dump: duplicate atom id") != NULL);
    a->id[2] = -4;
    CHECK(sf_atoms_validate(a, "f") == SF_ERR);
    sf_atoms_free(a);
    sf_atoms_free(b);
    sf_atoms_free(c);
    sf_atoms_free(r);
}

int main(void)
{
    test_box();
    test_atoms();
    return sf_test_summary();
}
