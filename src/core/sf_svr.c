/* sf_svr.c - see sf_svr.h. */
#include "sf_svr.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <linear.h>

#include "sf_error.h"
#include "sf_stats.h"

static const struct {
    const char *name, *liblinear_name;
    int liblinear_type;
    double tol;
} SOLVERS[SF_SVR_NSOLVERS] = {
    [SF_SVR_PRIMAL] = {"svr-primal", "l2r_l2loss_svr", L2R_L2LOSS_SVR, 0.001},
    [SF_SVR_DUAL] = {"svr-dual", "l2r_l2loss_svr_dual", L2R_L2LOSS_SVR_DUAL, 0.1},
    [SF_SVC_PRIMAL] = {"svc-primal", "l2r_l2loss_svc", L2R_L2LOSS_SVC, 0.01},
    [SF_SVC_DUAL] = {"svc-dual", "l2r_l2loss_svc_dual", L2R_L2LOSS_SVC_DUAL, 0.1},
};

static int valid_solver(int s)
{
    return s >= 0 && s < SF_SVR_NSOLVERS;
}

void sf_svr_param_default(sf_svr_param *p, int solver)
{
    p->solver = solver;
    p->C = 1.0;
    p->p = 0.1;
    p->tol = 0.0;
    p->seed = 1;
    p->verbose = 0;
}

double sf_svr_default_tol(int solver)
{
    return valid_solver(solver) ? SOLVERS[solver].tol : NAN;
}

const char *sf_svr_solver_name(int solver)
{
    return valid_solver(solver) ? SOLVERS[solver].name : NULL;
}

int sf_svr_solver_parse(const char *name)
{
    for (int s = 0; s < SF_SVR_NSOLVERS; s++)
        if (!strcmp(name, SOLVERS[s].name) ||
            !strcmp(name, SOLVERS[s].liblinear_name))
            return s;
    return sf_error("unknown solver '%s' (expected svr-primal, svr-dual, "
                    "svc-primal or svc-dual)", name);
}

int sf_svr_solver_is_svc(int solver)
{
    return solver == SF_SVC_PRIMAL || solver == SF_SVC_DUAL;
}

/* ---- print hook ------------------------------------------------------------ */

static void (*log_fn)(const char *line);

static void quiet(const char *s)
{
    (void)s;
}

static void forward(const char *s)
{
    if (log_fn)
        log_fn(s);
}

void sf_svr_set_log(void (*fn)(const char *line))
{
    log_fn = fn;
}

/* ---- data -------------------------------------------------------------------- */

struct sf_svr_data {
    size_t rows, cols, nweights, nnz;
    double bias;
    struct feature_node *nodes; /* all rows, each terminated by index -1 */
    struct feature_node **x;    /* row starts */
};

/* Element (i, j) of a dense row-major matrix of doubles (X) or floats (F). */
#define ELEM(X, F, i, j, cols)                                               \
    ((X) ? (X)[(i) * (cols) + (j)] : (double)(F)[(i) * (cols) + (j)])

static sf_svr_data *data_new(const double *X, const float *F, size_t rows,
                             size_t cols, double bias)
{
    if (rows == 0 || cols == 0) {
        sf_error("training data: empty matrix (%zu x %zu)", rows, cols);
        return NULL;
    }
    if (rows > INT_MAX || cols >= INT_MAX) {
        sf_error("training data: %zu x %zu exceeds LIBLINEAR's int limits",
                 rows, cols);
        return NULL;
    }
    if (!(bias < 0 || bias > 0) || isnan(bias)) {
        sf_error("training data: bias must be > 0 (appended feature) or < 0 "
                 "(none), got %g", bias);
        return NULL;
    }
    size_t nnz = 0;
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            double v = ELEM(X, F, i, j, cols);
            if (!isfinite(v)) {
                sf_error("training data: row %zu, column %zu is %g", i + 1,
                         j + 1, v);
                return NULL;
            }
            nnz += v != 0.0;
        }
    int has_bias = bias > 0;
    sf_svr_data *d = sf_calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->rows = rows;
    d->cols = cols;
    d->bias = has_bias ? bias : -1.0;
    d->nweights = cols + (size_t)has_bias;
    d->nnz = nnz + (has_bias ? rows : 0);
    d->nodes = sf_malloc((d->nnz + rows) * sizeof *d->nodes);
    d->x = sf_malloc(rows * sizeof *d->x);
    if (!d->nodes || !d->x) {
        sf_svr_data_free(d);
        return NULL;
    }
    struct feature_node *n = d->nodes;
    for (size_t i = 0; i < rows; i++) {
        d->x[i] = n;
        for (size_t j = 0; j < cols; j++) {
            double v = ELEM(X, F, i, j, cols);
            if (v != 0.0) {
                n->index = (int)j + 1;
                n->value = v;
                n++;
            }
        }
        if (has_bias) {
            n->index = (int)cols + 1;
            n->value = bias;
            n++;
        }
        n->index = -1;
        n->value = 0.0;
        n++;
    }
    return d;
}

sf_svr_data *sf_svr_data_new(const double *X, size_t rows, size_t cols,
                             double bias)
{
    return data_new(X, NULL, rows, cols, bias);
}

sf_svr_data *sf_svr_data_new_f32(const float *X, size_t rows, size_t cols,
                                 double bias)
{
    return data_new(NULL, X, rows, cols, bias);
}

void sf_svr_data_free(sf_svr_data *d)
{
    if (!d)
        return;
    free(d->nodes);
    free(d->x);
    free(d);
}

size_t sf_svr_data_rows(const sf_svr_data *d)
{
    return d->rows;
}

size_t sf_svr_data_nweights(const sf_svr_data *d)
{
    return d->nweights;
}

double sf_svr_data_bias(const sf_svr_data *d)
{
    return d->bias;
}

size_t sf_svr_data_nonzeros(const sf_svr_data *d)
{
    return d->nnz;
}

/* ---- training ------------------------------------------------------------------ */

static int check_param(const sf_svr_param *p)
{
    if (!valid_solver(p->solver))
        return sf_error("invalid solver %d", p->solver);
    if (!(p->C > 0) || !isfinite(p->C))
        return sf_error("C must be a positive number, got %g", p->C);
    if (!(p->p >= 0) || !isfinite(p->p))
        return sf_error("epsilon (p) must be >= 0, got %g", p->p);
    if (isnan(p->tol) || isinf(p->tol))
        return sf_error("tolerance must be finite, got %g", p->tol);
    return SF_OK;
}

static double sparse_dot(const struct feature_node *x, const double *w)
{
    double s = 0.0;
    for (; x->index != -1; x++)
        s += w[x->index - 1] * x->value;
    return s;
}

int sf_svr_train(const sf_svr_data *d, const double *y, const size_t *rows,
                 size_t n, const sf_svr_param *p, double *w)
{
    if (check_param(p))
        return SF_ERR;
    if (!rows)
        n = d->rows;
    if (n == 0)
        return sf_error("training: no rows selected");
    int svc = sf_svr_solver_is_svc(p->solver);

    struct problem prob;
    prob.l = (int)n;
    prob.n = (int)d->nweights;
    prob.bias = -1; /* a bias, if any, is already an ordinary feature */
    prob.y = sf_malloc(n * sizeof *prob.y);
    prob.x = sf_malloc(n * sizeof *prob.x);
    if (!prob.y || !prob.x) {
        free(prob.y);
        free(prob.x);
        return SF_ERR;
    }
    size_t npos = 0;
    for (size_t k = 0; k < n; k++) {
        size_t r = rows ? rows[k] : k;
        if (r >= d->rows) {
            free(prob.y);
            free(prob.x);
            return sf_error("training: row %zu out of range (%zu rows)", r + 1,
                            d->rows);
        }
        double v = y[r];
        if (!isfinite(v)) {
            free(prob.y);
            free(prob.x);
            return sf_error("training: label of row %zu is %g", r + 1, v);
        }
        if (svc) {
            v = v > 0 ? 1.0 : -1.0;
            npos += v > 0;
        }
        prob.y[k] = v;
        prob.x[k] = d->x[r];
    }
    if (svc && (npos == 0 || npos == n)) {
        free(prob.y);
        free(prob.x);
        return sf_error("classification needs both classes (%zu positive of "
                        "%zu)", npos, n);
    }

    struct parameter param;
    memset(&param, 0, sizeof param);
    param.solver_type = SOLVERS[p->solver].liblinear_type;
    param.C = p->C;
    param.p = p->p;
    param.eps = p->tol > 0 ? p->tol : SOLVERS[p->solver].tol;
    param.nr_weight = 0;
    param.weight_label = NULL;
    param.weight = NULL;
    param.init_sol = NULL;
    const char *msg = check_parameter(&prob, &param);
    if (msg) {
        free(prob.y);
        free(prob.x);
        return sf_error("LIBLINEAR: %s", msg);
    }

    set_print_string_function(p->verbose && log_fn ? forward : quiet);
    srand((unsigned)(p->seed ^ (p->seed >> 32)));
    struct model *m = train(&prob, &param);
    set_print_string_function(quiet);
    free(prob.y);
    free(prob.x);
    if (!m)
        return sf_error("LIBLINEAR: training failed");

    /* LIBLINEAR keeps w for its label[0]; make w.x > 0 mean class +1 */
    double sign = 1.0;
    if (svc && m->nr_class == 2 && m->label[0] < 0)
        sign = -1.0;
    for (size_t j = 0; j < d->nweights; j++)
        w[j] = sign * m->w[j];
    free_and_destroy_model(&m);
    return SF_OK;
}

int sf_svr_cross_validate(const sf_svr_data *d, const double *y,
                          const size_t *rows, size_t n, int k,
                          uint64_t split_seed, const sf_svr_param *p,
                          double *pred)
{
    if (!rows)
        n = d->rows;
    int *fold = sf_malloc((n ? n : 1) * sizeof *fold);
    size_t *sub = sf_malloc((n ? n : 1) * sizeof *sub);
    double *w = sf_malloc(d->nweights * sizeof *w);
    int rc = SF_ERR;
    if (!fold || !sub || !w)
        goto done;
    if (sf_stats_kfold(n, k, split_seed, fold))
        goto done;
    for (int f = 0; f < k; f++) {
        size_t m = 0;
        for (size_t j = 0; j < n; j++)
            if (fold[j] != f)
                sub[m++] = rows ? rows[j] : j;
        if (sf_svr_train(d, y, sub, m, p, w)) {
            sf_error_prefix("cross-validation fold %d of %d", f + 1, k);
            goto done;
        }
        for (size_t j = 0; j < n; j++)
            if (fold[j] == f)
                pred[j] = sparse_dot(d->x[rows ? rows[j] : j], w);
    }
    rc = SF_OK;
done:
    free(fold);
    free(sub);
    free(w);
    return rc;
}

/* ---- prediction ---------------------------------------------------------------- */

static int dense_predict(const double *X, const float *F, size_t rows, size_t cols,
                   const double *w, size_t nw, double bias, double *out)
{
    double b = 0.0;
    if (nw == cols + 1 && bias > 0)
        b = w[cols] * bias;
    else if (nw != cols)
        return sf_error("prediction: %zu weights for %zu features%s", nw, cols,
                        nw == cols + 1 ? " (bias weight present but no bias "
                                         "value)" : "");
    long long nr = (long long)rows;
#pragma omp parallel for schedule(static) if (rows > 20000)
    for (long long i = 0; i < nr; i++) {
        double s = 0.0;
        if (X) {
            const double *row = X + (size_t)i * cols;
            for (size_t j = 0; j < cols; j++)
                s += w[j] * row[j];
        } else {
            const float *row = F + (size_t)i * cols;
            for (size_t j = 0; j < cols; j++)
                s += w[j] * (double)row[j];
        }
        out[i] = s + b;
    }
    return SF_OK;
}

int sf_svr_predict(const double *X, size_t rows, size_t cols, const double *w,
                   size_t nw, double bias, double *out)
{
    return dense_predict(X, NULL, rows, cols, w, nw, bias, out);
}

int sf_svr_predict_f32(const float *X, size_t rows, size_t cols,
                       const double *w, size_t nw, double bias, double *out)
{
    return dense_predict(NULL, X, rows, cols, w, nw, bias, out);
}
