/* test_stats.c - PRNG reference values, splits, correlations (ties),
 * confusion scores, quantiles, groups, histograms. */
#include <string.h>

#include "sf_error.h"
#include "sf_stats.h"
#include "sf_test.h"

static void test_rng(void)
{
    /* SplitMix64 reference outputs (seed 1234567, as in the xoshiro
     * reference code's test) */
    static const uint64_t want[5] = {
        6457827717110365317ULL, 3203168211198807973ULL, 9817491932198370423ULL,
        4593380528125082431ULL, 16408922859458223821ULL};
    sf_stats_rng r;
    sf_stats_rng_seed(&r, 1234567);
    for (int i = 0; i < 5; i++)
        CHECK(sf_stats_rng_next(&r) == want[i]);
    sf_stats_rng_seed(&r, 0);
    CHECK(sf_stats_rng_next(&r) == 0xe220a8397b1dcdafULL);

    /* bounded draws stay in range and hit every value */
    int seen[7] = {0};
    for (int i = 0; i < 7000; i++) {
        uint64_t v = sf_stats_rng_below(&r, 7);
        CHECK(v < 7);
        if (v < 7)
            seen[v]++;
    }
    for (int i = 0; i < 7; i++)
        CHECK(seen[i] > 800 && seen[i] < 1200);
    double u = sf_stats_rng_uniform(&r);
    CHECK(u >= 0.0 && u < 1.0);

    /* permutation: a permutation, deterministic, seed-dependent */
    size_t p1[100], p2[100], p3[100];
    sf_stats_permutation(100, 42, p1);
    sf_stats_permutation(100, 42, p2);
    sf_stats_permutation(100, 43, p3);
    CHECK(!memcmp(p1, p2, sizeof p1));
    CHECK(memcmp(p1, p3, sizeof p1) != 0);
    int hit[100] = {0};
    for (int i = 0; i < 100; i++)
        hit[p1[i]]++;
    int ok = 1;
    for (int i = 0; i < 100; i++)
        ok &= hit[i] == 1;
    CHECK(ok);
}

static void test_splits(void)
{
    unsigned char tr[1001];
    CHECK(sf_stats_split(1001, 0.8, 7, tr) == SF_OK);
    size_t n = 0;
    for (int i = 0; i < 1001; i++)
        n += tr[i];
    CHECK(n == 801); /* floor(800.8 + 0.5) */
    unsigned char tr2[1001];
    sf_stats_split(1001, 0.8, 7, tr2);
    CHECK(!memcmp(tr, tr2, sizeof tr));
    CHECK(sf_stats_split(10, 1.5, 7, tr) == SF_ERR);

    int fold[103], cnt[5] = {0};
    CHECK(sf_stats_kfold(103, 5, 3, fold) == SF_OK);
    for (int i = 0; i < 103; i++) {
        CHECK(fold[i] >= 0 && fold[i] < 5);
        if (fold[i] >= 0 && fold[i] < 5)
            cnt[fold[i]]++;
    }
    for (int f = 0; f < 5; f++)
        CHECK(cnt[f] == 20 || cnt[f] == 21);
    CHECK(sf_stats_kfold(3, 5, 3, fold) == SF_ERR);
    CHECK(sf_stats_kfold(10, 1, 3, fold) == SF_ERR);
}

static void test_correlation(void)
{
    double x[5] = {1, 2, 3, 4, 5}, y[5] = {2, 4, 5, 4, 5};
    CHECK_NEAR(sf_stats_pearson(x, y, 5), 0.7745966692414834, 1e-15);
    CHECK_NEAR(sf_stats_pearson(x, x, 5), 1.0, 0);
    double c[5] = {3, 3, 3, 3, 3};
    CHECK(isnan(sf_stats_pearson(x, c, 5)));
    CHECK(isnan(sf_stats_pearson(x, y, 1)));
    CHECK_NEAR(sf_stats_mean(x, 5), 3.0, 0);
    CHECK_NEAR(sf_stats_variance(x, 5), 2.5, 1e-15);

    /* ranks with ties get the average rank */
    double t[4] = {10, 20, 20, 30}, rk[4];
    CHECK(sf_stats_rank(t, 4, rk) == SF_OK);
    CHECK(rk[0] == 1 && rk[1] == 2.5 && rk[2] == 2.5 && rk[3] == 4);
    /* scipy.stats.spearmanr([1,2,2,3,4],[1,3,2,2,5]) = 0.7631578947368421 */
    double a[5] = {1, 2, 2, 3, 4}, b[5] = {1, 3, 2, 2, 5}, rho;
    CHECK(sf_stats_spearman(a, b, 5, &rho) == SF_OK);
    CHECK_NEAR(rho, 0.7631578947368421, 1e-15);
    /* monotone but non-linear: Spearman 1, Pearson < 1 */
    double e[5];
    for (int i = 0; i < 5; i++)
        e[i] = exp(3.0 * x[i]);
    CHECK(sf_stats_spearman(x, e, 5, &rho) == SF_OK);
    CHECK_NEAR(rho, 1.0, 1e-15);
    CHECK(sf_stats_pearson(x, e, 5) < 0.95);
    double nanv[3] = {1, NAN, 2};
    CHECK(sf_stats_spearman(nanv, nanv, 3, &rho) == SF_ERR);
    CHECK(strstr(sf_error_message(), "value 2 is NaN") != NULL);

    double p[4] = {1, 2, 3, 4}, q[4] = {1, 2, 3, 6};
    CHECK_NEAR(sf_stats_rmse(p, q, 4), 1.0, 1e-15);
    CHECK_NEAR(sf_stats_mae(p, q, 4), 0.5, 1e-15);
}

static void test_confusion(void)
{
    /* tp = 6, fp = 2, tn = 9, fn = 3 */
    double truth[20], pred[20];
    int k = 0;
    for (int i = 0; i < 6; i++, k++)
        truth[k] = 1, pred[k] = 0.7;
    for (int i = 0; i < 2; i++, k++)
        truth[k] = -1, pred[k] = 2;
    for (int i = 0; i < 9; i++, k++)
        truth[k] = -1, pred[k] = -0.1;
    for (int i = 0; i < 3; i++, k++)
        truth[k] = 1, pred[k] = -3;
    sf_stats_confusion c;
    sf_stats_confusion_count(truth, pred, 20, &c);
    CHECK(c.tp == 6 && c.fp == 2 && c.tn == 9 && c.fn == 3);
    CHECK_NEAR(sf_stats_accuracy(&c), 15.0 / 20, 1e-15);
    CHECK_NEAR(sf_stats_precision(&c), 6.0 / 8, 1e-15);
    CHECK_NEAR(sf_stats_recall(&c), 6.0 / 9, 1e-15);
    /* (6*9 - 2*3) / sqrt(8*9*11*12) */
    CHECK_NEAR(sf_stats_mcc(&c), 0.4923659639173309, 1e-15);
    sf_stats_confusion perfect = {5, 0, 5, 0}, inverse = {0, 5, 0, 5},
                       empty = {0, 0, 4, 0};
    CHECK_NEAR(sf_stats_mcc(&perfect), 1.0, 1e-15);
    CHECK_NEAR(sf_stats_mcc(&inverse), -1.0, 1e-15);
    CHECK(sf_stats_mcc(&empty) == 0.0);
    CHECK(isnan(sf_stats_precision(&empty)));
}

static void test_quantiles(void)
{
    double v[7] = {3.5, 1.0, 7.25, 2.0, 9.0, 4.0, 6.0}, q;
    CHECK(sf_stats_quantile(v, 7, 0.3, &q) == SF_OK);
    CHECK_NEAR(q, 3.1999999999999997, 1e-14); /* numpy.quantile */
    sf_stats_quantile(v, 7, 0.9, &q);
    CHECK_NEAR(q, 7.950000000000001, 1e-14);
    sf_stats_quantile(v, 7, 0.0, &q);
    CHECK(q == 1.0);
    sf_stats_quantile(v, 7, 1.0, &q);
    CHECK(q == 9.0);
    CHECK(sf_stats_quantile(v, 7, 1.1, &q) == SF_ERR);

    size_t order[7];
    CHECK(sf_stats_order(v, 7, order) == SF_OK);
    CHECK(order[0] == 1 && order[1] == 3 && order[6] == 4);

    /* deciles of 100 values given in descending order */
    double x[100], mean[10];
    int g[100];
    size_t cnt[10];
    for (int i = 0; i < 100; i++)
        x[i] = 100 - i;
    CHECK(sf_stats_quantile_groups(x, 100, 10, g, mean, cnt) == SF_OK);
    CHECK(g[0] == 9 && g[99] == 0 && g[90] == 0 && g[89] == 1);
    for (int k = 0; k < 10; k++) {
        CHECK(cnt[k] == 10);
        CHECK_NEAR(mean[k], 10 * k + 5.5, 1e-12);
    }
    /* 2.5 % groups of 1000 values: 25 each */
    double y[1000], m40[40];
    int g40[1000];
    size_t c40[40];
    for (int i = 0; i < 1000; i++)
        y[i] = (double)((i * 7919) % 1000);
    CHECK(sf_stats_quantile_groups(y, 1000, 40, g40, m40, c40) == SF_OK);
    int ok = 1;
    for (int k = 0; k < 40; k++)
        ok &= c40[k] == 25 && fabs(m40[k] - (25.0 * k + 12.0)) < 1e-9;
    CHECK(ok);
    CHECK(sf_stats_quantile_groups(y, 10, 11, g40, NULL, NULL) == SF_ERR);

    /* group means of another variable */
    double v2[6] = {1, 2, 3, 4, 5, 6}, gm[3];
    int gg[6] = {0, 0, 1, 1, 1, -1};
    size_t gc[3];
    sf_stats_group_means(v2, gg, 6, 3, gm, gc);
    CHECK(gm[0] == 1.5 && gm[1] == 4.0 && isnan(gm[2]));
    CHECK(gc[0] == 2 && gc[1] == 3 && gc[2] == 0);
}

static void test_hist(void)
{
    double x[6] = {0.0, 0.5, 0.99, 1.0, -0.1, NAN}, h[2];
    CHECK(sf_stats_hist(x, 6, 0.0, 1.0, 2, h) == 4);
    CHECK(h[0] == 1 && h[1] == 3);
    double a[5] = {0.1, 0.1, 0.9, 0.6, 2.0}, b[5] = {0.9, 0.9, 0.9, 0.1, 0.5};
    double h2[4];
    CHECK(sf_stats_hist2d(a, b, 5, 0, 1, 2, 0, 1, 2, h2) == 4);
    /* counts[ix*ny + iy]: (x bin 0, y bin 1) twice */
    CHECK(h2[0] == 0 && h2[1] == 2 && h2[2] == 1 && h2[3] == 1);
    CHECK(sf_stats_hist2d(a, b, 5, 1, 0, 2, 0, 1, 2, h2) == (size_t)-1);
}

/* AUC against the pairwise definition, with ties; edge cases */
static void test_auc(void)
{
    sf_stats_rng r;
    sf_stats_rng_seed(&r, 7);
    enum { N = 301 };
    double t[N], sc[N], auc;
    for (int i = 0; i < N; i++) {
        t[i] = sf_stats_rng_uniform(&r) < 0.3 ? 1 : -1;
        /* scores on a coarse grid (many ties), shifted up for positives */
        sc[i] = floor(10 * sf_stats_rng_uniform(&r)) + (t[i] > 0 ? 2 : 0);
    }
    double wins = 0, pairs = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            if (t[i] > 0 && t[j] <= 0) {
                pairs++;
                wins += sc[i] > sc[j] ? 1.0 : sc[i] == sc[j] ? 0.5 : 0.0;
            }
    CHECK(sf_stats_auc(t, sc, N, &auc) == SF_OK);
    CHECK_NEAR(auc, wins / pairs, 1e-12);
    CHECK(auc > 0.6 && auc < 0.95);
    double t2[4] = {1, 1, -1, -1}, s2[4] = {3, 4, 1, 2};
    CHECK(sf_stats_auc(t2, s2, 4, &auc) == SF_OK && auc == 1.0);
    s2[0] = 0;
    CHECK(sf_stats_auc(t2, s2, 4, &auc) == SF_OK && auc == 0.5);
    double t3[2] = {1, 1};
    CHECK(sf_stats_auc(t3, s2, 2, &auc) == SF_OK && isnan(auc));
    s2[1] = NAN;
    CHECK(sf_stats_auc(t2, s2, 4, &auc) == SF_ERR);
}

int main(void)
{
    test_auc();
    test_rng();
    test_splits();
    test_correlation();
    test_confusion();
    test_quantiles();
    test_hist();
    return sf_test_summary();
}
