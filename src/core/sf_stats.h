/* sf_stats.h - statistics for learning and figures: a documented seeded
 * PRNG with permutations, train/test splits and k-fold assignments;
 * Pearson and Spearman correlation, RMSE; confusion-matrix scores
 * (accuracy, precision, recall, MCC); quantile grouping (deciles, 2.5 %
 * groups); quantiles; 1-D and 2-D histograms.
 *
 * Everything is serial and deterministic: the same input gives the same
 * bits.  Arrays are caller-owned. */
#ifndef SF_STATS_H
#define SF_STATS_H

#include <stddef.h>
#include <stdint.h>

/* ---- PRNG ---------------------------------------------------------------
 * SplitMix64 (Steele, Lea & Flood 2014; the generator Java's
 * SplittableRandom uses): state += 0x9e3779b97f4a7c15, output
 * z = state; z = (z ^ z>>30) * 0xbf58476d1ce4e5b9; z = (z ^ z>>27) *
 * 0x94d049bb133111eb; z ^ z>>31.  Seeding sets state = seed.  Bounded
 * integers use rejection (no modulo bias), so every split made from a seed
 * is the same on every platform and libc. */
typedef struct sf_stats_rng {
    uint64_t state;
} sf_stats_rng;

void sf_stats_rng_seed(sf_stats_rng *r, uint64_t seed);
uint64_t sf_stats_rng_next(sf_stats_rng *r);
/* Uniform integer in [0, n), n > 0. */
uint64_t sf_stats_rng_below(sf_stats_rng *r, uint64_t n);
/* Uniform double in [0, 1) with 53 random bits. */
double sf_stats_rng_uniform(sf_stats_rng *r);

/* Shuffle a[0..n) in place (Fisher-Yates from the top, i = n-1 .. 1,
 * j = below(i+1)). */
void sf_stats_shuffle(size_t *a, size_t n, sf_stats_rng *r);
/* perm = a seeded random permutation of 0..n-1. */
void sf_stats_permutation(size_t n, uint64_t seed, size_t *perm);
/* Train/test split: exactly ntrain = floor(n*frac + 0.5) items get
 * is_train[i] = 1 (the first ntrain of a seeded permutation).  SF_ERR on
 * frac outside [0,1] or allocation failure. */
int sf_stats_split(size_t n, double frac, uint64_t seed,
                   unsigned char *is_train);
/* k-fold assignment: fold[i] in 0..k-1; item perm[p] goes to fold
 * p*k/n, so fold sizes differ by at most one.  SF_ERR if k < 2 or k > n. */
int sf_stats_kfold(size_t n, int k, uint64_t seed, int *fold);

/* ---- correlation and errors ---------------------------------------------- */
double sf_stats_mean(const double *x, size_t n);          /* NaN if n == 0 */
double sf_stats_variance(const double *x, size_t n);      /* sample, n-1 */
/* Pearson r; NaN when n < 2 or a variance is zero (two-pass, centred). */
double sf_stats_pearson(const double *x, const double *y, size_t n);
/* Ranks 1..n, ties get the average of their ranks.  SF_ERR on NaN. */
int sf_stats_rank(const double *x, size_t n, double *rank);
/* Spearman rho = Pearson of the average ranks.  SF_ERR on NaN/alloc. */
int sf_stats_spearman(const double *x, const double *y, size_t n,
                      double *rho);
double sf_stats_rmse(const double *x, const double *y, size_t n);
double sf_stats_mae(const double *x, const double *y, size_t n);

/* ---- classification ------------------------------------------------------
 * Positive class: value > 0 (labels +1 / -1, or decision values). */
typedef struct sf_stats_confusion {
    size_t tp, fp, tn, fn;
} sf_stats_confusion;

void sf_stats_confusion_count(const double *truth, const double *pred,
                              size_t n, sf_stats_confusion *c);
double sf_stats_accuracy(const sf_stats_confusion *c);  /* NaN if empty */
double sf_stats_precision(const sf_stats_confusion *c); /* NaN if no pred+ */
double sf_stats_recall(const sf_stats_confusion *c);    /* NaN if no true+ */
/* Matthews correlation coefficient; 0 when a margin is empty (the usual
 * convention: the denominator is then taken as 1). */
double sf_stats_mcc(const sf_stats_confusion *c);

/* ROC AUC of scores for the two classes of truth (positive: truth > 0):
 * the Mann-Whitney probability that a positive outscores a negative, ties
 * counting one half (average ranks).  *auc = NaN when a class is empty.
 * SF_ERR on NaN scores or allocation failure. */
int sf_stats_auc(const double *truth, const double *score, size_t n, double *auc);

/* ---- ordering, quantiles, groups ---------------------------------------- */
/* order = indices sorting x ascending, ties by index (stable).  SF_ERR on
 * NaN (naming the index) or allocation failure. */
int sf_stats_order(const double *x, size_t n, size_t *order);
/* q-quantile, linear interpolation between order statistics (Hyndman-Fan
 * type 7, numpy's default).  SF_ERR if n == 0, q outside [0,1], NaN. */
int sf_stats_quantile(const double *x, size_t n, double q, double *out);
/* Equal-count groups by value: the item at sorted position p (0-based,
 * ties by index) gets group p*ngroups/n (so 10 -> deciles, 40 -> 2.5 %
 * groups, 0 = lowest).  mean[g] = mean of x in group g, count[g] = size;
 * mean and count may be NULL.  SF_ERR on NaN, ngroups == 0 or > n. */
int sf_stats_quantile_groups(const double *x, size_t n, size_t ngroups,
                             int *group, double *mean, size_t *count);
/* mean[g] = mean of v over items with group[i] == g (NaN if empty); items
 * with group outside 0..ngroups-1 are ignored.  count may be NULL. */
void sf_stats_group_means(const double *v, const int *group, size_t n,
                          size_t ngroups, double *mean, size_t *count);

/* ---- histograms -----------------------------------------------------------
 * Bins are equal-width on [lo, hi]; a value equal to hi goes to the last
 * bin; values outside or NaN are not counted.  counts are zeroed first.
 * Returns the number of items counted, or (size_t)-1 with SF_ERR set when
 * hi <= lo or a bin count is zero. */
size_t sf_stats_hist(const double *x, size_t n, double lo, double hi,
                     size_t nbins, double *counts);
/* counts[ix*ny + iy] (x-major). */
size_t sf_stats_hist2d(const double *x, const double *y, size_t n,
                       double xlo, double xhi, size_t nx, double ylo,
                       double yhi, size_t ny, double *counts);

#endif
