#include "sf_sparse.h"
#include "sf_error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

sf_bsr *sf_bsr_new(size_t n, size_t nnzb, int upper)
{
    sf_bsr *h = sf_calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->n = n;
    h->upper = upper ? 1 : 0;
    h->rowptr = sf_calloc(n + 1, sizeof *h->rowptr);
    h->col = sf_malloc((nnzb ? nnzb : 1) * sizeof *h->col);
    h->val = sf_malloc((nnzb ? nnzb : 1) * 9 * sizeof *h->val);
    if (!h->rowptr || !h->col || !h->val) {
        sf_bsr_free(h);
        return NULL;
    }
    return h;
}

void sf_bsr_free(sf_bsr *h)
{
    if (!h)
        return;
    free(h->rowptr);
    free(h->col);
    free(h->val);
    free(h);
}

size_t sf_bsr_nnzb(const sf_bsr *h) { return h->rowptr[h->n]; }

static const double *find_block(const sf_bsr *h, size_t a, size_t b)
{
    size_t lo = h->rowptr[a], hi = h->rowptr[a + 1];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((size_t)h->col[mid] < b)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < h->rowptr[a + 1] && (size_t)h->col[lo] == b)
        return h->val + 9 * lo;
    return NULL;
}

const double *sf_bsr_block(const sf_bsr *h, size_t a, size_t b, int *transposed)
{
    if (transposed)
        *transposed = 0;
    if (a >= h->n || b >= h->n)
        return NULL;
    if (h->upper && b < a) {
        if (transposed)
            *transposed = 1;
        return find_block(h, b, a);
    }
    return find_block(h, a, b);
}

void sf_bsr_matvec(const sf_bsr *h, const double *x, double *y)
{
    size_t n = h->n;
    if (!h->upper) {
#pragma omp parallel for schedule(static)
        for (size_t a = 0; a < n; a++) {
            double s0 = 0, s1 = 0, s2 = 0;
            for (size_t k = h->rowptr[a]; k < h->rowptr[a + 1]; k++) {
                const double *v = h->val + 9 * k, *xb = x + 3 * (size_t)h->col[k];
                s0 += v[0] * xb[0] + v[1] * xb[1] + v[2] * xb[2];
                s1 += v[3] * xb[0] + v[4] * xb[1] + v[5] * xb[2];
                s2 += v[6] * xb[0] + v[7] * xb[1] + v[8] * xb[2];
            }
            y[3 * a] = s0;
            y[3 * a + 1] = s1;
            y[3 * a + 2] = s2;
        }
        return;
    }
    /* symmetric: serial scatter keeps the result independent of threads */
    memset(y, 0, 3 * n * sizeof *y);
    for (size_t a = 0; a < n; a++) {
        const double *xa = x + 3 * a;
        double *ya = y + 3 * a;
        for (size_t k = h->rowptr[a]; k < h->rowptr[a + 1]; k++) {
            size_t b = (size_t)h->col[k];
            const double *v = h->val + 9 * k, *xb = x + 3 * b;
            ya[0] += v[0] * xb[0] + v[1] * xb[1] + v[2] * xb[2];
            ya[1] += v[3] * xb[0] + v[4] * xb[1] + v[5] * xb[2];
            ya[2] += v[6] * xb[0] + v[7] * xb[1] + v[8] * xb[2];
            if (b != a) {
                double *yb = y + 3 * b;
                yb[0] += v[0] * xa[0] + v[3] * xa[1] + v[6] * xa[2];
                yb[1] += v[1] * xa[0] + v[4] * xa[1] + v[7] * xa[2];
                yb[2] += v[2] * xa[0] + v[5] * xa[1] + v[8] * xa[2];
            }
        }
    }
}

void sf_bsr_to_dense(const sf_bsr *h, const double *s, double *A, size_t lda)
{
    size_t n3 = 3 * h->n;
    for (size_t j = 0; j < n3; j++)
        memset(A + j * lda, 0, n3 * sizeof *A);
    for (size_t a = 0; a < h->n; a++)
        for (size_t k = h->rowptr[a]; k < h->rowptr[a + 1]; k++) {
            size_t b = (size_t)h->col[k];
            const double *v = h->val + 9 * k;
            for (int al = 0; al < 3; al++)
                for (int be = 0; be < 3; be++) {
                    size_t i = 3 * a + al, j = 3 * b + be;
                    double x = v[3 * al + be];
                    if (s)
                        x *= s[i] * s[j];
                    A[i + j * lda] = x;
                    if (h->upper)
                        A[j + i * lda] = x;
                }
        }
}

sf_bsr *sf_bsr_upper(const sf_bsr *h)
{
    if (h->upper) {
        sf_bsr *u = sf_bsr_new(h->n, sf_bsr_nnzb(h), 1);
        if (!u)
            return NULL;
        memcpy(u->rowptr, h->rowptr, (h->n + 1) * sizeof *u->rowptr);
        memcpy(u->col, h->col, sf_bsr_nnzb(h) * sizeof *u->col);
        memcpy(u->val, h->val, 9 * sf_bsr_nnzb(h) * sizeof *u->val);
        return u;
    }
    size_t cnt = 0;
    for (size_t a = 0; a < h->n; a++)
        for (size_t k = h->rowptr[a]; k < h->rowptr[a + 1]; k++)
            cnt += (size_t)h->col[k] >= a;
    sf_bsr *u = sf_bsr_new(h->n, cnt, 1);
    if (!u)
        return NULL;
    size_t m = 0;
    for (size_t a = 0; a < h->n; a++) {
        u->rowptr[a] = m;
        for (size_t k = h->rowptr[a]; k < h->rowptr[a + 1]; k++)
            if ((size_t)h->col[k] >= a) {
                u->col[m] = h->col[k];
                memcpy(u->val + 9 * m, h->val + 9 * k, 9 * sizeof *u->val);
                m++;
            }
    }
    u->rowptr[h->n] = m;
    return u;
}

double sf_bsr_asymmetry(const sf_bsr *h, double *maxabs)
{
    double worst = 0.0, big = 0.0;
    for (size_t a = 0; a < h->n; a++)
        for (size_t k = h->rowptr[a]; k < h->rowptr[a + 1]; k++) {
            const double *v = h->val + 9 * k;
            for (int e = 0; e < 9; e++)
                if (fabs(v[e]) > big)
                    big = fabs(v[e]);
            if (h->upper)
                continue;
            size_t b = (size_t)h->col[k];
            const double *w = find_block(h, b, a);
            for (int al = 0; al < 3; al++)
                for (int be = 0; be < 3; be++) {
                    double d = fabs(v[3 * al + be] - (w ? w[3 * be + al] : 0.0));
                    if (d > worst)
                        worst = d;
                }
        }
    if (maxabs)
        *maxabs = big;
    return worst;
}
