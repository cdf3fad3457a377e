/* test_svr.c - LIBLINEAR wrapper: recover a known linear model from noisy
 * synthetic data (primal and dual SVR), bit-for-bit determinism, k-fold
 * cross-validation, an appended bias feature, SVC sign convention, errors. */
#include <string.h>

#include "sf_error.h"
#include "sf_stats.h"
#include "sf_svr.h"
#include "sf_test.h"

#define N 3000
#define D 12 /* 11 features + a constant column of ones */

static double X[N * D], y[N], wtrue[D];

static double gauss(sf_stats_rng *r)
{
    double u1 = sf_stats_rng_uniform(r), u2 = sf_stats_rng_uniform(r);
    return sqrt(-2.0 * log(1.0 - u1)) * cos(6.283185307179586 * u2);
}

static void make_data(void)
{
    sf_stats_rng r;
    sf_stats_rng_seed(&r, 2024);
    for (int j = 0; j < D; j++)
        wtrue[j] = 2.0 * sf_stats_rng_uniform(&r) - 1.0;
    wtrue[D - 1] = 0.75; /* intercept through the constant column */
    for (int i = 0; i < N; i++) {
        double s = 0.0;
        for (int j = 0; j < D - 1; j++)
            X[i * D + j] = gauss(&r);
        X[i * D + D - 1] = 1.0;
        for (int j = 0; j < D; j++)
            s += wtrue[j] * X[i * D + j];
        y[i] = s + 0.05 * gauss(&r);
    }
}

static double max_abs_diff(const double *a, const double *b, int n)
{
    double m = 0.0;
    for (int i = 0; i < n; i++)
        m = fmax(m, fabs(a[i] - b[i]));
    return m;
}

static void test_recover(int solver)
{
    sf_svr_data *d = sf_svr_data_new(X, N, D, -1);
    CHECK(d != NULL);
    if (!d)
        return;
    CHECK(sf_svr_data_nweights(d) == D);
    CHECK(sf_svr_data_rows(d) == N);
    sf_svr_param p;
    sf_svr_param_default(&p, solver);
    p.C = 10.0;
    p.p = 0.0;
    p.tol = solver == SF_SVR_DUAL ? 1e-4 : 1e-6;
    double w[D], w2[D], pred[N];
    CHECK(sf_svr_train(d, y, NULL, 0, &p, w) == SF_OK);
    CHECK_MSG(max_abs_diff(w, wtrue, D) < 0.01, "%s: max |w - w_true| = %g",
              sf_svr_solver_name(solver), max_abs_diff(w, wtrue, D));
    CHECK(sf_svr_predict(X, N, D, w, D, -1, pred) == SF_OK);
    double r = sf_stats_pearson(pred, y, N);
    CHECK_MSG(r > 0.99, "pearson %g", r);
    CHECK(sf_stats_rmse(pred, y, N) < 0.07);

    /* determinism: same seed -> identical bits */
    CHECK(sf_svr_train(d, y, NULL, 0, &p, w2) == SF_OK);
    CHECK(!memcmp(w, w2, sizeof w));

    /* training on a subset = training on a copy of that subset */
    size_t rows[N / 2];
    double Xs[(N / 2) * D], ys[N / 2], ws[D], wsub[D];
    for (int k = 0; k < N / 2; k++) {
        rows[k] = (size_t)(2 * k + 1);
        memcpy(Xs + k * D, X + rows[k] * D, D * sizeof(double));
        ys[k] = y[rows[k]];
    }
    CHECK(sf_svr_train(d, y, rows, N / 2, &p, wsub) == SF_OK);
    sf_svr_data *ds = sf_svr_data_new(Xs, N / 2, D, -1);
    CHECK(ds && sf_svr_train(ds, ys, NULL, 0, &p, ws) == SF_OK);
    CHECK(!memcmp(ws, wsub, sizeof ws));
    sf_svr_data_free(ds);

    /* cross-validation: out-of-fold predictions are good, and repeatable */
    double cv1[N], cv2[N];
    CHECK(sf_svr_cross_validate(d, y, NULL, 0, 5, 11, &p, cv1) == SF_OK);
    CHECK(sf_svr_cross_validate(d, y, NULL, 0, 5, 11, &p, cv2) == SF_OK);
    CHECK(!memcmp(cv1, cv2, sizeof cv1));
    CHECK(sf_stats_pearson(cv1, y, N) > 0.99);
    sf_svr_data_free(d);
}

static void test_dual_seed(void)
{
    /* the dual solver's permutation follows the seed; with a loose
     * tolerance two seeds give (slightly) different but both good results */
    sf_svr_data *d = sf_svr_data_new(X, N, D, -1);
    sf_svr_param p;
    sf_svr_param_default(&p, SF_SVR_DUAL);
    double a[D], b[D], c[D];
    p.seed = 1;
    CHECK(sf_svr_train(d, y, NULL, 0, &p, a) == SF_OK);
    p.seed = 2;
    CHECK(sf_svr_train(d, y, NULL, 0, &p, b) == SF_OK);
    p.seed = 1;
    CHECK(sf_svr_train(d, y, NULL, 0, &p, c) == SF_OK);
    CHECK(!memcmp(a, c, sizeof a));
    CHECK(memcmp(a, b, sizeof a) != 0);
    CHECK(max_abs_diff(a, wtrue, D) < 0.05);
    sf_svr_data_free(d);
}

static void test_bias(void)
{
    /* drop the constant column; let the wrapper append a bias feature */
    static double Xn[N * (D - 1)];
    for (int i = 0; i < N; i++)
        memcpy(Xn + i * (D - 1), X + i * D, (D - 1) * sizeof(double));
    sf_svr_data *d = sf_svr_data_new(Xn, N, D - 1, 1.0);
    CHECK(d && sf_svr_data_nweights(d) == D);
    sf_svr_param p;
    sf_svr_param_default(&p, SF_SVR_PRIMAL);
    p.C = 10.0;
    p.p = 0.0;
    p.tol = 1e-6;
    double w[D], pred[N];
    CHECK(sf_svr_train(d, y, NULL, 0, &p, w) == SF_OK);
    CHECK_NEAR(w[D - 1], 0.75, 0.01);
    CHECK(sf_svr_predict(Xn, N, D - 1, w, D, 1.0, pred) == SF_OK);
    CHECK(sf_stats_pearson(pred, y, N) > 0.99);
    /* weight count that fits neither with nor without bias */
    CHECK(sf_svr_predict(Xn, N, D - 1, w, D, -1, pred) == SF_ERR);
    CHECK(sf_svr_predict(Xn, N, D - 1, w, D + 1, 1.0, pred) == SF_ERR);
    sf_svr_data_free(d);
}

static void test_svc(int solver, double first_label)
{
    /* labels from the sign of w_true . x; the first row's class is forced
     * to first_label so both of LIBLINEAR's label orders are exercised */
    static double lab[N];
    int first = -1;
    for (int i = 0; i < N; i++) {
        double s = 0.0;
        for (int j = 0; j < D; j++)
            s += wtrue[j] * X[i * D + j];
        lab[i] = s > 0 ? 1.0 : -1.0;
        if (first < 0 && lab[i] == first_label)
            first = i;
    }
    /* swap that row to the front (features and label) */
    static double Xc[N * D];
    memcpy(Xc, X, sizeof Xc);
    double tmp[D], tl = lab[0];
    memcpy(tmp, Xc, sizeof tmp);
    memcpy(Xc, Xc + first * D, sizeof tmp);
    memcpy(Xc + first * D, tmp, sizeof tmp);
    lab[0] = lab[first];
    lab[first] = tl;

    unsigned char tr[N];
    sf_stats_split(N, 0.8, 5, tr);
    size_t train[N], test[N], ntr = 0, nte = 0;
    for (int i = 0; i < N; i++) {
        if (tr[i])
            train[ntr++] = (size_t)i;
        else
            test[nte++] = (size_t)i;
    }
    sf_svr_data *d = sf_svr_data_new(Xc, N, D, -1);
    sf_svr_param p;
    sf_svr_param_default(&p, solver);
    double w[D], pred[N];
    CHECK(sf_svr_train(d, lab, train, ntr, &p, w) == SF_OK);
    sf_svr_predict(Xc, N, D, w, D, -1, pred);
    double t[N], q[N];
    for (size_t k = 0; k < nte; k++) {
        t[k] = lab[test[k]];
        q[k] = pred[test[k]];
    }
    sf_stats_confusion c;
    sf_stats_confusion_count(t, q, nte, &c);
    CHECK_MSG(sf_stats_accuracy(&c) > 0.97, "%s first %g: accuracy %g",
              sf_svr_solver_name(solver), first_label, sf_stats_accuracy(&c));
    CHECK(sf_stats_mcc(&c) > 0.94);
    sf_svr_data_free(d);
}

static void test_errors(void)
{
    double bad[4] = {1, 2, NAN, 4};
    CHECK(sf_svr_data_new(bad, 2, 2, -1) == NULL);
    CHECK(strstr(sf_error_message(), "row 2, column 1") != NULL);
    CHECK(sf_svr_data_new(bad, 0, 2, -1) == NULL);
    sf_svr_data *d = sf_svr_data_new(X, N, D, -1);
    sf_svr_param p;
    sf_svr_param_default(&p, SF_SVR_PRIMAL);
    double w[D];
    p.C = 0;
    CHECK(sf_svr_train(d, y, NULL, 0, &p, w) == SF_ERR);
    CHECK(strstr(sf_error_message(), "C must be") != NULL);
    p.C = 1;
    p.p = -1;
    CHECK(sf_svr_train(d, y, NULL, 0, &p, w) == SF_ERR);
    p.p = 0.1;
    size_t rows[2] = {0, N};
    CHECK(sf_svr_train(d, y, rows, 2, &p, w) == SF_ERR);
    CHECK(strstr(sf_error_message(), "out of range") != NULL);
    sf_svr_param_default(&p, SF_SVC_DUAL);
    double ones[N];
    for (int i = 0; i < N; i++)
        ones[i] = 1.0;
    CHECK(sf_svr_train(d, ones, NULL, 0, &p, w) == SF_ERR);
    CHECK(strstr(sf_error_message(), "both classes") != NULL);
    CHECK(sf_svr_solver_parse("svr-dual") == SF_SVR_DUAL);
    CHECK(sf_svr_solver_parse("l2r_l2loss_svc") == SF_SVC_PRIMAL);
    CHECK(sf_svr_solver_parse("rbf") == SF_ERR);
    CHECK(sf_svr_default_tol(SF_SVR_PRIMAL) == 0.001);
    sf_svr_data_free(d);
}

static int nlog;
static void count_log(const char *s)
{
    (void)s;
    nlog++;
}

static void test_log(void)
{
    sf_svr_data *d = sf_svr_data_new(X, N, D, -1);
    sf_svr_param p;
    sf_svr_param_default(&p, SF_SVR_PRIMAL);
    double w[D];
    sf_svr_set_log(count_log);
    sf_svr_train(d, y, NULL, 0, &p, w);
    CHECK(nlog == 0); /* quiet by default */
    p.verbose = 1;
    sf_svr_train(d, y, NULL, 0, &p, w);
    CHECK(nlog > 0);
    sf_svr_set_log(NULL);
    sf_svr_data_free(d);
}

int main(void)
{
    make_data();
    test_recover(SF_SVR_PRIMAL);
    test_recover(SF_SVR_DUAL);
    test_dual_seed();
    test_bias();
    test_svc(SF_SVC_PRIMAL, 1.0);
    test_svc(SF_SVC_PRIMAL, -1.0);
    test_svc(SF_SVC_DUAL, 1.0);
    test_svc(SF_SVC_DUAL, -1.0);
    test_errors();
    test_log();
    return sf_test_summary();
}
