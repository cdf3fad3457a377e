/* sf_svr.h - linear regression and classification through LIBLINEAR.
 *
 * Solvers (LIBLINEAR numbers in brackets):
 *   SF_SVR_PRIMAL  L2-regularised L2-loss SVR, trust-region Newton   (11)
 *   SF_SVR_DUAL    the same problem by dual coordinate descent       (12)
 *   SF_SVC_PRIMAL  L2-regularised L2-loss SVC, primal                (2)
 *   SF_SVC_DUAL    the same by dual coordinate descent               (1)
 * The SVR loss is 1/2 w.w + C sum max(0, |y - w.x| - p)^2.
 *
 * Life cycle (LIBLINEAR's, FFTW-like): a dense row-major matrix is turned
 * once into LIBLINEAR's sparse rows (sf_svr_data_new, the only copy);
 * training, k-fold cross-validation and grid searches then select rows by
 * index without copying features again.  Prediction is w.x straight on the
 * dense matrix.
 *
 * Bias: a descriptor that carries its own constant column needs no bias
 * (bias < 0, the default); with bias > 0 a constant feature of that value is
 * appended to every row and w gets one more (last) entry.  Either way the
 * bias weight is regularised like the others (LIBLINEAR's convention).
 *
 * Determinism: the dual solvers shuffle with libc rand(); training calls
 * srand(seed) first, so the same data, parameters and seed give the same
 * weights bit for bit.  This (and LIBLINEAR's global print hook) makes
 * training not thread-safe: train one model at a time per process.
 *
 * Classification labels: y > 0 is the positive class (+1), otherwise -1;
 * the decision value w.x > 0 predicts +1. */
#ifndef SF_SVR_H
#define SF_SVR_H

#include <stddef.h>
#include <stdint.h>

enum {
    SF_SVR_PRIMAL = 0,
    SF_SVR_DUAL = 1,
    SF_SVC_PRIMAL = 2,
    SF_SVC_DUAL = 3,
    SF_SVR_NSOLVERS = 4
};

typedef struct sf_svr_param {
    int solver;    /* SF_SVR_* */
    double C;      /* regularisation, > 0 */
    double p;      /* epsilon of the SVR loss, >= 0 (unused by SVC) */
    double tol;    /* stopping tolerance; <= 0: LIBLINEAR's default */
    uint64_t seed; /* srand(seed) before training */
    int verbose;   /* 1: LIBLINEAR's progress to the log hook */
} sf_svr_param;

/* C = 1, p = 0.1, tol = default, seed = 1, quiet. */
void sf_svr_param_default(sf_svr_param *p, int solver);
/* LIBLINEAR's default tolerance for a solver (0.001, 0.1, 0.01, 0.1). */
double sf_svr_default_tol(int solver);
/* "svr-primal", "svr-dual", "svc-primal", "svc-dual" (NULL if invalid). */
const char *sf_svr_solver_name(int solver);
/* Solver from its name (also accepts LIBLINEAR's "l2r_l2loss_svr",
 * "l2r_l2loss_svr_dual", "l2r_l2loss_svc", "l2r_l2loss_svc_dual");
 * SF_ERR with a message listing the names if unknown. */
int sf_svr_solver_parse(const char *name);
int sf_svr_solver_is_svc(int solver);

/* Log hook for verbose training (LIBLINEAR's progress lines).  NULL (the
 * default) discards them. */
void sf_svr_set_log(void (*fn)(const char *line));

/* ---- data -------------------------------------------------------------- */
typedef struct sf_svr_data sf_svr_data;

/* LIBLINEAR rows from a dense row-major rows x cols matrix (exact zeros are
 * skipped; non-finite values are an error naming row and column).
 * bias > 0 appends a constant feature.  NULL with an error on failure. */
sf_svr_data *sf_svr_data_new(const double *X, size_t rows, size_t cols,
                             double bias);
/* The same from float32 values (each widened to double, exactly). */
sf_svr_data *sf_svr_data_new_f32(const float *X, size_t rows, size_t cols,
                                 double bias);
void sf_svr_data_free(sf_svr_data *d);
size_t sf_svr_data_rows(const sf_svr_data *d);
/* Number of weights a model trained on d has: cols (+1 with a bias). */
size_t sf_svr_data_nweights(const sf_svr_data *d);
double sf_svr_data_bias(const sf_svr_data *d);
size_t sf_svr_data_nonzeros(const sf_svr_data *d);

/* ---- training ------------------------------------------------------------ */
/* Train on the rows rows[0..n) of d (rows == NULL: all rows, n ignored) with
 * labels y indexed by data row (y[rows[k]]).  w receives
 * sf_svr_data_nweights(d) values.  SF_ERR with LIBLINEAR's parameter
 * message, or "classification needs both classes", on failure. */
int sf_svr_train(const sf_svr_data *d, const double *y, const size_t *rows,
                 size_t n, const sf_svr_param *p, double *w);

/* k-fold cross-validation over the rows rows[0..n) (NULL: all): folds from
 * sf_stats_kfold(n, k, split_seed); pred[j] receives the out-of-fold
 * decision value of rows[j]. */
int sf_svr_cross_validate(const sf_svr_data *d, const double *y,
                          const size_t *rows, size_t n, int k,
                          uint64_t split_seed, const sf_svr_param *p,
                          double *pred);

/* ---- prediction ---------------------------------------------------------- */
/* out[i] = w . X[i,:] (+ w[cols]*bias when nw == cols + 1 and bias > 0).
 * SF_ERR if nw is neither cols nor cols+1 (with bias > 0). */
int sf_svr_predict(const double *X, size_t rows, size_t cols, const double *w,
                   size_t nw, double bias, double *out);
/* The same for a float32 matrix (w . x summed in double). */
int sf_svr_predict_f32(const float *X, size_t rows, size_t cols,
                       const double *w, size_t nw, double bias, double *out);

#endif
