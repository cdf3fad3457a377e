/* sf_stats.c - see sf_stats.h. */
#include "sf_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sf_error.h"

/* ---- PRNG ------------------------------------------------------------------ */

void sf_stats_rng_seed(sf_stats_rng *r, uint64_t seed)
{
    r->state = seed;
}

uint64_t sf_stats_rng_next(sf_stats_rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t sf_stats_rng_below(sf_stats_rng *r, uint64_t n)
{
    /* reject the low (2^64 mod n) outputs so every residue is equally likely */
    uint64_t threshold = (0 - n) % n;
    for (;;) {
        uint64_t x = sf_stats_rng_next(r);
        if (x >= threshold)
            return x % n;
    }
}

double sf_stats_rng_uniform(sf_stats_rng *r)
{
    return (double)(sf_stats_rng_next(r) >> 11) * 0x1.0p-53;
}

void sf_stats_shuffle(size_t *a, size_t n, sf_stats_rng *r)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)sf_stats_rng_below(r, i);
        size_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

void sf_stats_permutation(size_t n, uint64_t seed, size_t *perm)
{
    sf_stats_rng r;
    sf_stats_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    sf_stats_shuffle(perm, n, &r);
}

int sf_stats_split(size_t n, double frac, uint64_t seed,
                   unsigned char *is_train)
{
    if (!(frac >= 0.0 && frac <= 1.0))
        return sf_error("split: training fraction %g outside [0,1]", frac);
    size_t *perm = sf_malloc((n ? n : 1) * sizeof *perm);
    if (!perm)
        return SF_ERR;
    sf_stats_permutation(n, seed, perm);
    size_t ntrain = (size_t)floor((double)n * frac + 0.5);
    if (ntrain > n)
        ntrain = n;
    for (size_t p = 0; p < n; p++)
        is_train[perm[p]] = p < ntrain;
    free(perm);
    return SF_OK;
}

int sf_stats_kfold(size_t n, int k, uint64_t seed, int *fold)
{
    if (k < 2 || (size_t)k > n)
        return sf_error("k-fold: need 2 <= k <= n, got k=%d, n=%zu", k, n);
    size_t *perm = sf_malloc(n * sizeof *perm);
    if (!perm)
        return SF_ERR;
    sf_stats_permutation(n, seed, perm);
    for (size_t p = 0; p < n; p++)
        fold[perm[p]] = (int)((double)p * k / (double)n);
    /* the double product is exact for n < 2^53 / k; guard the edge anyway */
    for (size_t p = 0; p < n; p++)
        if (fold[perm[p]] >= k)
            fold[perm[p]] = k - 1;
    free(perm);
    return SF_OK;
}

/* ---- correlation ------------------------------------------------------------ */

double sf_stats_mean(const double *x, size_t n)
{
    if (n == 0)
        return NAN;
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    return s / (double)n;
}

double sf_stats_variance(const double *x, size_t n)
{
    if (n < 2)
        return NAN;
    double m = sf_stats_mean(x, n), s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (x[i] - m) * (x[i] - m);
    return s / (double)(n - 1);
}

double sf_stats_pearson(const double *x, const double *y, size_t n)
{
    if (n < 2)
        return NAN;
    double mx = sf_stats_mean(x, n), my = sf_stats_mean(y, n);
    double sxx = 0.0, syy = 0.0, sxy = 0.0;
    for (size_t i = 0; i < n; i++) {
        double dx = x[i] - mx, dy = y[i] - my;
        sxx += dx * dx;
        syy += dy * dy;
        sxy += dx * dy;
    }
    if (sxx == 0.0 || syy == 0.0)
        return NAN;
    double r = sxy / sqrt(sxx * syy);
    return r > 1.0 ? 1.0 : r < -1.0 ? -1.0 : r;
}

typedef struct keyed {
    double v;
    size_t i;
} keyed;

static int cmp_keyed(const void *pa, const void *pb)
{
    const keyed *a = pa, *b = pb;
    if (a->v < b->v)
        return -1;
    if (a->v > b->v)
        return 1;
    return (a->i > b->i) - (a->i < b->i);
}

/* Sorted (value, index) pairs; NULL with an error on NaN / allocation. */
static keyed *sorted_pairs(const double *x, size_t n)
{
    keyed *k = sf_malloc((n ? n : 1) * sizeof *k);
    if (!k)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) {
            free(k);
            sf_error("value %zu is NaN", i + 1);
            return NULL;
        }
        k[i].v = x[i];
        k[i].i = i;
    }
    qsort(k, n, sizeof *k, cmp_keyed);
    return k;
}

int sf_stats_order(const double *x, size_t n, size_t *order)
{
    keyed *k = sorted_pairs(x, n);
    if (!k)
        return SF_ERR;
    for (size_t p = 0; p < n; p++)
        order[p] = k[p].i;
    free(k);
    return SF_OK;
}

int sf_stats_rank(const double *x, size_t n, double *rank)
{
    keyed *k = sorted_pairs(x, n);
    if (!k)
        return SF_ERR;
    for (size_t p = 0; p < n;) {
        size_t q = p + 1;
        while (q < n && k[q].v == k[p].v)
            q++;
        double r = 0.5 * (double)(p + 1 + q); /* mean of ranks p+1 .. q */
        for (size_t t = p; t < q; t++)
            rank[k[t].i] = r;
        p = q;
    }
    free(k);
    return SF_OK;
}

int sf_stats_spearman(const double *x, const double *y, size_t n, double *rho)
{
    double *rx = sf_malloc((n ? n : 1) * 2 * sizeof *rx);
    if (!rx)
        return SF_ERR;
    double *ry = rx + n;
    if (sf_stats_rank(x, n, rx) || sf_stats_rank(y, n, ry)) {
        free(rx);
        return SF_ERR;
    }
    *rho = sf_stats_pearson(rx, ry, n);
    free(rx);
    return SF_OK;
}

int sf_stats_auc(const double *truth, const double *score, size_t n, double *auc)
{
    double *r = sf_malloc((n ? n : 1) * sizeof *r);
    if (!r)
        return SF_ERR;
    if (sf_stats_rank(score, n, r)) {
        free(r);
        return SF_ERR;
    }
    double npos = 0, nneg = 0, sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (truth[i] > 0) {
            npos++;
            sum += r[i];
        } else
            nneg++;
    }
    free(r);
    *auc = npos > 0 && nneg > 0 ? (sum - 0.5 * npos * (npos + 1)) / (npos * nneg) : NAN;
    return SF_OK;
}

double sf_stats_rmse(const double *x, const double *y, size_t n)
{
    if (n == 0)
        return NAN;
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (x[i] - y[i]) * (x[i] - y[i]);
    return sqrt(s / (double)n);
}

double sf_stats_mae(const double *x, const double *y, size_t n)
{
    if (n == 0)
        return NAN;
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += fabs(x[i] - y[i]);
    return s / (double)n;
}

/* ---- classification -------------------------------------------------------- */

void sf_stats_confusion_count(const double *truth, const double *pred,
                              size_t n, sf_stats_confusion *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < n; i++) {
        int t = truth[i] > 0, p = pred[i] > 0;
        if (t && p)
            c->tp++;
        else if (!t && p)
            c->fp++;
        else if (!t && !p)
            c->tn++;
        else
            c->fn++;
    }
}

double sf_stats_accuracy(const sf_stats_confusion *c)
{
    size_t n = c->tp + c->fp + c->tn + c->fn;
    return n ? (double)(c->tp + c->tn) / (double)n : NAN;
}

double sf_stats_precision(const sf_stats_confusion *c)
{
    size_t d = c->tp + c->fp;
    return d ? (double)c->tp / (double)d : NAN;
}

double sf_stats_recall(const sf_stats_confusion *c)
{
    size_t d = c->tp + c->fn;
    return d ? (double)c->tp / (double)d : NAN;
}

double sf_stats_mcc(const sf_stats_confusion *c)
{
    double tp = (double)c->tp, fp = (double)c->fp;
    double tn = (double)c->tn, fn = (double)c->fn;
    double d = (tp + fp) * (tp + fn) * (tn + fp) * (tn + fn);
    if (d == 0.0)
        return 0.0;
    return (tp * tn - fp * fn) / sqrt(d);
}

/* ---- quantiles and groups ---------------------------------------------------- */

int sf_stats_quantile(const double *x, size_t n, double q, double *out)
{
    if (n == 0)
        return sf_error("quantile of an empty set");
    if (!(q >= 0.0 && q <= 1.0))
        return sf_error("quantile: q = %g outside [0,1]", q);
    keyed *k = sorted_pairs(x, n);
    if (!k)
        return SF_ERR;
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor(h);
    if (lo >= n - 1)
        *out = k[n - 1].v;
    else
        *out = k[lo].v + (h - (double)lo) * (k[lo + 1].v - k[lo].v);
    free(k);
    return SF_OK;
}

void sf_stats_group_means(const double *v, const int *group, size_t n,
                          size_t ngroups, double *mean, size_t *count)
{
    size_t *cnt = count;
    size_t local[64];
    int own = 0;
    if (!cnt) {
        if (ngroups <= 64)
            cnt = local;
        else {
            cnt = malloc(ngroups * sizeof *cnt);
            own = 1;
        }
    }
    for (size_t g = 0; g < ngroups; g++) {
        mean[g] = 0.0;
        if (cnt)
            cnt[g] = 0;
    }
    for (size_t i = 0; i < n; i++) {
        int g = group[i];
        if (g < 0 || (size_t)g >= ngroups)
            continue;
        mean[g] += v[i];
        if (cnt)
            cnt[g]++;
    }
    for (size_t g = 0; g < ngroups; g++)
        mean[g] = cnt && cnt[g] ? mean[g] / (double)cnt[g] : NAN;
    if (own)
        free(cnt);
}

int sf_stats_quantile_groups(const double *x, size_t n, size_t ngroups,
                             int *group, double *mean, size_t *count)
{
    if (ngroups == 0 || ngroups > n)
        return sf_error("quantile groups: need 1 <= groups <= n, got %zu "
                        "groups for %zu values", ngroups, n);
    if (ngroups > (size_t)2147483647)
        return sf_error("quantile groups: too many groups (%zu)", ngroups);
    keyed *k = sorted_pairs(x, n);
    if (!k)
        return SF_ERR;
    for (size_t p = 0; p < n; p++) {
        /* p*ngroups/n without overflow for any realistic n */
        group[k[p].i] = (int)(((double)p * (double)ngroups) / (double)n);
        if ((size_t)group[k[p].i] >= ngroups)
            group[k[p].i] = (int)ngroups - 1;
    }
    free(k);
    if (mean) {
        size_t *cnt = count ? count : sf_malloc(ngroups * sizeof *cnt);
        if (!cnt)
            return SF_ERR;
        sf_stats_group_means(x, group, n, ngroups, mean, cnt);
        if (!count)
            free(cnt);
    } else if (count) {
        memset(count, 0, ngroups * sizeof *count);
        for (size_t i = 0; i < n; i++)
            count[group[i]]++;
    }
    return SF_OK;
}

/* ---- histograms -------------------------------------------------------------- */

static long bin_of(double v, double lo, double hi, size_t nb)
{
    if (!(v >= lo && v <= hi)) /* also rejects NaN */
        return -1;
    long b = (long)((v - lo) / (hi - lo) * (double)nb);
    if (b >= (long)nb)
        b = (long)nb - 1;
    return b;
}

size_t sf_stats_hist(const double *x, size_t n, double lo, double hi,
                     size_t nbins, double *counts)
{
    if (!(hi > lo) || nbins == 0) {
        sf_error("histogram: need lo < hi and bins > 0 (got [%g, %g], %zu)",
                 lo, hi, nbins);
        return (size_t)-1;
    }
    memset(counts, 0, nbins * sizeof *counts);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        long b = bin_of(x[i], lo, hi, nbins);
        if (b >= 0) {
            counts[b] += 1.0;
            m++;
        }
    }
    return m;
}

size_t sf_stats_hist2d(const double *x, const double *y, size_t n,
                       double xlo, double xhi, size_t nx, double ylo,
                       double yhi, size_t ny, double *counts)
{
    if (!(xhi > xlo) || !(yhi > ylo) || nx == 0 || ny == 0) {
        sf_error("2-D histogram: need lo < hi and bins > 0 on both axes");
        return (size_t)-1;
    }
    memset(counts, 0, nx * ny * sizeof *counts);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        long bx = bin_of(x[i], xlo, xhi, nx), by = bin_of(y[i], ylo, yhi, ny);
        if (bx >= 0 && by >= 0) {
            counts[(size_t)bx * ny + (size_t)by] += 1.0;
            m++;
        }
    }
    return m;
}
