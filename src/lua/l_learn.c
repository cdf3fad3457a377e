/* l_learn.c - bindings of the learning layer: LIBLINEAR models
 * (sflex.svr, sflex.svc -> LinearModel), their training data
 * (sflex.problem -> Problem), statistics (sflex.stats), SHA-256, and the
 * raw model-file reader/writer used by lua/sflex/learn.lua.
 *
 *   local m = sflex.svr{C = 1, epsilon = 0.1}
 *   m:fit(X, y)                 -- X: Matrix (rows = samples) or Problem
 *   local pred = m:predict(X)   -- Vector of w . x
 *   local cv = m:cross_validate(X, y, {k = 5, seed = 1})
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linear.h>

#include "l_sflex.h"
#include "sf_model.h"
#include "sf_rdf.h"
#include "sf_sha256.h"
#include "sf_stats.h"
#include "sf_svr.h"

#define SFL_PROBLEM "sflex.Problem"
#define SFL_LINEAR "sflex.LinearModel"

/* ---- shared argument helpers ------------------------------------------------ */

/* luaL_error with the C library's printf formats (%zu, %g). */
static int lerror(lua_State *L, const char *fmt, ...) SF_PRINTF(2, 3);
static int lerror(lua_State *L, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    luaL_where(L, 1);
    lua_pushstring(L, buf);
    lua_concat(L, 2);
    return lua_error(L);
}

/* A Vector (or table of numbers) argument; pushes a converted copy when
 * given a table (the caller's stack grows by one then). */
static sfl_array *vec_arg(lua_State *L, int idx)
{
    int pushed;
    idx = lua_absindex(L, idx);
    return sfl_opt_vector_arg(L, idx, &pushed);
}

/* 1-based row indices (Vector or table) -> 0-based size_t array (a Lua
 * userdata left on the stack keeps it alive). */
static size_t *rows_arg(lua_State *L, int idx, size_t nrows, size_t *n)
{
    sfl_array *v = vec_arg(L, idx);
    size_t *r = lua_newuserdatauv(L, (v->rows ? v->rows : 1) * sizeof *r, 0);
    for (size_t k = 0; k < v->rows; k++) {
        double d = v->data[k];
        if (!(d >= 1 && d <= (double)nrows && d == floor(d)))
            lerror(L, "row index %g (entry %zu) out of range 1..%zu", d,
                       k + 1, nrows);
        r[k] = (size_t)d - 1;
    }
    *n = v->rows;
    return r;
}

static double opt_field_number(lua_State *L, int t, const char *k, double def)
{
    double v = def;
    if (lua_getfield(L, t, k) != LUA_TNIL) {
        int ok;
        v = lua_tonumberx(L, -1, &ok);
        if (!ok)
            lerror(L, "option '%s' must be a number", k);
    }
    lua_pop(L, 1);
    return v;
}

/* ---- Problem ------------------------------------------------------------------ */

typedef struct l_problem {
    sf_svr_data *d;
    size_t cols;
} l_problem;

static l_problem *check_problem(lua_State *L, int idx)
{
    l_problem *p = luaL_checkudata(L, idx, SFL_PROBLEM);
    if (!p->d)
        luaL_argerror(L, idx, "Problem has been freed");
    return p;
}

static int problem_gc(lua_State *L)
{
    l_problem *p = luaL_checkudata(L, 1, SFL_PROBLEM);
    sf_svr_data_free(p->d);
    p->d = NULL;
    return 0;
}

/* A Matrix of doubles or float32 (training and prediction read both). */
static sfl_array *check_matrix_any(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, SFL_MATRIX);
}

static l_problem *push_problem(lua_State *L, const sfl_array *X, double bias)
{
    l_problem *p = lua_newuserdatauv(L, sizeof *p, 0);
    p->d = NULL;
    p->cols = X->cols;
    luaL_setmetatable(L, SFL_PROBLEM);
    p->d = X->fdata ? sf_svr_data_new_f32(X->fdata, X->rows, X->cols, bias)
                    : sf_svr_data_new(X->data, X->rows, X->cols, bias);
    if (!p->d)
        sfl_core_error(L);
    return p;
}

/* sflex.problem(X [, {bias = b}]) */
static int l_problem_new(lua_State *L)
{
    lua_settop(L, 2); /* fixed argument slots; pushes go above */
    sfl_array *X = check_matrix_any(L, 1);
    double bias = -1;
    if (lua_istable(L, 2))
        bias = opt_field_number(L, 2, "bias", -1);
    push_problem(L, X, bias);
    return 1;
}

static int problem_len(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)sf_svr_data_rows(check_problem(L, 1)->d));
    return 1;
}

static int problem_tostring(lua_State *L)
{
    l_problem *p = luaL_checkudata(L, 1, SFL_PROBLEM);
    if (!p->d) {
        lua_pushliteral(L, "Problem(freed)");
        return 1;
    }
    double b = sf_svr_data_bias(p->d);
    lua_pushfstring(L, "Problem(rows=%d, features=%d, nonzeros=%d%s)",
                    (int)sf_svr_data_rows(p->d), (int)p->cols,
                    (int)sf_svr_data_nonzeros(p->d),
                    b > 0 ? ", bias feature" : "");
    return 1;
}

static int problem_index(lua_State *L)
{
    l_problem *p = check_problem(L, 1);
    const char *k = luaL_checkstring(L, 2);
    if (!strcmp(k, "rows"))
        lua_pushinteger(L, (lua_Integer)sf_svr_data_rows(p->d));
    else if (!strcmp(k, "cols"))
        lua_pushinteger(L, (lua_Integer)p->cols);
    else if (!strcmp(k, "bias"))
        lua_pushnumber(L, sf_svr_data_bias(p->d));
    else if (!strcmp(k, "nonzeros"))
        lua_pushinteger(L, (lua_Integer)sf_svr_data_nonzeros(p->d));
    else
        lua_pushnil(L);
    return 1;
}

/* ---- LinearModel ---------------------------------------------------------------- */

typedef struct l_linear {
    sf_svr_param p;
    double bias; /* < 0: none */
    double *w;
    size_t nw;
} l_linear;

static l_linear *check_linear(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, SFL_LINEAR);
}

static int linear_gc(lua_State *L)
{
    l_linear *m = check_linear(L, 1);
    free(m->w);
    m->w = NULL;
    m->nw = 0;
    return 0;
}

static void log_to_stderr(const char *s)
{
    fputs(s, stderr);
    fflush(stderr);
}

static int linear_new(lua_State *L, int svc)
{
    int t = lua_gettop(L) >= 1 && !lua_isnil(L, 1) ? 1 : 0;
    if (t)
        luaL_checktype(L, 1, LUA_TTABLE);
    const char *solver = "primal";
    if (t && lua_getfield(L, 1, "solver") != LUA_TNIL)
        solver = luaL_checkstring(L, -1);
    int s;
    if (!strcmp(solver, "primal"))
        s = svc ? SF_SVC_PRIMAL : SF_SVR_PRIMAL;
    else if (!strcmp(solver, "dual"))
        s = svc ? SF_SVC_DUAL : SF_SVR_DUAL;
    else {
        s = sf_svr_solver_parse(solver);
        if (s < 0)
            return sfl_core_error(L);
        if (sf_svr_solver_is_svc(s) != svc)
            return lerror(L, "solver '%s' is for %s", solver,
                              svc ? "regression (use sflex.svr)"
                                  : "classification (use sflex.svc)");
    }
    if (t)
        lua_pop(L, 1);
    l_linear *m = lua_newuserdatauv(L, sizeof *m, 0);
    memset(m, 0, sizeof *m);
    luaL_setmetatable(L, SFL_LINEAR);
    sf_svr_param_default(&m->p, s);
    m->bias = -1;
    if (t) {
        m->p.C = opt_field_number(L, 1, "C", 1.0);
        m->p.p = opt_field_number(L, 1, "epsilon", 0.1);
        m->p.tol = opt_field_number(L, 1, "tol", 0.0);
        m->bias = opt_field_number(L, 1, "bias", -1.0);
        double seed = opt_field_number(L, 1, "seed", 1.0);
        if (!(seed >= 0 && seed == floor(seed) && seed < 18446744073709551616.0))
            return lerror(L, "option 'seed' must be a non-negative integer");
        m->p.seed = (uint64_t)seed;
        lua_getfield(L, 1, "verbose");
        m->p.verbose = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    if (!(m->p.C > 0) || !isfinite(m->p.C))
        return lerror(L, "C must be a positive number, got %g", m->p.C);
    if (!(m->p.p >= 0) || !isfinite(m->p.p))
        return lerror(L, "epsilon must be >= 0, got %g", m->p.p);
    if (m->bias == 0 || isnan(m->bias))
        return lerror(L, "bias must be > 0 (append a constant feature) "
                             "or < 0 (none)");
    return 1;
}

static int l_svr(lua_State *L)
{
    return linear_new(L, 0);
}

static int l_svc(lua_State *L)
{
    return linear_new(L, 1);
}

/* The training data at idx: a Problem, or a Matrix turned into a temporary
 * Problem (pushed on the stack, so collected afterwards). */
static l_problem *data_arg(lua_State *L, int idx, const l_linear *m)
{
    l_problem *p = luaL_testudata(L, idx, SFL_PROBLEM);
    if (p) {
        if (!p->d)
            luaL_argerror(L, idx, "Problem has been freed");
        double b = sf_svr_data_bias(p->d);
        if ((b > 0) != (m->bias > 0) || (b > 0 && b != m->bias))
            lerror(L, "the Problem's bias (%g) differs from the model's "
                          "(%g)", b, m->bias);
        return p;
    }
    sfl_array *X = luaL_testudata(L, idx, SFL_MATRIX); /* double or float32 */
    if (!X)
        luaL_typeerror(L, idx, "Matrix or Problem");
    return push_problem(L, X, m->bias);
}

static const double *labels_arg(lua_State *L, int idx, size_t rows)
{
    sfl_array *y = vec_arg(L, idx);
    if (y->rows != rows)
        lerror(L, "%zu labels for %zu rows", y->rows, rows);
    return y->data;
}

/* m:fit(X | Problem, y [, rows]) -> m */
static int linear_fit(lua_State *L)
{
    lua_settop(L, 4); /* fixed argument slots; pushes go above */
    l_linear *m = check_linear(L, 1);
    l_problem *p = data_arg(L, 2, m);
    size_t rows = sf_svr_data_rows(p->d);
    const double *y = labels_arg(L, 3, rows);
    size_t n = 0, *sel = NULL;
    if (!lua_isnoneornil(L, 4))
        sel = rows_arg(L, 4, rows, &n);
    size_t nw = sf_svr_data_nweights(p->d);
    double *w = malloc(nw * sizeof *w);
    if (!w)
        return lerror(L, "out of memory");
    if (sf_svr_train(p->d, y, sel, n, &m->p, w)) {
        free(w);
        return sfl_core_error(L);
    }
    free(m->w);
    m->w = w;
    m->nw = nw;
    lua_settop(L, 1);
    return 1;
}

static void need_weights(lua_State *L, const l_linear *m)
{
    if (!m->w)
        lerror(L, "the model has no weights yet (call fit or set_weights)");
}

/* m:predict(X) -> Vector of decision values w . x */
static int linear_predict(lua_State *L)
{
    l_linear *m = check_linear(L, 1);
    sfl_array *X = check_matrix_any(L, 2);
    need_weights(L, m);
    sfl_array *out = sfl_vector_new(L, X->rows);
    if (X->fdata ? sf_svr_predict_f32(X->fdata, X->rows, X->cols, m->w, m->nw,
                                      m->bias, out->data)
                 : sf_svr_predict(X->data, X->rows, X->cols, m->w, m->nw,
                                  m->bias, out->data))
        return sfl_core_error(L);
    return 1;
}

/* m:classify(X) -> Vector of +1 / -1 */
static int linear_classify(lua_State *L)
{
    linear_predict(L);
    sfl_array *out = sfl_check_vector(L, -1);
    for (size_t i = 0; i < out->rows; i++)
        out->data[i] = out->data[i] > 0 ? 1.0 : -1.0;
    return 1;
}

static int linear_weights(lua_State *L)
{
    l_linear *m = check_linear(L, 1);
    need_weights(L, m);
    sfl_array *v = sfl_vector_new(L, m->nw);
    memcpy(v->data, m->w, m->nw * sizeof *m->w);
    return 1;
}

static int linear_set_weights(lua_State *L)
{
    lua_settop(L, 2); /* fixed argument slots; pushes go above */
    l_linear *m = check_linear(L, 1);
    sfl_array *v = vec_arg(L, 2);
    if (v->rows == 0)
        return lerror(L, "empty weight vector");
    for (size_t i = 0; i < v->rows; i++)
        if (!isfinite(v->data[i]))
            return lerror(L, "weight %zu is not finite", i + 1);
    double *w = malloc(v->rows * sizeof *w);
    if (!w)
        return lerror(L, "out of memory");
    memcpy(w, v->data, v->rows * sizeof *w);
    free(m->w);
    m->w = w;
    m->nw = v->rows;
    lua_settop(L, 1);
    return 1;
}

/* m:cross_validate(X | Problem, y [, {k=5, seed=1, rows=...}]) -> Vector */
static int linear_cross_validate(lua_State *L)
{
    lua_settop(L, 4); /* fixed argument slots; pushes go above */
    l_linear *m = check_linear(L, 1);
    l_problem *p = data_arg(L, 2, m);
    size_t rows = sf_svr_data_rows(p->d);
    const double *y = labels_arg(L, 3, rows);
    int k = 5;
    double seed = 1;
    size_t n = rows, *sel = NULL;
    if (lua_istable(L, 4)) {
        double kk = opt_field_number(L, 4, "k", 5);
        if (!(kk >= 2 && kk == floor(kk) && kk < 1e6))
            return lerror(L, "option 'k' must be an integer >= 2");
        k = (int)kk;
        seed = opt_field_number(L, 4, "seed", 1);
        if (!(seed >= 0 && seed == floor(seed)))
            return lerror(L, "option 'seed' must be a non-negative integer");
        if (lua_getfield(L, 4, "rows") != LUA_TNIL) {
            int at = lua_gettop(L);
            sel = rows_arg(L, at, rows, &n);
        }
    }
    sfl_array *out = sfl_vector_new(L, n);
    if (sf_svr_cross_validate(p->d, y, sel, n, k, (uint64_t)seed, &m->p,
                              out->data))
        return sfl_core_error(L);
    return 1;
}

static int linear_params(lua_State *L)
{
    l_linear *m = check_linear(L, 1);
    int svc = sf_svr_solver_is_svc(m->p.solver);
    lua_createtable(L, 0, 8);
    lua_pushstring(L, svc ? "svc" : "svr");
    lua_setfield(L, -2, "type");
    lua_pushstring(L, sf_svr_solver_name(m->p.solver));
    lua_setfield(L, -2, "solver");
    lua_pushnumber(L, m->p.C);
    lua_setfield(L, -2, "C");
    if (!svc) {
        lua_pushnumber(L, m->p.p);
        lua_setfield(L, -2, "epsilon");
    }
    lua_pushnumber(L, m->p.tol > 0 ? m->p.tol : sf_svr_default_tol(m->p.solver));
    lua_setfield(L, -2, "tol");
    lua_pushnumber(L, m->bias);
    lua_setfield(L, -2, "bias");
    lua_pushinteger(L, (lua_Integer)m->p.seed);
    lua_setfield(L, -2, "seed");
    lua_pushboolean(L, m->p.verbose);
    lua_setfield(L, -2, "verbose");
    return 1;
}

static int linear_tostring(lua_State *L)
{
    l_linear *m = check_linear(L, 1);
    char buf[256];
    int svc = sf_svr_solver_is_svc(m->p.solver);
    if (svc)
        snprintf(buf, sizeof buf, "LinearModel(%s, C=%g, %zu weights)",
                 sf_svr_solver_name(m->p.solver), m->p.C, m->nw);
    else
        snprintf(buf, sizeof buf,
                 "LinearModel(%s, C=%g, epsilon=%g, %zu weights)",
                 sf_svr_solver_name(m->p.solver), m->p.C, m->p.p, m->nw);
    lua_pushstring(L, buf);
    return 1;
}

/* ---- statistics (sflex.stats) ----------------------------------------------------- */

static void two_vectors(lua_State *L, sfl_array **x, sfl_array **y)
{
    *x = vec_arg(L, 1);
    *y = vec_arg(L, 2);
    if ((*x)->rows != (*y)->rows)
        lerror(L, "vectors of different lengths (%zu and %zu)",
                   (*x)->rows, (*y)->rows);
}

static int st_pearson(lua_State *L)
{
    lua_settop(L, 2); /* fixed argument slots; pushes go above */
    sfl_array *x, *y;
    two_vectors(L, &x, &y);
    lua_pushnumber(L, sf_stats_pearson(x->data, y->data, x->rows));
    return 1;
}

static int st_spearman(lua_State *L)
{
    lua_settop(L, 2); /* fixed argument slots; pushes go above */
    sfl_array *x, *y;
    two_vectors(L, &x, &y);
    double rho;
    if (sf_stats_spearman(x->data, y->data, x->rows, &rho))
        return sfl_core_error(L);
    lua_pushnumber(L, rho);
    return 1;
}

static int st_rmse(lua_State *L)
{
    lua_settop(L, 2); /* fixed argument slots; pushes go above */
    sfl_array *x, *y;
    two_vectors(L, &x, &y);
    lua_pushnumber(L, sf_stats_rmse(x->data, y->data, x->rows));
    return 1;
}

static int st_mae(lua_State *L)
{
    lua_settop(L, 2); /* fixed argument slots; pushes go above */
    sfl_array *x, *y;
    two_vectors(L, &x, &y);
    lua_pushnumber(L, sf_stats_mae(x->data, y->data, x->rows));
    return 1;
}

static int st_rank(lua_State *L)
{
    sfl_array *x = vec_arg(L, 1);
    sfl_array *r = sfl_vector_new(L, x->rows);
    if (sf_stats_rank(x->data, x->rows, r->data))
        return sfl_core_error(L);
    return 1;
}

static void set_num(lua_State *L, const char *k, double v)
{
    lua_pushnumber(L, v);
    lua_setfield(L, -2, k);
}

static void set_int(lua_State *L, const char *k, size_t v)
{
    lua_pushinteger(L, (lua_Integer)v);
    lua_setfield(L, -2, k);
}

static int st_confusion(lua_State *L)
{
    lua_settop(L, 2); /* fixed argument slots; pushes go above */
    sfl_array *t, *p;
    two_vectors(L, &t, &p);
    sf_stats_confusion c;
    sf_stats_confusion_count(t->data, p->data, t->rows, &c);
    lua_createtable(L, 0, 9);
    set_int(L, "tp", c.tp);
    set_int(L, "fp", c.fp);
    set_int(L, "tn", c.tn);
    set_int(L, "fn", c.fn);
    set_int(L, "n", t->rows);
    set_num(L, "accuracy", sf_stats_accuracy(&c));
    set_num(L, "precision", sf_stats_precision(&c));
    set_num(L, "recall", sf_stats_recall(&c));
    set_num(L, "mcc", sf_stats_mcc(&c));
    return 1;
}

static int st_auc(lua_State *L)
{
    lua_settop(L, 2); /* fixed argument slots; pushes go above */
    sfl_array *t, *sc;
    two_vectors(L, &t, &sc);
    double auc;
    if (sf_stats_auc(t->data, sc->data, t->rows, &auc))
        return sfl_core_error(L);
    lua_pushnumber(L, auc);
    return 1;
}

static int st_quantile(lua_State *L)
{
    lua_settop(L, 2); /* fixed argument slots; pushes go above */
    sfl_array *x = vec_arg(L, 1);
    if (lua_istable(L, 2)) {
        size_t n = lua_rawlen(L, 2);
        lua_createtable(L, (int)n, 0);
        for (size_t i = 1; i <= n; i++) {
            lua_rawgeti(L, 2, (lua_Integer)i);
            double q = luaL_checknumber(L, -1), v;
            lua_pop(L, 1);
            if (sf_stats_quantile(x->data, x->rows, q, &v))
                return sfl_core_error(L);
            lua_pushnumber(L, v);
            lua_rawseti(L, -2, (lua_Integer)i);
        }
        return 1;
    }
    double v;
    if (sf_stats_quantile(x->data, x->rows, luaL_checknumber(L, 2), &v))
        return sfl_core_error(L);
    lua_pushnumber(L, v);
    return 1;
}

/* stats.quantile_groups(x, ngroups) -> group (1-based), means, counts */
static int st_quantile_groups(lua_State *L)
{
    lua_settop(L, 2); /* fixed argument slots; pushes go above */
    sfl_array *x = vec_arg(L, 1);
    lua_Integer ng = luaL_checkinteger(L, 2);
    luaL_argcheck(L, ng >= 1 && ng <= 1000000, 2, "number of groups");
    size_t n = x->rows;
    int *g = lua_newuserdatauv(L, (n ? n : 1) * sizeof *g, 0);
    size_t *cnt = lua_newuserdatauv(L, (size_t)ng * sizeof *cnt, 0);
    sfl_array *group = sfl_vector_new(L, n);
    sfl_array *mean = sfl_vector_new(L, (size_t)ng);
    sfl_array *count = sfl_vector_new(L, (size_t)ng);
    if (sf_stats_quantile_groups(x->data, n, (size_t)ng, g, mean->data, cnt))
        return sfl_core_error(L);
    for (size_t i = 0; i < n; i++)
        group->data[i] = g[i] + 1;
    for (lua_Integer k = 0; k < ng; k++)
        count->data[k] = (double)cnt[k];
    return 3;
}

/* stats.group_means(values, group (1-based), ngroups) -> means, counts */
static int st_group_means(lua_State *L)
{
    lua_settop(L, 3); /* fixed argument slots; pushes go above */
    sfl_array *v = vec_arg(L, 1);
    sfl_array *gv = vec_arg(L, 2);
    lua_Integer ng = luaL_checkinteger(L, 3);
    luaL_argcheck(L, ng >= 1 && ng <= 100000000, 3, "number of groups");
    if (v->rows != gv->rows)
        return lerror(L, "%zu values for %zu group indices", v->rows,
                          gv->rows);
    size_t n = v->rows;
    int *g = lua_newuserdatauv(L, (n ? n : 1) * sizeof *g, 0);
    size_t *cnt = lua_newuserdatauv(L, (size_t)ng * sizeof *cnt, 0);
    for (size_t i = 0; i < n; i++) {
        double d = gv->data[i];
        g[i] = (d >= 1 && d <= (double)ng && d == floor(d)) ? (int)d - 1 : -1;
    }
    sfl_array *mean = sfl_vector_new(L, (size_t)ng);
    sfl_array *count = sfl_vector_new(L, (size_t)ng);
    sf_stats_group_means(v->data, g, n, (size_t)ng, mean->data, cnt);
    for (lua_Integer k = 0; k < ng; k++)
        count->data[k] = (double)cnt[k];
    return 2;
}

static void range_opts(lua_State *L, int t, const char *lo_k, const char *hi_k,
                       const char *n_k, const sfl_array *x, double *lo,
                       double *hi, size_t *nb)
{
    double mn = INFINITY, mx = -INFINITY;
    for (size_t i = 0; i < x->rows; i++)
        if (isfinite(x->data[i])) {
            mn = fmin(mn, x->data[i]);
            mx = fmax(mx, x->data[i]);
        }
    if (!(mx >= mn)) /* no finite value */
        mn = 0, mx = 1;
    if (mx == mn)
        mx = mn + 1;
    *lo = t ? opt_field_number(L, t, lo_k, mn) : mn;
    *hi = t ? opt_field_number(L, t, hi_k, mx) : mx;
    double b = t ? opt_field_number(L, t, n_k, 50) : 50;
    if (!(b >= 1 && b <= 1e7 && b == floor(b)))
        lerror(L, "option '%s' must be a positive integer", n_k);
    *nb = (size_t)b;
}

static sfl_array *centres(lua_State *L, double lo, double hi, size_t nb)
{
    sfl_array *c = sfl_vector_new(L, nb);
    for (size_t i = 0; i < nb; i++)
        c->data[i] = lo + (hi - lo) * ((double)i + 0.5) / (double)nb;
    return c;
}

/* stats.hist(x [, {lo, hi, bins}]) -> counts, bin centres */
static int st_hist(lua_State *L)
{
    lua_settop(L, 2); /* fixed argument slots; pushes go above */
    sfl_array *x = vec_arg(L, 1);
    int t = lua_istable(L, 2) ? 2 : 0;
    double lo, hi;
    size_t nb;
    range_opts(L, t, "lo", "hi", "bins", x, &lo, &hi, &nb);
    sfl_array *c = sfl_vector_new(L, nb);
    if (sf_stats_hist(x->data, x->rows, lo, hi, nb, c->data) == (size_t)-1)
        return sfl_core_error(L);
    centres(L, lo, hi, nb);
    return 2;
}

/* stats.hist2d(x, y [, {xlo, xhi, nx, ylo, yhi, ny}]) -> Matrix nx x ny,
 * x centres, y centres */
static int st_hist2d(lua_State *L)
{
    lua_settop(L, 3); /* fixed argument slots; pushes go above */
    sfl_array *x, *y;
    two_vectors(L, &x, &y);
    int t = lua_istable(L, 3) ? 3 : 0;
    double xlo, xhi, ylo, yhi;
    size_t nx, ny;
    range_opts(L, t, "xlo", "xhi", "nx", x, &xlo, &xhi, &nx);
    range_opts(L, t, "ylo", "yhi", "ny", y, &ylo, &yhi, &ny);
    sfl_array *h = sfl_matrix_new(L, nx, ny);
    if (sf_stats_hist2d(x->data, y->data, x->rows, xlo, xhi, nx, ylo, yhi, ny,
                        h->data) == (size_t)-1)
        return sfl_core_error(L);
    centres(L, xlo, xhi, nx);
    centres(L, ylo, yhi, ny);
    return 3;
}

static uint64_t seed_arg(lua_State *L, int idx)
{
    lua_Integer s = luaL_optinteger(L, idx, 1);
    luaL_argcheck(L, s >= 0, idx, "seed must be >= 0");
    return (uint64_t)s;
}

static size_t count_arg(lua_State *L, int idx)
{
    lua_Integer n = luaL_checkinteger(L, idx);
    luaL_argcheck(L, n >= 0, idx, "count must be >= 0");
    return (size_t)n;
}

static int st_permutation(lua_State *L)
{
    size_t n = count_arg(L, 1);
    uint64_t seed = seed_arg(L, 2);
    size_t *perm = lua_newuserdatauv(L, (n ? n : 1) * sizeof *perm, 0);
    sf_stats_permutation(n, seed, perm);
    sfl_array *v = sfl_vector_new(L, n);
    for (size_t i = 0; i < n; i++)
        v->data[i] = (double)(perm[i] + 1);
    return 1;
}

/* stats.split(n, frac, seed) -> train indices, test indices (1-based,
 * ascending) */
static int st_split(lua_State *L)
{
    size_t n = count_arg(L, 1);
    double frac = luaL_checknumber(L, 2);
    uint64_t seed = seed_arg(L, 3);
    unsigned char *tr = lua_newuserdatauv(L, n ? n : 1, 0);
    if (sf_stats_split(n, frac, seed, tr))
        return sfl_core_error(L);
    size_t ntr = 0;
    for (size_t i = 0; i < n; i++)
        ntr += tr[i];
    sfl_array *a = sfl_vector_new(L, ntr);
    sfl_array *b = sfl_vector_new(L, n - ntr);
    size_t ia = 0, ib = 0;
    for (size_t i = 0; i < n; i++) {
        if (tr[i])
            a->data[ia++] = (double)(i + 1);
        else
            b->data[ib++] = (double)(i + 1);
    }
    return 2;
}

static int st_kfold(lua_State *L)
{
    size_t n = count_arg(L, 1);
    lua_Integer k = luaL_checkinteger(L, 2);
    luaL_argcheck(L, k >= 2 && k <= 1000000, 2, "k must be >= 2");
    uint64_t seed = seed_arg(L, 3);
    int *f = lua_newuserdatauv(L, (n ? n : 1) * sizeof *f, 0);
    if (sf_stats_kfold(n, (int)k, seed, f))
        return sfl_core_error(L);
    sfl_array *v = sfl_vector_new(L, n);
    for (size_t i = 0; i < n; i++)
        v->data[i] = f[i] + 1;
    return 1;
}

/* ---- SHA-256 ----------------------------------------------------------------------- */

static int l_sha256(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    char hex[65];
    sf_sha256_hex(s, n, hex);
    lua_pushstring(L, hex);
    return 1;
}

static int l_sha256_file(lua_State *L)
{
    char hex[65];
    if (sf_sha256_file(luaL_checkstring(L, 1), hex)) {
        lua_pushnil(L);
        lua_pushstring(L, sf_error_message());
        return 2;
    }
    lua_pushstring(L, hex);
    return 1;
}

/* ---- raw model files (used by lua/sflex/learn.lua) -----------------------------------
 * raw = {header = {{key, value, line}, ...},
 *        centres = {{name = , line = , entries = {{key, value, line}...},
 *                    weights = Vector}, ...}} */

static void push_entries(lua_State *L, const sf_model *m, const char *centre)
{
    size_t n = sf_model_nkeys(m, centre);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        const char *k = sf_model_key(m, centre, i);
        lua_createtable(L, 3, 0);
        lua_pushstring(L, k);
        lua_rawseti(L, -2, 1);
        lua_pushstring(L, sf_model_get(m, centre, k));
        lua_rawseti(L, -2, 2);
        lua_pushinteger(L, sf_model_line(m, centre, k));
        lua_rawseti(L, -2, 3);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

static int push_raw(lua_State *L, sf_model *m)
{
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, SF_MODEL_VERSION);
    lua_setfield(L, -2, "version");
    push_entries(L, m, NULL);
    lua_setfield(L, -2, "header");
    size_t nc = sf_model_ncentres(m);
    lua_createtable(L, (int)nc, 0);
    for (size_t i = 0; i < nc; i++) {
        const char *c = sf_model_centre(m, i);
        lua_createtable(L, 0, 4);
        lua_pushstring(L, c);
        lua_setfield(L, -2, "name");
        lua_pushinteger(L, sf_model_centre_line(m, c));
        lua_setfield(L, -2, "line");
        push_entries(L, m, c);
        lua_setfield(L, -2, "entries");
        size_t nw;
        const double *w = sf_model_weights(m, c, &nw);
        sfl_array *v = sfl_vector_new(L, nw);
        memcpy(v->data, w, nw * sizeof *w);
        lua_setfield(L, -2, "weights");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "centres");
    sf_model_free(m);
    return 1;
}

static int l_model_read(lua_State *L)
{
    sf_model *m = sf_model_read(luaL_checkstring(L, 1));
    if (!m)
        return sfl_core_error(L);
    return push_raw(L, m);
}

static int l_model_parse(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    sf_model *m = sf_model_parse(s, n, luaL_optstring(L, 2, "model"));
    if (!m)
        return sfl_core_error(L);
    return push_raw(L, m);
}

/* model from raw at idx; the sf_model is owned by a userdata slot so a Lua
 * error cannot leak it */
typedef struct model_box {
    sf_model *m;
} model_box;

static int model_box_gc(lua_State *L)
{
    model_box *b = lua_touserdata(L, 1);
    sf_model_free(b->m);
    b->m = NULL;
    return 0;
}

static int set_entries(lua_State *L, sf_model *m, const char *centre, int t)
{
    size_t n = lua_rawlen(L, t);
    for (size_t i = 1; i <= n; i++) {
        lua_rawgeti(L, t, (lua_Integer)i);
        luaL_checktype(L, -1, LUA_TTABLE);
        lua_rawgeti(L, -1, 1);
        lua_rawgeti(L, -2, 2);
        const char *k = lua_tostring(L, -2), *v = lua_tostring(L, -1);
        if (!k || !v)
            return lerror(L, "model entry %zu%s%s: expected {key, value} "
                              "strings", i, centre ? " of centre " : "",
                              centre ? centre : "");
        if (sf_model_set(m, centre, k, v))
            return sfl_core_error(L);
        lua_pop(L, 3);
    }
    return 0;
}

static sf_model *raw_to_model(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    luaL_checktype(L, idx, LUA_TTABLE);
    model_box *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->m = NULL;
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, model_box_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    b->m = sf_model_new();
    if (!b->m)
        sfl_core_error(L);
    if (lua_getfield(L, idx, "header") == LUA_TTABLE)
        set_entries(L, b->m, NULL, lua_gettop(L));
    lua_pop(L, 1);
    if (lua_getfield(L, idx, "centres") != LUA_TTABLE)
        lerror(L, "model: 'centres' must be a list of sections");
    int ct = lua_gettop(L);
    size_t nc = lua_rawlen(L, ct);
    for (size_t i = 1; i <= nc; i++) {
        lua_rawgeti(L, ct, (lua_Integer)i);
        int s = lua_gettop(L);
        lua_getfield(L, s, "name");
        const char *name = lua_tostring(L, -1);
        if (!name)
            lerror(L, "model: centre %zu has no name", i);
        if (sf_model_add_centre(b->m, name))
            sfl_core_error(L);
        if (lua_getfield(L, s, "entries") == LUA_TTABLE)
            set_entries(L, b->m, name, lua_gettop(L));
        lua_pop(L, 1);
        lua_getfield(L, s, "weights");
        int pushed;
        sfl_array *w = sfl_opt_vector_arg(L, lua_gettop(L), &pushed);
        if (sf_model_set_weights(b->m, name, w->data, w->rows))
            sfl_core_error(L);
        lua_settop(L, ct);
    }
    lua_pop(L, 1); /* centres; the box stays on the stack */
    return b->m;
}

static int l_model_write(lua_State *L)
{
    lua_settop(L, 2); /* fixed argument slots; pushes go above */
    const char *path = luaL_checkstring(L, 1);
    sf_model *m = raw_to_model(L, 2);
    if (sf_model_write(m, path))
        return sfl_core_error(L);
    return 0;
}

static int l_model_format(lua_State *L)
{
    sf_model *m = raw_to_model(L, 1);
    size_t n;
    char *s = sf_model_format(m, &n);
    if (!s)
        return sfl_core_error(L);
    lua_pushlstring(L, s, n);
    free(s);
    return 1;
}

/* _learn_stack({X1, X2, ...} [, {mask1, mask2, ...}]) -> Matrix: the rows
 * of every matrix (those with a non-zero mask entry) in order, one copy. */
static int l_learn_stack(lua_State *L)
{
    lua_settop(L, 2); /* fixed argument slots; pushes go above */
    luaL_checktype(L, 1, LUA_TTABLE);
    int masks = lua_istable(L, 2);
    size_t nb = lua_rawlen(L, 1), rows = 0, cols = 0;
    int f32 = 0;
    if (nb == 0)
        return lerror(L, "nothing to stack");
    for (size_t b = 1; b <= nb; b++) {
        lua_rawgeti(L, 1, (lua_Integer)b);
        sfl_array *X = sfl_test_array_any(L, -1);
        if (!X)
            return lerror(L, "block %zu is not a Vector or Matrix", b);
        if (b == 1) {
            cols = X->cols;
            f32 = X->fdata != NULL;
        } else if (X->cols != cols)
            return lerror(L, "block %zu has %zu columns, block 1 has %zu",
                              b, X->cols, cols);
        else if ((X->fdata != NULL) != f32)
            return lerror(L, "block %zu is %s, block 1 %s (convert with "
                             "x:double() or x:float())", b,
                          f32 ? "double" : "float32", f32 ? "float32" : "double");
        if (masks) {
            lua_rawgeti(L, 2, (lua_Integer)b);
            sfl_array *mk = sfl_test_array(L, -1);
            if (!mk || mk->rows != X->rows)
                return lerror(L, "mask %zu missing or of the wrong length",
                                  b);
            for (size_t i = 0; i < mk->rows; i++)
                rows += mk->data[i] != 0;
            lua_pop(L, 1);
        } else
            rows += X->rows;
        lua_pop(L, 1);
    }
    lua_rawgeti(L, 1, 1);
    int vector = luaL_testudata(L, -1, SFL_VECTOR) != NULL;
    lua_pop(L, 1);
    if (vector && f32)
        return lerror(L, "float32 Vector blocks: convert with x:double()");
    sfl_array *out = vector ? sfl_vector_new(L, rows)
                     : f32  ? sfl_matrix_new_f32(L, rows, cols)
                            : sfl_matrix_new(L, rows, cols);
    size_t es = f32 ? sizeof(float) : sizeof(double);
    char *dst = f32 ? (char *)out->fdata : (char *)out->data;
    size_t r = 0;
    for (size_t b = 1; b <= nb; b++) {
        lua_rawgeti(L, 1, (lua_Integer)b);
        sfl_array *X = sfl_test_array_any(L, -1);
        const char *src = f32 ? (const char *)X->fdata : (const char *)X->data;
        sfl_array *mk = NULL;
        if (masks) {
            lua_rawgeti(L, 2, (lua_Integer)b);
            mk = sfl_test_array(L, -1);
            lua_pop(L, 1);
        }
        for (size_t i = 0; i < X->rows; i++)
            if (!mk || mk->data[i] != 0)
                memcpy(dst + cols * es * r++, src + cols * es * i, cols * es);
        lua_pop(L, 1);
    }
    return 1;
}

/* _learn_apply(X, types, {[type] = k}, {w1, w2, ...}) -> Vector: row i
 * gets w_k . X[i] where k = map[types[i]], NaN where the type is unmapped.
 * One pass over X whatever the number of species. */
static int l_learn_apply(lua_State *L)
{
    lua_settop(L, 4); /* fixed argument slots; pushes go above */
    sfl_array *X = check_matrix_any(L, 1);
    sfl_array *t = vec_arg(L, 2);
    luaL_checktype(L, 3, LUA_TTABLE);
    luaL_checktype(L, 4, LUA_TTABLE);
    if (t->rows != X->rows)
        return lerror(L, "%zu types for %zu descriptor rows", t->rows,
                          X->rows);
    size_t nw = lua_rawlen(L, 4);
    const double **w = lua_newuserdatauv(L, (nw ? nw : 1) * sizeof *w, 0);
    for (size_t k = 1; k <= nw; k++) {
        lua_rawgeti(L, 4, (lua_Integer)k);
        sfl_array *v = sfl_test_double(L, -1, SFL_VECTOR);
        if (!v)
            return lerror(L, "weights %zu are not a Vector", k);
        if (v->rows != X->cols)
            return lerror(L, "weights %zu: %zu values for %zu descriptor "
                              "columns", k, v->rows, X->cols);
        w[k - 1] = v->data; /* kept alive by the table at arg 4 */
        lua_pop(L, 1);
    }
    /* type -> weight index, for types 1..maxtype */
    int maxtype = 0;
    for (size_t i = 0; i < t->rows; i++)
        if (t->data[i] > maxtype && t->data[i] < 1e6)
            maxtype = (int)t->data[i];
    int *map = lua_newuserdatauv(L, ((size_t)maxtype + 1) * sizeof *map, 0);
    for (int ty = 0; ty <= maxtype; ty++) {
        lua_rawgeti(L, 3, ty);
        lua_Integer k = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : 0;
        map[ty] = (k >= 1 && (size_t)k <= nw) ? (int)k : 0;
        lua_pop(L, 1);
    }
    sfl_array *out = sfl_vector_new(L, X->rows);
    for (size_t i = 0; i < X->rows; i++) {
        double ty = t->data[i];
        int k = (ty >= 0 && ty <= maxtype && ty == floor(ty)) ? map[(int)ty] : 0;
        if (!k) {
            out->data[i] = NAN;
            continue;
        }
        const double *wk = w[k - 1];
        double s = 0.0;
        if (X->fdata) {
            const float *row = X->fdata + i * X->cols;
            for (size_t j = 0; j < X->cols; j++)
                s += wk[j] * (double)row[j];
        } else {
            const double *row = X->data + i * X->cols;
            for (size_t j = 0; j < X->cols; j++)
                s += wk[j] * row[j];
        }
        out->data[i] = s;
    }
    return 1;
}

/* _learn_rdf(atoms, rmax, dr [, centres mask]) -> r (Vector), g (Matrix
 * nbins x ntypes^2, column (a-1)*ntypes + b = g_ab with centres of type a),
 * centres per type (table).  The partial g(r) of a chosen group of centre
 * atoms (src/core/sf_rdf.h), for r_p and Fig. 1. */
static int l_learn_rdf(lua_State *L)
{
    lua_settop(L, 4);
    sf_atoms *a = sfl_check_atoms(L, 1);
    double rmax = luaL_checknumber(L, 2), dr = luaL_checknumber(L, 3);
    unsigned char *c = NULL;
    if (!lua_isnil(L, 4)) {
        sfl_array *m = vec_arg(L, 4);
        if (m->rows != a->n)
            return lerror(L, "centre mask has %zu entries for %zu atoms",
                          m->rows, a->n);
        c = lua_newuserdatauv(L, a->n ? a->n : 1, 0);
        for (size_t i = 0; i < a->n; i++)
            c[i] = m->data[i] != 0;
    }
    sf_rdf *r = sf_rdf_compute(a, rmax, dr, c);
    if (!r)
        return sfl_core_error(L);
    size_t nt = (size_t)r->ntypes, nb = r->nbins;
    sfl_array *rv = sfl_vector_new(L, nb);
    memcpy(rv->data, r->r, nb * sizeof(double));
    sfl_array *g = sfl_matrix_new(L, nb, nt * nt);
    for (size_t p = 0; p < nt * nt; p++)
        for (size_t k = 0; k < nb; k++)
            g->data[k * nt * nt + p] = r->g[p * nb + k];
    lua_createtable(L, (int)nt, 0);
    for (size_t t = 0; t < nt; t++) {
        lua_pushinteger(L, (lua_Integer)r->centres[t]);
        lua_rawseti(L, -2, (lua_Integer)t + 1);
    }
    sf_rdf_free(r);
    return 3;
}

/* _learn_first_peak(r, g) -> rpeak, gpeak | nil, message */
static int l_learn_first_peak(lua_State *L)
{
    lua_settop(L, 2);
    sfl_array *r = vec_arg(L, 1), *g = vec_arg(L, 2);
    if (r->rows != g->rows)
        return lerror(L, "first peak: %zu r values for %zu g values", r->rows,
                      g->rows);
    sf_peak_opts o;
    sf_peak_opts_init(&o);
    double rp, gp;
    if (sf_peak_first(r->data, g->data, r->rows, &o, &rp, &gp, NULL)) {
        lua_pushnil(L);
        lua_pushstring(L, sf_error_message());
        return 2;
    }
    lua_pushnumber(L, rp);
    lua_pushnumber(L, gp);
    return 2;
}

/* ---- registration ---------------------------------------------------------------------- */

static const luaL_Reg linear_methods[] = {
    {"fit", linear_fit},
    {"predict", linear_predict},
    {"classify", linear_classify},
    {"weights", linear_weights},
    {"set_weights", linear_set_weights},
    {"cross_validate", linear_cross_validate},
    {"params", linear_params},
    {NULL, NULL},
};

static const char *const linear_docs[] = {
    "m:fit(X | Problem, y [, rows]) -> m\n"
    "Train on the rows of X (Matrix, one sample per row) with labels y (Vector, one\n"
    "per row of X); rows (Vector/table of 1-based row indices) selects a subset\n"
    "without copying X.  Deterministic: srand(seed) precedes LIBLINEAR's solver.",
    "m:predict(X) -> Vector\nDecision values w . x for every row of X (regression: the prediction).",
    "m:classify(X) -> Vector\n+1 / -1 for every row of X (sign of w . x).",
    "m:weights() -> Vector\nA copy of the weight vector (one per feature, plus the bias weight last\n"
    "when the model was made with bias > 0).",
    "m:set_weights(w) -> m\nUse the given weights (Vector or table), e.g. from a saved model.",
    "m:cross_validate(X | Problem, y [, {k = 5, seed = 1, rows = ...}]) -> Vector\n"
    "k-fold cross-validation over the rows (all, or the given 1-based rows): the\n"
    "out-of-fold prediction for each of them, in the same order.  Folds come from\n"
    "sflex.stats.kfold(n, k, seed) (SplitMix64), so they are the same everywhere.",
    "m:params() -> table\n{type, solver, C, epsilon, tol, bias, seed, verbose}.",
    NULL,
};

static const luaL_Reg linear_meta[] = {
    {"__gc", linear_gc},
    {"__close", linear_gc},
    {"__tostring", linear_tostring},
    {NULL, NULL},
};

static const luaL_Reg problem_meta[] = {
    {"__gc", problem_gc},
    {"__close", problem_gc},
    {"__len", problem_len},
    {"__tostring", problem_tostring},
    {"__index", problem_index},
    {NULL, NULL},
};

static const luaL_Reg funcs[] = {
    {"svr", l_svr},
    {"svc", l_svc},
    {"problem", l_problem_new},
    {"sha256", l_sha256},
    {"sha256_file", l_sha256_file},
    {"_model_read", l_model_read},
    {"_model_parse", l_model_parse},
    {"_model_write", l_model_write},
    {"_model_format", l_model_format},
    {"_learn_stack", l_learn_stack},
    {"_learn_apply", l_learn_apply},
    {"_learn_rdf", l_learn_rdf},
    {"_learn_first_peak", l_learn_first_peak},
    {NULL, NULL},
};

static const char *const func_docs[] = {
    "sflex.svr{C = 1, epsilon = 0.1, solver = \"primal\"|\"dual\", tol, bias, seed = 1,\n"
    "          verbose = false} -> LinearModel\n"
    "L2-regularised L2-loss support vector regression (LIBLINEAR solvers 11 and 12):\n"
    "minimises 1/2 w.w + C sum max(0, |y - w.x| - epsilon)^2.  tol defaults to\n"
    "LIBLINEAR's (0.001 primal, 0.1 dual).  bias > 0 appends a constant feature;\n"
    "the default (none) suits descriptors that carry their own column of ones.\n"
    "verbose = true shows LIBLINEAR's progress on stderr.",
    "sflex.svc{C = 1, solver = \"primal\"|\"dual\", tol, bias, seed = 1, verbose = false}\n"
    "  -> LinearModel\n"
    "L2-regularised L2-loss support vector classification (LIBLINEAR solvers 2 and 1).\n"
    "Labels y > 0 are the positive class; m:classify(X) gives +1 / -1.",
    "sflex.problem(X [, {bias = b}]) -> Problem\n"
    "X (Matrix) converted once into LIBLINEAR's sparse rows.  Pass it to fit and\n"
    "cross_validate instead of X to train many models (grid searches, folds)\n"
    "without converting again.  Fields: rows, cols, bias, nonzeros.",
    "sflex.sha256(string) -> hex\nSHA-256 (FIPS 180-4) of a Lua string.",
    "sflex.sha256_file(path) -> hex | nil, message\nSHA-256 of a file's bytes, streamed.",
    "internal: read a model file into its raw table (see lua/sflex/learn.lua).",
    "internal: parse model text into its raw table.",
    "internal: write a raw model table to a file (temp + rename).",
    "internal: format a raw model table as text.",
    "internal: stack the (masked) rows of several matrices into one.",
    "internal: per-atom w_species . x for a descriptor Matrix.",
    "internal: partial g(r) of a group of centre atoms.",
    "internal: first peak of a sampled curve.",
    NULL,
};

static const luaL_Reg stats_funcs[] = {
    {"pearson", st_pearson},
    {"spearman", st_spearman},
    {"rmse", st_rmse},
    {"mae", st_mae},
    {"rank", st_rank},
    {"confusion", st_confusion},
    {"auc", st_auc},
    {"quantile", st_quantile},
    {"quantile_groups", st_quantile_groups},
    {"group_means", st_group_means},
    {"hist", st_hist},
    {"hist2d", st_hist2d},
    {"permutation", st_permutation},
    {"split", st_split},
    {"kfold", st_kfold},
    {NULL, NULL},
};

static const char *const stats_docs[] = {
    "stats.pearson(x, y) -> r\nPearson correlation (NaN if a variance is zero).",
    "stats.spearman(x, y) -> rho\nSpearman rank correlation; ties get average ranks.",
    "stats.rmse(x, y) -> number\nRoot-mean-square difference.",
    "stats.mae(x, y) -> number\nMean absolute difference.",
    "stats.rank(x) -> Vector\nRanks 1..n, ties averaged.",
    "stats.confusion(truth, pred) -> {tp, fp, tn, fn, n, accuracy, precision, recall, mcc}\n"
    "Positive class: value > 0 (labels +1/-1 or decision values).  MCC is 0 when a\n"
    "margin of the confusion matrix is empty.",
    "stats.auc(truth, score) -> number\n"
    "ROC AUC of score for the classes of truth (positive: value > 0): the chance\n"
    "that a positive outscores a negative, ties counting half (Mann-Whitney U).\n"
    "NaN when a class is empty.",
    "stats.quantile(x, q | {q1, q2, ...}) -> number | table\n"
    "Quantiles with linear interpolation (numpy's default, Hyndman-Fan type 7).",
    "stats.quantile_groups(x, n) -> group, means, counts\n"
    "Equal-count groups by value (n = 10: deciles, 40: 2.5 % groups); group[i] in\n"
    "1..n (1 = lowest), means/counts per group.  Ties are split by position.",
    "stats.group_means(values, group, n) -> means, counts\n"
    "Mean of values per group (group: 1-based indices; others ignored).",
    "stats.hist(x [, {lo, hi, bins = 50}]) -> counts, centres\n"
    "Histogram on [lo, hi] (default: data range); values outside are dropped.",
    "stats.hist2d(x, y [, {xlo, xhi, nx = 50, ylo, yhi, ny = 50}]) -> counts, xc, yc\n"
    "2-D histogram: counts is an nx x ny Matrix (row = x bin), xc/yc the bin centres.",
    "stats.permutation(n [, seed = 1]) -> Vector\n"
    "A seeded random permutation of 1..n (SplitMix64 + Fisher-Yates: identical on\n"
    "every platform).",
    "stats.split(n, frac [, seed = 1]) -> train, test\n"
    "1-based indices (ascending) of a seeded split with round(n*frac) training items.",
    "stats.kfold(n, k [, seed = 1]) -> Vector\nFold (1..k) of each item; fold sizes differ by at most one.",
    NULL,
};

void sfl_open_learn(lua_State *L)
{
    sfl_new_class(L, SFL_LINEAR, linear_methods, linear_docs, linear_meta,
                  "LinearModel: a LIBLINEAR linear model (SVR or SVC).  See "
                  "help(sflex.svr).");
    lua_pop(L, 1);
    luaL_newmetatable(L, SFL_PROBLEM);
    luaL_setfuncs(L, problem_meta, 0);
    sfl_doc(L, -1, "Problem: training data in LIBLINEAR form.  See "
                   "help(sflex.problem).");
    lua_pop(L, 1);
    sf_svr_set_log(log_to_stderr);

    sfl_register(L, funcs, func_docs);
    lua_pushinteger(L, liblinear_version);
    lua_setfield(L, -2, "liblinear_version");
    lua_newtable(L);
    sfl_register(L, stats_funcs, stats_docs);
    sfl_doc(L, -1, "sflex.stats: correlation (pearson, spearman), errors "
                   "(rmse, mae), classification scores (confusion), quantiles "
                   "and equal-count groups, histograms, seeded splits.");
    lua_setfield(L, -2, "stats");
}
