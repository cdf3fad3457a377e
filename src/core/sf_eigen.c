/* sf_eigen.c - lowest normal modes (LAPACK dsyevr / ARPACK + CHOLMOD),
 * participation, harmonic MSD. */
#include "sf_eigen.h"
#include "sf_error.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpack/arpack.h>
#include <cblas.h>
#include <suitesparse/cholmod.h>

/* LAPACK (gfortran ABI: hidden string lengths at the end) */
extern void dsyevr_(const char *jobz, const char *range, const char *uplo, const int *n,
                    double *a, const int *lda, const double *vl, const double *vu,
                    const int *il, const int *iu, const double *abstol, int *m, double *w,
                    double *z, const int *ldz, int *isuppz, double *work, const int *lwork,
                    int *iwork, const int *liwork, int *info, size_t, size_t, size_t);
extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info,
                    size_t);
extern void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info,
                    size_t);

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

int sf_eigen_dense(size_t n, double *A, size_t il, size_t iu, double *w, double *Z)
{
    if (n == 0 || n > (size_t)INT32_MAX / 2)
        return sf_error("dense eigenproblem: bad size %zu", n);
    if (il < 1 || iu < il || iu > n)
        return sf_error("dense eigenproblem: range %zu..%zu outside 1..%zu", il, iu, n);
    int N = (int)n, IL = (int)il, IU = (int)iu, m = 0, info = 0, lwork = -1, liwork = -1;
    int iwq = 0;
    double vl = 0, vu = 0, abstol = 0, wq = 0;
    const char *jobz = Z ? "V" : "N";
    int ldz = N;
    int *isuppz = sf_malloc(2 * (iu - il + 1) * sizeof *isuppz);
    double *wall = sf_malloc(n * sizeof *wall);
    if (!isuppz || !wall) {
        free(isuppz);
        free(wall);
        return SF_ERR;
    }
    dsyevr_(jobz, "I", "L", &N, A, &N, &vl, &vu, &IL, &IU, &abstol, &m, wall, Z, &ldz,
            isuppz, &wq, &lwork, &iwq, &liwork, &info, 1, 1, 1);
    lwork = (int)wq + 1;
    liwork = iwq + 1;
    double *work = sf_malloc((size_t)lwork * sizeof *work);
    int *iwork = sf_malloc((size_t)liwork * sizeof *iwork);
    if (!work || !iwork) {
        free(work);
        free(iwork);
        free(isuppz);
        free(wall);
        return SF_ERR;
    }
    dsyevr_(jobz, "I", "L", &N, A, &N, &vl, &vu, &IL, &IU, &abstol, &m, wall, Z, &ldz,
            isuppz, work, &lwork, iwork, &liwork, &info, 1, 1, 1);
    free(work);
    free(iwork);
    free(isuppz);
    if (info != 0 || m != IU - IL + 1) {
        free(wall);
        return sf_error("LAPACK dsyevr failed (info %d, %d of %d eigenvalues)", info, m,
                        IU - IL + 1);
    }
    memcpy(w, wall, (size_t)m * sizeof *w);
    free(wall);
    return SF_OK;
}

/* Unit translation vectors of D (sqrt(m) pattern) or of H (uniform). */
static void translations(size_t n, const double *mass, double *T /* 3 x 3n */)
{
    size_t n3 = 3 * n;
    double mt = 0;
    for (size_t a = 0; a < n; a++)
        mt += mass ? mass[a] : 1.0;
    memset(T, 0, 3 * n3 * sizeof *T);
    for (size_t a = 0; a < n; a++) {
        double v = sqrt((mass ? mass[a] : 1.0) / mt);
        for (int c = 0; c < 3; c++)
            T[c * n3 + 3 * a + c] = v;
    }
}

static void sign_fix(size_t n3, size_t k, double *evec)
{
    for (size_t m = 0; m < k; m++) {
        double *v = evec + m * n3, big = 0;
        size_t at = 0;
        for (size_t i = 0; i < n3; i++)
            if (fabs(v[i]) > big) {
                big = fabs(v[i]);
                at = i;
            }
        if (v[at] < 0)
            for (size_t i = 0; i < n3; i++)
                v[i] = -v[i];
    }
}

static int check_masses(size_t n, const double *mass)
{
    if (!mass)
        return SF_OK;
    for (size_t a = 0; a < n; a++)
        if (!(mass[a] > 0) || !isfinite(mass[a]))
            return sf_error("atom %zu has mass %g (must be positive)", a + 1, mass[a]);
    return SF_OK;
}

static int modes_dense(const sf_bsr *H, const sf_modes_opts *o, double *eval, double *evec)
{
    size_t n = H->n, n3 = 3 * n, k = o->k;
    double *s = sf_malloc(n3 * sizeof *s);
    double *A = sf_malloc(n3 * n3 * sizeof *A);
    if (!s || !A) {
        free(s);
        free(A);
        return sf_error_prefix("dense eigen-solver for %zu atoms (%.1f GB)", n,
                               8e-9 * n3 * n3);
    }
    for (size_t i = 0; i < n3; i++)
        s[i] = o->mass ? 1.0 / sqrt(o->mass[i / 3]) : 1.0;
    sf_bsr_to_dense(H, s, A, n3);
    free(s);
    if (!o->keep_translations) {
        /* lift the translations above every eigenvalue (Gershgorin bound) */
        double bound = 0;
        for (size_t j = 0; j < n3; j++) {
            double r = 0;
            for (size_t i = 0; i < n3; i++)
                r += fabs(A[i + j * n3]);
            if (r > bound)
                bound = r;
        }
        double lift = 2.0 * bound + 1.0;
        double *T = sf_malloc(3 * n3 * sizeof *T);
        if (!T) {
            free(A);
            return SF_ERR;
        }
        translations(n, o->mass, T);
        for (int c = 0; c < 3; c++) {
            const double *t = T + c * n3;
            for (size_t j = 0; j < n3; j++) {
                if (t[j] == 0.0)
                    continue;
                for (size_t i = j; i < n3; i++)
                    A[i + j * n3] += lift * t[i] * t[j];
            }
        }
        free(T);
    }
    int rc = sf_eigen_dense(n3, A, 1, k, eval, evec);
    free(A);
    return rc;
}

/* ---- sparse: ARPACK shift-invert on CHOLMOD --------------------------------------- */

/* Lower triangle of (D - sigma I) in CHOLMOD's compressed columns, without
 * the atoms before `first` (first = 1 pins atom 0: its rows and columns
 * are dropped and the others renumbered). */
static cholmod_sparse *lower_csc(const sf_bsr *U, const double *s, double sigma,
                                 size_t first, cholmod_common *cm)
{
    size_t n = U->n, n3 = 3 * (n - first), nnz = 0, off = 3 * first;
    for (size_t a = first; a < n; a++) {
        size_t nb = U->rowptr[a + 1] - U->rowptr[a];
        /* diagonal block: 3 + 2 + 1 in the lower triangle */
        nnz += 9 * nb - 3;
    }
    if (nnz > (size_t)INT32_MAX) {
        sf_error("Hessian too large for the sparse solver (%zu entries)", nnz);
        return NULL;
    }
    cholmod_sparse *A = cholmod_allocate_sparse(n3, n3, nnz, 1, 1, -1, CHOLMOD_REAL, cm);
    if (!A) {
        sf_error("CHOLMOD: cannot allocate the shifted Hessian (%zu entries)", nnz);
        return NULL;
    }
    int *Ap = A->p, *Ai = A->i;
    double *Ax = A->x;
    size_t q = 0;
    for (size_t a = first; a < n; a++) {
        for (int al = 0; al < 3; al++) {
            size_t j = 3 * a + al;
            Ap[j - off] = (int)q;
            for (size_t k = U->rowptr[a]; k < U->rowptr[a + 1]; k++) {
                size_t b = (size_t)U->col[k];
                const double *v = U->val + 9 * k;
                for (int be = (b == a ? al : 0); be < 3; be++) {
                    size_t i = 3 * b + be;
                    /* entry (i, j) = H[3b+be][3a+al] = H_ab[al][be] */
                    double x = v[3 * al + be];
                    if (s)
                        x *= s[i] * s[j];
                    if (i == j)
                        x -= sigma;
                    Ai[q] = (int)(i - off);
                    Ax[q] = x;
                    q++;
                }
            }
        }
    }
    Ap[n3] = (int)q;
    return A;
}

static void project(size_t n3, const double *T, double *x)
{
    for (int c = 0; c < 3; c++) {
        const double *t = T + c * n3;
        double d = 0;
        for (size_t i = 0; i < n3; i++)
            d += t[i] * x[i];
        for (size_t i = 0; i < n3; i++)
            x[i] -= d * t[i];
    }
}

/* The shifted, factorised dynamical matrix shared by the sparse engines. */
typedef struct shift_ctx {
    cholmod_common cm;
    cholmod_factor *L;
    size_t n, n3;
    double sigma;
    double *T;     /* 3 unit translation vectors (3 x n3) */
    int project;   /* remove the translations */
} shift_ctx;

static void shift_free(shift_ctx *c)
{
    cholmod_free_factor(&c->L, &c->cm);
    cholmod_finish(&c->cm);
    free(c->T);
    c->T = NULL;
}

/* Factorise D - sigma I (CHOLMOD supernodal LL^T); sigma made more
 * negative on failure unless fixed by the caller. */
static int shift_setup(shift_ctx *c, const sf_bsr *H, const sf_modes_opts *o,
                       sf_modes_info *info)
{
    memset(c, 0, sizeof *c);
    size_t n = H->n, n3 = 3 * n;
    c->n = n;
    c->n3 = n3;
    c->project = !o->keep_translations;
    cholmod_start(&c->cm);
    c->cm.print = 0;
    c->cm.error_handler = NULL;
    c->cm.supernodal = CHOLMOD_SUPERNODAL;
    sf_bsr *U = NULL;
    const sf_bsr *Hu = H;
    if (!H->upper) {
        if (!(U = sf_bsr_upper(H)))
            return SF_ERR;
        Hu = U;
    }
    double *s = sf_malloc(n3 * sizeof *s);
    c->T = sf_malloc(3 * n3 * sizeof *c->T);
    if (!s || !c->T) {
        free(s);
        sf_bsr_free(U);
        return SF_ERR;
    }
    double dmean = 0;
    for (size_t i = 0; i < n3; i++)
        s[i] = o->mass ? 1.0 / sqrt(o->mass[i / 3]) : 1.0;
    for (size_t a = 0; a < n; a++) {
        const double *v = Hu->val + 9 * Hu->rowptr[a]; /* first block is diagonal */
        for (int q = 0; q < 3; q++)
            dmean += v[4 * q] * s[3 * a + q] * s[3 * a + q];
    }
    dmean /= (double)n3;
    translations(n, o->mass, c->T);
    double sigma = o->sigma != 0 ? o->sigma : -1e-3 * fabs(dmean);
    if (sigma == 0)
        sigma = -1e-6;
    int tries = 0, rc = SF_ERR;
    double t0 = now();
    cholmod_sparse *A = NULL;
    for (;;) {
        tries++;
        A = lower_csc(Hu, s, sigma, 0, &c->cm);
        if (!A)
            break;
        if (!c->L) {
            c->L = cholmod_analyze(A, &c->cm);
            if (!c->L) {
                sf_error("CHOLMOD analyze failed (status %d)", c->cm.status);
                break;
            }
        }
        int ok = cholmod_factorize(A, c->L, &c->cm);
        if (ok && c->cm.status == CHOLMOD_OK) {
            rc = SF_OK;
            break;
        }
        if (c->cm.status != CHOLMOD_NOT_POSDEF) {
            sf_error("CHOLMOD factorisation failed (status %d)", c->cm.status);
            break;
        }
        cholmod_free_sparse(&A, &c->cm);
        if (tries >= 12 || o->sigma != 0) {
            sf_error("the shifted Hessian D - sigma I (sigma = %g) is not positive "
                     "definite: the structure has eigenvalues below sigma (not a "
                     "minimum?)", sigma);
            break;
        }
        sigma *= 10.0; /* negative eigenvalues below sigma: shift further down */
    }
    cholmod_free_sparse(&A, &c->cm);
    free(s);
    sf_bsr_free(U);
    c->sigma = sigma;
    if (rc == SF_OK && info) {
        info->factor_seconds = now() - t0;
        info->ordering = c->cm.method[c->cm.selected].ordering;
        info->sigma = sigma;
        info->factor_tries = tries;
        info->factor_nnz = c->L->is_super ? (double)c->L->xsize : (double)c->cm.lnz;
    }
    return rc;
}

static void sort_ascending(size_t k, size_t n3, const double *lam, const double *vec,
                           double *eval, double *evec)
{
    size_t *ord = malloc(k * sizeof *ord);
    if (!ord) { /* keep the given order */
        memcpy(eval, lam, k * sizeof *eval);
        if (evec)
            memcpy(evec, vec, k * n3 * sizeof *evec);
        return;
    }
    for (size_t m = 0; m < k; m++)
        ord[m] = m;
    for (size_t m = 1; m < k; m++) {
        size_t t = ord[m], q = m;
        while (q > 0 && lam[ord[q - 1]] > lam[t]) {
            ord[q] = ord[q - 1];
            q--;
        }
        ord[q] = t;
    }
    for (size_t m = 0; m < k; m++) {
        eval[m] = lam[ord[m]];
        if (evec)
            memcpy(evec + m * n3, vec + ord[m] * n3, n3 * sizeof *evec);
    }
    free(ord);
}

static void start_vectors(size_t n3, size_t ncol, double *x)
{
    uint64_t r = 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < n3 * ncol; i++) {
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        x[i] = (double)(r >> 11) / 9007199254740992.0 - 0.5;
    }
}

/* ARPACK dsaupd/dseupd, mode 3 (shift-invert), one solve per operator
 * application. */
static int modes_arpack(const sf_bsr *H, const sf_modes_opts *o, double *eval,
                        double *evec, sf_modes_info *info)
{
    size_t n3 = 3 * H->n, k = o->k;
    shift_ctx c;
    if (shift_setup(&c, H, o, info)) {
        shift_free(&c);
        return SF_ERR;
    }
    int rc = SF_ERR;
    cholmod_common *cm = &c.cm;
    a_int ido = 0, N = (a_int)n3, nev = (a_int)k, ainfo = 1;
    a_int ncv = (a_int)(2 * k + 1 > k + 20 ? 2 * k + 1 : k + 20);
    if ((size_t)ncv > n3)
        ncv = (a_int)n3;
    if (nev >= ncv) {
        shift_free(&c);
        return sf_error("sparse solver: %zu modes of %zu is too many (use the dense "
                        "solver)", k, n3);
    }
    double tol = o->tol > 0 ? o->tol : 1e-10;
    a_int iparam[11] = {0}, ipntr[14] = {0};
    iparam[0] = 1;
    iparam[2] = 3000;
    iparam[6] = 3;
    a_int lworkl = ncv * (ncv + 8);
    double *resid = sf_malloc(n3 * sizeof *resid);
    double *V = sf_malloc(n3 * (size_t)ncv * sizeof *V);
    double *workd = sf_malloc(3 * n3 * sizeof *workd);
    double *workl = sf_malloc((size_t)lworkl * sizeof *workl);
    double *d = sf_malloc((size_t)ncv * sizeof *d);
    double *Z = sf_malloc(n3 * (size_t)nev * sizeof *Z);
    a_int *select = sf_calloc((size_t)ncv, sizeof *select);
    cholmod_dense *B = cholmod_allocate_dense(n3, 1, n3, CHOLMOD_REAL, cm);
    cholmod_dense *X = NULL, *Y = NULL, *E = NULL;
    int ok = resid && V && workd && workl && d && Z && select && B;
    if (!ok)
        sf_error("out of memory in the sparse eigen-solver (%zu x %d Lanczos basis)", n3,
                 (int)ncv);
    if (ok) {
        /* deterministic start vector (ARPACK's own is seeded per process) */
        start_vectors(n3, 1, resid);
        if (c.project)
            project(n3, c.T, resid);
        int applies = 0;
        double solve_time = 0;
        for (;;) {
            dsaupd_c(&ido, "I", N, "LM", nev, tol, resid, ncv, V, N, iparam, ipntr, workd,
                     workl, lworkl, &ainfo);
            if (ido != -1 && ido != 1)
                break;
            double *x = workd + ipntr[0] - 1, *y = workd + ipntr[1] - 1;
            memcpy(B->x, x, n3 * sizeof *x);
            if (c.project)
                project(n3, c.T, B->x);
            double ts0 = now();
            int solved = cholmod_solve2(CHOLMOD_A, c.L, B, NULL, &X, NULL, &Y, &E, cm);
            solve_time += now() - ts0;
            if (!solved) {
                sf_error("CHOLMOD solve failed (status %d)", cm->status);
                ok = 0;
                break;
            }
            memcpy(y, X->x, n3 * sizeof *y);
            if (c.project)
                project(n3, c.T, y);
            applies++;
        }
        if (info) {
            info->solve_seconds = solve_time;
            info->op_applies = applies;
            info->restarts = (int)iparam[2];
        }
        if (ok && ainfo < 0) {
            sf_error("ARPACK dsaupd error %d", (int)ainfo);
            ok = 0;
        } else if (ok && ainfo == 1) {
            sf_error("ARPACK: no convergence after %d restarts (%d of %zu modes)",
                     (int)iparam[2], (int)iparam[4], k);
            ok = 0;
        } else if (ok && iparam[4] < nev) {
            sf_error("ARPACK converged %d of %zu modes", (int)iparam[4], k);
            ok = 0;
        }
        if (ok) {
            a_int einfo = 0;
            dseupd_c(1, "A", select, d, Z, N, c.sigma, "I", N, "LM", nev, tol, resid, ncv,
                     V, N, iparam, ipntr, workd, workl, lworkl, &einfo);
            if (einfo != 0) {
                sf_error("ARPACK dseupd error %d", (int)einfo);
                ok = 0;
            } else {
                sort_ascending(k, n3, d, Z, eval, evec);
                rc = SF_OK;
            }
        }
    }
    cholmod_free_dense(&B, cm);
    cholmod_free_dense(&X, cm);
    cholmod_free_dense(&Y, cm);
    cholmod_free_dense(&E, cm);
    free(resid);
    free(V);
    free(workd);
    free(workl);
    free(d);
    free(Z);
    free(select);
    shift_free(&c);
    return rc;
}

/* Orthonormalise the n3 x b block W in place (Cholesky QR, twice), R
 * (b x b, column major, upper) receives W_in = W_out R.  Returns 0, or -1
 * when the block is numerically rank deficient. */
static int cholqr2(size_t n3, size_t b, double *W, double *R, double *G)
{
    int B = (int)b, info = 0;
    for (size_t i = 0; i < b * b; i++)
        R[i] = (i % (b + 1) == 0) ? 1.0 : 0.0;
    for (int pass = 0; pass < 2; pass++) {
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, B, (int)n3, 1.0, W, (int)n3, 0.0,
                    G, B);
        dpotrf_("U", &B, G, &B, &info, 1);
        if (info != 0)
            return -1;
        for (size_t j = 0; j < b; j++) /* zero the strict lower part */
            for (size_t i = j + 1; i < b; i++)
                G[i + j * b] = 0.0;
        cblas_dtrsm(CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit,
                    (int)n3, B, 1.0, G, B, W, (int)n3);
        /* R = G R */
        cblas_dtrmm(CblasColMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit, B, B,
                    1.0, G, B, R, B);
    }
    return 0;
}

/* Block Lanczos on P (D - sigma I)^-1 P with full reorthogonalisation: one
 * CHOLMOD solve with b right-hand sides per block (BLAS-3, the factor is
 * read once per b vectors instead of once per vector as in ARPACK), the
 * basis kept whole (no restarts) and grown until the k largest Ritz values
 * have residuals below tol. */
static int modes_block(const sf_bsr *H, const sf_modes_opts *o, double *eval,
                       double *evec, sf_modes_info *info)
{
    size_t n3 = 3 * H->n, k = o->k;
    size_t avail = o->keep_translations ? n3 : n3 - 3;
    size_t b = (k + 3) / 4;
    if (b < 8)
        b = 8;
    if (b > 64)
        b = 64;
    size_t nb = (6 * k + 40 * b) / b + 1; /* blocks at most */
    if (nb * b > avail)
        nb = avail / b;
    if (nb * b < k + b)
        return sf_error("block solver: %zu modes of %zu is too many (use the dense solver)",
                        k, n3);
    size_t mmax = nb * b;
    double tol = o->tol > 0 ? o->tol : 1e-10;
    shift_ctx c;
    if (shift_setup(&c, H, o, info)) {
        shift_free(&c);
        return SF_ERR;
    }
    cholmod_common *cm = &c.cm;
    int rc = SF_ERR;
    double *Q = sf_malloc(n3 * (mmax + b) * sizeof *Q);
    double *Tm = sf_calloc(mmax * mmax, sizeof *Tm);
    double *S = sf_malloc(mmax * mmax * sizeof *S);
    double *Sv = sf_malloc(mmax * k * sizeof *Sv);
    double *theta = sf_malloc(mmax * sizeof *theta);
    double *C = sf_malloc(mmax * b * sizeof *C);
    double *R = sf_malloc(b * b * sizeof *R), *G = sf_malloc(b * b * sizeof *G);
    double *lam = sf_malloc(k * sizeof *lam);
    cholmod_dense *Bd = cholmod_allocate_dense(n3, b, n3, CHOLMOD_REAL, cm);
    cholmod_dense *X = NULL, *Y = NULL, *E = NULL;
    if (!Q || !Tm || !S || !Sv || !theta || !C || !R || !G || !lam || !Bd) {
        sf_error_prefix("block solver (%zu x %zu basis)", n3, mmax);
        goto out;
    }
    start_vectors(n3, b, Q);
    if (c.project)
        for (size_t j = 0; j < b; j++)
            project(n3, c.T, Q + j * n3);
    if (cholqr2(n3, b, Q, R, G)) {
        sf_error("block solver: degenerate start block");
        goto out;
    }
    int applies = 0, converged = 0;
    double solve_time = 0;
    size_t m = 0, last_check = 0;
    for (size_t j = 0; j < nb; j++) {
        m = (j + 1) * b; /* basis columns so far: blocks 0..j */
        double *Qj = Q + j * b * n3, *W = Q + m * n3;
        memcpy(Bd->x, Qj, n3 * b * sizeof *Qj);
        double ts0 = now();
        if (!cholmod_solve2(CHOLMOD_A, c.L, Bd, NULL, &X, NULL, &Y, &E, cm)) {
            sf_error("CHOLMOD solve failed (status %d)", cm->status);
            goto out;
        }
        solve_time += now() - ts0;
        applies += (int)b;
        memcpy(W, X->x, n3 * b * sizeof *W);
        if (c.project)
            for (size_t q = 0; q < b; q++)
                project(n3, c.T, W + q * n3);
        /* W -= Q C, C = Q^T W, twice; T[:, block j] collects C */
        for (int pass = 0; pass < 2; pass++) {
            cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)m, (int)b, (int)n3, 1.0,
                        Q, (int)n3, W, (int)n3, 0.0, C, (int)m);
            cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)n3, (int)b, (int)m,
                        -1.0, Q, (int)n3, C, (int)m, 1.0, W, (int)n3);
            for (size_t q = 0; q < b; q++)
                for (size_t i = 0; i < m; i++)
                    Tm[i + (j * b + q) * mmax] += C[i + q * m];
        }
        if (cholqr2(n3, b, W, R, G)) {
            /* an invariant subspace: continue with fresh orthogonal vectors */
            start_vectors(n3, b, W);
            if (c.project)
                for (size_t q = 0; q < b; q++)
                    project(n3, c.T, W + q * n3);
            for (int pass = 0; pass < 2; pass++) {
                cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)m, (int)b, (int)n3,
                            1.0, Q, (int)n3, W, (int)n3, 0.0, C, (int)m);
                cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)n3, (int)b,
                            (int)m, -1.0, Q, (int)n3, C, (int)m, 1.0, W, (int)n3);
            }
            if (cholqr2(n3, b, W, R, G)) {
                sf_error("block solver: breakdown");
                goto out;
            }
            memset(R, 0, b * b * sizeof *R);
        }
        /* the sub-diagonal block Q_{j+1}^T OP Q_j = R */
        if (m + b <= mmax)
            for (size_t q = 0; q < b; q++)
                for (size_t a = 0; a < b; a++)
                    Tm[(m + a) + (j * b + q) * mmax] = R[a + q * b];
        /* Ritz checks cost O(m^2 k): first when the basis holds 2k
         * vectors, then each time it has grown by a quarter (and at the end) */
        if (j + 1 < nb && (m < 2 * k || m < k + b || (double)m < 1.25 * (double)last_check))
            continue;
        last_check = m;
        /* Ritz values: the k largest eigenvalues of the symmetrised T_m */
        for (size_t q = 0; q < m; q++)
            for (size_t i = 0; i < m; i++)
                S[i + q * m] = 0.5 * (Tm[i + q * mmax] + Tm[q + i * mmax]);
        if (sf_eigen_dense(m, S, m - k + 1, m, theta, Sv))
            goto out;
        /* residual of Ritz pair i: || R * (last b rows of s_i) || */
        converged = 1;
        for (size_t i = 0; i < k && converged; i++) {
            const double *si = Sv + i * m + (m - b);
            double r2 = 0;
            for (size_t a = 0; a < b; a++) {
                double t = 0;
                for (size_t q = a; q < b; q++)
                    t += R[a + q * b] * si[q];
                r2 += t * t;
            }
            if (!(sqrt(r2) <= tol * fabs(theta[i])))
                converged = 0;
        }
        if (converged)
            break;
    }
    if (info) {
        info->solve_seconds = solve_time;
        info->op_applies = applies;
        info->restarts = (int)(m / b);
    }
    if (!converged) {
        sf_error("block solver: no convergence with a basis of %zu vectors", m);
        goto out;
    }
    /* lambda = sigma + 1/theta; vectors Q_m S */
    for (size_t i = 0; i < k; i++)
        lam[i] = c.sigma + 1.0 / theta[i];
    {
        double *Yv = evec ? sf_malloc(n3 * k * sizeof *Yv) : NULL;
        if (evec && !Yv)
            goto out;
        if (Yv)
            cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)n3, (int)k, (int)m,
                        1.0, Q, (int)n3, Sv, (int)m, 0.0, Yv, (int)n3);
        sort_ascending(k, n3, lam, Yv, eval, evec);
        free(Yv);
    }
    rc = SF_OK;
out:
    cholmod_free_dense(&Bd, cm);
    cholmod_free_dense(&X, cm);
    cholmod_free_dense(&Y, cm);
    cholmod_free_dense(&E, cm);
    free(Q);
    free(Tm);
    free(S);
    free(Sv);
    free(theta);
    free(C);
    free(R);
    free(G);
    free(lam);
    shift_free(&c);
    return rc;
}

int sf_eigen_modes(const sf_bsr *H, const sf_modes_opts *o, double *eval, double *evec,
                   sf_modes_info *info)
{
    size_t n = H->n, n3 = 3 * n;
    size_t avail = o->keep_translations ? n3 : (n3 > 3 ? n3 - 3 : 0);
    if (o->k < 1 || o->k > avail)
        return sf_error("asked for %zu modes; %zu atoms have %zu%s", o->k, n, avail,
                        o->keep_translations ? "" : " (translations removed)");
    if (check_masses(n, o->mass))
        return SF_ERR;
    int method = o->method;
    if (method == SF_EIGEN_AUTO)
        method = n <= SF_EIGEN_DENSE_MAX_ATOMS || 6 * o->k + 64 >= n3 ? SF_EIGEN_DENSE
                 : o->k >= 100 ? SF_EIGEN_BLOCK /* solve-bound: multi-vector solves */
                               : SF_EIGEN_SPARSE;
    sf_modes_info tmp;
    if (!info)
        info = &tmp;
    memset(info, 0, sizeof *info);
    info->method = method;
    double t0 = now();
    int rc = method == SF_EIGEN_DENSE    ? modes_dense(H, o, eval, evec)
             : method == SF_EIGEN_SPARSE ? modes_arpack(H, o, eval, evec, info)
                                         : modes_block(H, o, eval, evec, info);
    info->seconds = now() - t0;
    if (rc == SF_OK && evec)
        sign_fix(n3, o->k, evec);
    return rc;
}

void sf_eigen_participation(size_t n, size_t k, const double *evec, double *p)
{
    size_t n3 = 3 * n;
    for (size_t a = 0; a < n; a++)
        p[a] = 0.0;
    for (size_t m = 0; m < k; m++) {
        const double *v = evec + m * n3;
        for (size_t a = 0; a < n; a++)
            p[a] += v[3 * a] * v[3 * a] + v[3 * a + 1] * v[3 * a + 1] +
                    v[3 * a + 2] * v[3 * a + 2];
    }
}

/* ---- harmonic MSD ------------------------------------------------------------------ */

static int msd_dense(const sf_bsr *H, double kT, double *msd)
{
    size_t n = H->n, n3 = 3 * n;
    double *A = sf_malloc(n3 * n3 * sizeof *A);
    if (!A)
        return sf_error_prefix("dense harmonic MSD for %zu atoms (%.1f GB)", n,
                               8e-9 * n3 * n3);
    sf_bsr_to_dense(H, NULL, A, n3);
    /* K = H + s T T^T with T the unit (uniform) translations: K^-1 =
     * H^+ + (1/s) T T^T, and (T T^T)_aa = I/n */
    double dmax = 0;
    for (size_t i = 0; i < n3; i++)
        dmax = fmax(dmax, fabs(A[i + i * n3]));
    double lift = dmax > 0 ? dmax : 1.0;
    for (size_t j = 0; j < n3; j++)
        for (size_t i = j % 3; i < n3; i += 3)
            if (i >= j)
                A[i + j * n3] += lift / (double)n;
    int N = (int)n3, info = 0;
    dpotrf_("L", &N, A, &N, &info, 1);
    if (info > 0) {
        free(A);
        return sf_error("harmonic MSD: the Hessian is not positive definite without "
                        "its translations (leading minor %d, near atom %d): the "
                        "structure is not at an energy minimum", info, (info - 1) / 3 + 1);
    }
    if (info == 0)
        dpotri_("L", &N, A, &N, &info, 1);
    if (info != 0) {
        free(A);
        return sf_error("harmonic MSD: LAPACK dpotrf/dpotri failed (info %d)", info);
    }
    /* the added term is lift * T T^T, so K^-1 = H^+ + (1/lift) T T^T, whose
     * atom blocks have trace 3/(lift n) */
    double corr = 3.0 / (lift * (double)n);
    for (size_t a = 0; a < n; a++) {
        double tr = 0;
        for (int c = 0; c < 3; c++)
            tr += A[(3 * a + c) + (3 * a + c) * n3];
        msd[a] = kT * (tr - corr);
    }
    free(A);
    return SF_OK;
}

/* Sparse path.  The Hessian is singular (the 3 translations), so atom 0 is
 * pinned: A = H without atom 0's rows and columns is positive definite at a
 * minimum, and G = A^-1 padded with zeros for atom 0 is a generalised
 * inverse of H (H G H = H, because H t = 0 for the translations t).  With P
 * the projector off the translations, H^+ = P G P, whose atom blocks are
 *     (H^+)_ii = G_ii - (r_i + r_i^T)/n + S/n^2,
 * r_i = sum_k G_ik (three solves with uniform right-hand sides), S = sum_i r_i.
 * The diagonal blocks of G come from the supernodal CHOLMOD factor
 * P_A A P_A^T = L L^T: A^-1 = P_A^T L^-T L^-1 P_A, so tr G_ii is the sum of
 * the squared norms of 3 columns of L^-1.  Column q of L^-1 is non-zero only
 * on the supernodes on the path from q's supernode to the root of the
 * supernodal elimination tree, so each batch of atoms is solved forward on
 * the union of its paths only (BLAS-3 on the batch); atoms are batched in
 * the factor's column order so that batch mates share their paths.  For a
 * (nearly) dense factor this costs about what the factorisation costs. */
#define MSD_BATCH_ATOMS 128 /* 32: 1.6x, 8: 2.4x the solve time of 128-256 at 2000 atoms */

typedef struct msd_key {
    int pos;   /* first factor column of the atom's dofs */
    int atom;  /* reduced index (atom - 1) */
} msd_key;

static int msd_key_cmp(const void *a, const void *b)
{
    const msd_key *x = a, *y = b;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

static int msd_sparse(const sf_bsr *H, double kT, double *msd, sf_modes_info *info)
{
    size_t n = H->n, m = 3 * (n - 1);
    if (m > (size_t)INT32_MAX / 4)
        return sf_error("harmonic MSD: %zu atoms is too many for the sparse solver", n);
    cholmod_common cm;
    cholmod_start(&cm);
    cm.print = 0;
    cm.error_handler = NULL;
    cm.supernodal = CHOLMOD_SUPERNODAL;
    int rc = SF_ERR;
    sf_bsr *U = NULL;
    const sf_bsr *Hu = H;
    cholmod_sparse *A = NULL;
    cholmod_factor *L = NULL;
    cholmod_dense *B = NULL, *X = NULL;
    int *q = NULL, *colsn = NULL, *parent = NULL, *mark = NULL, *list = NULL, *cols = NULL;
    double *Y = NULL, *W = NULL, *trr = NULL;
    msd_key *keys = NULL;
    double t0 = now();
    if (!H->upper) {
        if (!(U = sf_bsr_upper(H)))
            goto out;
        Hu = U;
    }
    if (!(A = lower_csc(Hu, NULL, 0.0, 1, &cm)))
        goto out;
    if (!(L = cholmod_analyze(A, &cm))) {
        sf_error("CHOLMOD analyze failed (status %d)", cm.status);
        goto out;
    }
    if (!cholmod_factorize(A, L, &cm) || cm.status != CHOLMOD_OK) {
        if (cm.status == CHOLMOD_NOT_POSDEF) {
            int atom = L->minor < m ? ((int *)L->Perm)[L->minor] / 3 + 2 : 0;
            sf_error("harmonic MSD: the Hessian is not positive definite without its "
                     "translations (factor column %zu of %zu, near atom %d): the "
                     "structure is not at an energy minimum", (size_t)L->minor + 1, m, atom);
        } else
            sf_error("CHOLMOD factorisation failed (status %d)", cm.status);
        goto out;
    }
    if (!L->is_super || !L->is_ll) {
        sf_error("harmonic MSD: CHOLMOD returned a non-supernodal factor");
        goto out;
    }
    info->factor_seconds = now() - t0;
    info->factor_nnz = (double)L->xsize;
    info->ordering = cm.method[cm.selected].ordering;
    double ts = now();

    /* r_i: A X = B, B[:, c] = 1 on the component-c dofs */
    if (!(B = cholmod_zeros(m, 3, CHOLMOD_REAL, &cm)))
        goto nomem;
    for (size_t i = 0; i < m; i++)
        ((double *)B->x)[i + (i % 3) * m] = 1.0;
    if (!(X = cholmod_solve(CHOLMOD_A, L, B, &cm))) {
        sf_error("CHOLMOD solve failed (status %d)", cm.status);
        goto out;
    }
    trr = sf_malloc(n * sizeof *trr);
    if (!trr)
        goto nomem;
    double trS = 0;
    trr[0] = 0;
    for (size_t a = 1; a < n; a++) {
        const double *x = X->x;
        size_t r = 3 * (a - 1);
        trr[a] = x[r] + x[r + 1 + m] + x[r + 2 + 2 * m];
        trS += trr[a];
    }

    /* supernodal structure */
    size_t ns = L->nsuper;
    const int *super = L->super, *pi = L->pi, *px = L->px, *Ls = L->s, *perm = L->Perm;
    const double *Lx = L->x;
    q = sf_malloc(m * sizeof *q);
    colsn = sf_malloc(m * sizeof *colsn);
    parent = sf_malloc(ns * sizeof *parent);
    mark = sf_calloc(ns, sizeof *mark);
    list = sf_malloc(ns * sizeof *list);
    keys = sf_malloc((n - 1) * sizeof *keys);
    if (!q || !colsn || !parent || !mark || !list || !keys)
        goto nomem;
    size_t maxbelow = 0;
    for (size_t k = 0; k < m; k++)
        q[perm[k]] = (int)k;
    for (size_t sn = 0; sn < ns; sn++) {
        int nscol = super[sn + 1] - super[sn], nsrow = pi[sn + 1] - pi[sn];
        for (int k = super[sn]; k < super[sn + 1]; k++)
            colsn[k] = (int)sn;
        if ((size_t)(nsrow - nscol) > maxbelow)
            maxbelow = (size_t)(nsrow - nscol);
    }
    for (size_t sn = 0; sn < ns; sn++) {
        int nscol = super[sn + 1] - super[sn], nsrow = pi[sn + 1] - pi[sn];
        parent[sn] = nsrow > nscol ? colsn[Ls[pi[sn] + nscol]] : -1;
    }
    for (size_t a = 0; a + 1 < n; a++) {
        int p0 = q[3 * a], p1 = q[3 * a + 1], p2 = q[3 * a + 2];
        keys[a].pos = p0 < p1 ? (p0 < p2 ? p0 : p2) : (p1 < p2 ? p1 : p2);
        keys[a].atom = (int)a;
    }
    qsort(keys, n - 1, sizeof *keys, msd_key_cmp);
    size_t nb = MSD_BATCH_ATOMS, nrhs = 3 * nb;
    Y = sf_calloc(m * nrhs, sizeof *Y);
    W = sf_malloc((maxbelow ? maxbelow : 1) * nrhs * sizeof *W);
    cols = sf_malloc(nrhs * sizeof *cols);
    if (!Y || !W || !cols)
        goto nomem;
    int stamp = 0;
    for (size_t b0 = 0; b0 < n - 1; b0 += nb) {
        size_t na = n - 1 - b0 < nb ? n - 1 - b0 : nb, r3 = 3 * na;
        int R = (int)r3, M = (int)m;
        size_t nl = 0;
        stamp++;
        for (size_t j = 0; j < r3; j++) {
            int k = q[3 * (size_t)keys[b0 + j / 3].atom + j % 3];
            cols[j] = k;
            Y[(size_t)k + j * m] = 1.0;
            for (int sn = colsn[k]; sn >= 0 && mark[sn] != stamp; sn = parent[sn]) {
                mark[sn] = stamp;
                list[nl++] = sn;
            }
        }
        /* supernodes in ascending order: children before parents */
        for (size_t i = 1; i < nl; i++) {
            int t = list[i];
            size_t p = i;
            while (p > 0 && list[p - 1] > t) {
                list[p] = list[p - 1];
                p--;
            }
            list[p] = t;
        }
        for (size_t i = 0; i < nl; i++) {
            int sn = list[i], k1 = super[sn];
            int nscol = super[sn + 1] - k1, nsrow = pi[sn + 1] - pi[sn], nbelow = nsrow - nscol;
            const double *Lss = Lx + px[sn];
            cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit,
                        nscol, R, 1.0, Lss, nsrow, Y + k1, M);
            if (nbelow > 0) {
                cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, nbelow, R, nscol, 1.0,
                            Lss + nscol, nsrow, Y + k1, M, 0.0, W, nbelow);
                const int *rows = Ls + pi[sn] + nscol;
                for (size_t j = 0; j < r3; j++) {
                    double *y = Y + j * m;
                    const double *w = W + j * (size_t)nbelow;
                    for (int r = 0; r < nbelow; r++)
                        y[rows[r]] -= w[r];
                }
            }
        }
        /* tr G_ii = squared norms of the atom's 3 columns; then clear Y */
        for (size_t j = 0; j < r3; j++) {
            double *y = Y + j * m, acc = 0;
            for (size_t i = 0; i < nl; i++) {
                int sn = list[i];
                for (int k = super[sn]; k < super[sn + 1]; k++) {
                    acc += y[k] * y[k];
                    y[k] = 0.0;
                }
            }
            if (j % 3 == 0)
                msd[keys[b0 + j / 3].atom + 1] = 0;
            msd[keys[b0 + j / 3].atom + 1] += acc;
        }
    }
    double nn = (double)n;
    msd[0] = kT * trS / (nn * nn);
    for (size_t a = 1; a < n; a++)
        msd[a] = kT * (msd[a] - 2.0 * trr[a] / nn + trS / (nn * nn));
    info->solve_seconds = now() - ts;
    info->op_applies = (int)(m + 3);
    rc = SF_OK;
    goto out;
nomem:
    sf_error_prefix("sparse harmonic MSD for %zu atoms", n);
out:
    cholmod_free_dense(&B, &cm);
    cholmod_free_dense(&X, &cm);
    cholmod_free_factor(&L, &cm);
    cholmod_free_sparse(&A, &cm);
    cholmod_finish(&cm);
    sf_bsr_free(U);
    free(q);
    free(colsn);
    free(parent);
    free(mark);
    free(list);
    free(cols);
    free(keys);
    free(Y);
    free(W);
    free(trr);
    return rc;
}

int sf_eigen_harmonic_msd(const sf_bsr *H, double T, int method, double *msd,
                          sf_modes_info *info)
{
    if (!(T >= 0) || !isfinite(T))
        return sf_error("harmonic MSD: temperature %g K is not valid", T);
    if (H->n < 2)
        return sf_error("harmonic MSD needs at least 2 atoms");
    sf_modes_info tmp;
    if (!info)
        info = &tmp;
    memset(info, 0, sizeof *info);
    if (method == SF_EIGEN_AUTO)
        method = H->n <= SF_EIGEN_MSD_DENSE_MAX_ATOMS ? SF_EIGEN_DENSE : SF_EIGEN_SPARSE;
    if (method == SF_EIGEN_BLOCK)
        method = SF_EIGEN_SPARSE;
    info->method = method;
    double t0 = now();
    int rc = method == SF_EIGEN_DENSE ? msd_dense(H, SF_KB_EV * T, msd)
                                      : msd_sparse(H, SF_KB_EV * T, msd, info);
    info->seconds = now() - t0;
    return rc;
}
