/* test_eam_hessian.c - the analytic EAM Hessian against central finite
 * differences of the forces, its symmetry, the acoustic sum rule, the upper
 * (half) storage against the full one, and matvec against the dense copy. */
#include "sf_test.h"
#include "test_eam_util.h"

#include "sf_error.h"
#include "sf_sparse.h"

static double block_entry(const sf_bsr *h, size_t i, size_t j)
{
    int tr = 0;
    const double *b = sf_bsr_block(h, i / 3, j / 3, &tr);
    if (!b)
        return 0.0;
    return tr ? b[3 * (j % 3) + i % 3] : b[3 * (i % 3) + j % 3];
}

static void check_config(const char *label, sf_atoms *a, double hstep)
{
    sf_eam *p = sf_eam_read(CUZR_FS, SF_EAM_AUTO);
    int map[3];
    CHECK(sf_eam_type_map(p, a, NULL, 0, map) == SF_OK);
    size_t n = a->n, n3 = 3 * n;
    sf_bsr *H = sf_eam_hessian(p, a, map, 0);
    sf_bsr *U = sf_eam_hessian(p, a, map, 1);
    CHECK_MSG(H && U, "%s", sf_error_message());
    if (!H || !U)
        return;
    double big = 0;
    double asym = sf_bsr_asymmetry(H, &big);
    printf("%s: %zu atoms, %.1f blocks per row (full), max|H| %.3g, asymmetry %.2e\n",
           label, n, (double)sf_bsr_nnzb(H) / n, big, asym);
    CHECK_MSG(asym <= 1e-12 * big, "%s: asymmetry %.3g", label, asym);

    /* acoustic sum rule: each block row sums to zero */
    double asr = 0;
    for (size_t r = 0; r < n; r++) {
        double s[9] = {0};
        for (size_t k = H->rowptr[r]; k < H->rowptr[r + 1]; k++)
            for (int e = 0; e < 9; e++)
                s[e] += H->val[9 * k + e];
        for (int e = 0; e < 9; e++)
            asr = fmax(asr, fabs(s[e]));
    }
    printf("%s: acoustic sum rule max|sum_b H_ab| %.2e\n", label, asr);
    CHECK_MSG(asr <= 1e-11 * big, "%s: ASR %.3g", label, asr);

    /* upper storage equals the upper blocks of the full one */
    CHECK(sf_bsr_nnzb(U) == (sf_bsr_nnzb(H) + n) / 2);
    double dud = 0;
    for (size_t r = 0; r < n; r++)
        for (size_t k = U->rowptr[r]; k < U->rowptr[r + 1]; k++) {
            const double *b = sf_bsr_block(H, r, (size_t)U->col[k], NULL);
            for (int e = 0; e < 9; e++)
                dud = fmax(dud, fabs(U->val[9 * k + e] - (b ? b[e] : 1e300)));
        }
    CHECK_MSG(dud == 0.0, "%s: upper vs full %.3g", label, dud);

    /* matvec (full and symmetric storage) against the dense copy */
    double *A = malloc(n3 * n3 * sizeof *A), *x = malloc(n3 * sizeof *x);
    double *y1 = malloc(n3 * sizeof *y1), *y2 = malloc(n3 * sizeof *y2);
    sf_bsr_to_dense(U, NULL, A, n3);
    for (size_t i = 0; i < n3; i++)
        x[i] = tu_rand() - 0.5;
    sf_bsr_matvec(H, x, y1);
    sf_bsr_matvec(U, x, y2);
    double dm = 0, ym = 0;
    for (size_t i = 0; i < n3; i++) {
        double s = 0;
        for (size_t j = 0; j < n3; j++)
            s += A[i + j * n3] * x[j];
        dm = fmax(dm, fmax(fabs(s - y1[i]), fabs(s - y2[i])));
        ym = fmax(ym, fabs(s));
    }
    CHECK_MSG(dm <= 1e-12 * ym, "%s: matvec %.3g", label, dm);
    free(A);
    free(x);
    free(y1);
    free(y2);

    /* finite differences of the forces.  The LAMMPS tables are cubic
     * Hermite pieces on a grid (dr = 7.6e-4 A for CuZr_mm): their second
     * derivative jumps at the knots, so a central difference whose +-h
     * stencil straddles a knot of some pair distance differs from the
     * analytic value by a fraction of that jump (up to ~1e-3 relative,
     * growing in frequency ~linearly with h).  Each column is therefore
     * differenced at h and h/3; where the two disagree (a knot inside the
     * stencil) the column is differenced again with h/100. */
    double *fp = malloc(n3 * sizeof *fp), *fm = malloc(n3 * sizeof *fm);
    double *c1 = malloc(n3 * sizeof *c1), *c2 = malloc(n3 * sizeof *c2);
    double worst = 0, colmax = 0;
    size_t ncol = 0, nknot = 0;
    for (size_t at = 0; at < n; at += n / 12 + 1) {
        for (int d = 0; d < 3; d++) {
            size_t c = 3 * at + d;
            double x0 = a->x[c], hs[3] = {hstep, hstep / 3, hstep / 100};
            double *cols[2] = {c1, c2};
            double cmax = 0;
            for (size_t i = 0; i < n3; i++)
                cmax = fmax(cmax, fabs(block_entry(H, i, c)));
            int use = 0;
            for (int t = 0; t < 3; t++) {
                a->x[c] = x0 + hs[t];
                sf_eam_compute(p, a, map, NULL, NULL, fp, NULL);
                a->x[c] = x0 - hs[t];
                sf_eam_compute(p, a, map, NULL, NULL, fm, NULL);
                a->x[c] = x0;
                double *col = cols[t == 0 ? 0 : 1];
                for (size_t i = 0; i < n3; i++)
                    col[i] = -(fp[i] - fm[i]) / (2 * hs[t]);
                if (t == 1) {
                    double dd = 0;
                    for (size_t i = 0; i < n3; i++)
                        dd = fmax(dd, fabs(c1[i] - c2[i]));
                    if (dd <= 1e-7 * cmax)
                        break; /* no knot inside: keep the h column */
                    nknot++;
                    use = 1;
                }
            }
            for (size_t i = 0; i < n3; i++) {
                double an = block_entry(H, i, c);
                worst = fmax(worst, fabs(cols[use][i] - an));
                colmax = fmax(colmax, fabs(an));
                /* the symmetric half gives the same entry */
                if (fabs(block_entry(U, i, c) - an) > 1e-12 * big)
                    worst = INFINITY;
            }
            ncol++;
        }
    }
    printf("%s: %zu FD columns (h=%g; %zu with a knot inside, redone at h/100): "
           "max|H_fd - H| %.3e, max|H| %.3e, rel %.2e\n",
           label, ncol, hstep, nknot, worst, colmax, worst / colmax);
    CHECK_MSG(worst <= 1e-6 * colmax, "%s: Hessian vs finite differences", label);
    free(c1);
    free(c2);
    free(fp);
    free(fm);
    sf_bsr_free(H);
    sf_bsr_free(U);
    sf_eam_free(p);
}

int main(void)
{
    if (!tu_have_file(CUZR_FS)) {
        printf("%s missing: skipped\n", CUZR_FS);
        return 77;
    }
    double ortho[3] = {0, 0, 0}, tri[3] = {0.1, -0.08, 0.05};
    sf_atoms *a = tu_random_cuzr(200, 0.058, ortho, 2.2);
    check_config("random, orthogonal", a, 1e-5);
    sf_atoms_free(a);
    a = tu_random_cuzr(216, 0.058, tri, 2.2);
    check_config("random, triclinic", a, 1e-5);
    sf_atoms_free(a);
    /* a box wider than twice the cutoff (no image of an atom is its own
     * second neighbour) */
    a = tu_random_cuzr(600, 0.058, tri, 2.2);
    check_config("random, triclinic, 600 atoms", a, 1e-5);
    sf_atoms_free(a);
    return sf_test_summary();
}
