/* l_array.c - Vector and Matrix: big per-atom data kept in C.
 *
 * A Vector is an sfl_array with cols == 1; a Matrix is row-major.  Views
 * (rows of a matrix, positions of an Atoms object) share memory with their
 * parent, which is kept alive through the view's user value. */
#include "l_sflex.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sfl_array *push_array_t(lua_State *L, const char *tname, size_t rows,
                               size_t cols, int zero, int f32)
{
    size_t es = f32 ? sizeof(float) : sizeof(double);
    if (cols && rows > ((size_t)-1 / es) / cols)
        luaL_error(L, "array of %I x %I is too large", (lua_Integer)rows, (lua_Integer)cols);
    sfl_array *a = lua_newuserdatauv(L, sizeof *a, 1);
    a->rows = rows;
    a->cols = cols;
    a->owned = 1;
    a->colnames = NULL;
    a->data = NULL;
    a->fdata = NULL;
    luaL_setmetatable(L, tname);
    size_t count = rows * cols;
    void *p = zero ? calloc(count ? count : 1, es) : malloc(count ? count * es : 1);
    if (!p)
        luaL_error(L, "out of memory allocating %I x %I array", (lua_Integer)rows, (lua_Integer)cols);
    if (f32)
        a->fdata = p;
    else
        a->data = p;
    return a;
}

static sfl_array *push_array(lua_State *L, const char *tname, size_t rows,
                             size_t cols, int zero)
{
    return push_array_t(L, tname, rows, cols, zero, 0);
}

sfl_array *sfl_matrix_new_f32(lua_State *L, size_t rows, size_t cols)
{
    return push_array_t(L, SFL_MATRIX, rows, cols, 1, 1);
}

/* The float32 error for argument idx. */
static sfl_array *no_f32(lua_State *L, int idx, sfl_array *a)
{
    if (a && a->fdata)
        luaL_argerror(L, idx, "float32 array: this needs doubles (convert "
                              "with x:double())");
    return a;
}

sfl_array *sfl_vector_new(lua_State *L, size_t n)
{
    return push_array(L, SFL_VECTOR, n, 1, 1);
}

sfl_array *sfl_matrix_new(lua_State *L, size_t rows, size_t cols)
{
    return push_array(L, SFL_MATRIX, rows, cols, 1);
}

sfl_array *sfl_array_view(lua_State *L, const char *tname, size_t rows,
                          size_t cols, double *data, int parent)
{
    parent = lua_absindex(L, parent);
    sfl_array *a = lua_newuserdatauv(L, sizeof *a, 1);
    a->rows = rows;
    a->cols = cols;
    a->data = data;
    a->owned = 0;
    a->colnames = NULL;
    a->fdata = NULL;
    luaL_setmetatable(L, tname);
    lua_pushvalue(L, parent);
    lua_setiuservalue(L, -2, 1);
    return a;
}

sfl_array *sfl_check_vector(lua_State *L, int idx)
{
    return no_f32(L, idx, luaL_checkudata(L, idx, SFL_VECTOR));
}

sfl_array *sfl_check_matrix(lua_State *L, int idx)
{
    return no_f32(L, idx, luaL_checkudata(L, idx, SFL_MATRIX));
}

sfl_array *sfl_test_array_any(lua_State *L, int idx)
{
    sfl_array *a = luaL_testudata(L, idx, SFL_VECTOR);
    return a ? a : luaL_testudata(L, idx, SFL_MATRIX);
}

sfl_array *sfl_test_array(lua_State *L, int idx)
{
    return no_f32(L, idx, sfl_test_array_any(L, idx));
}

sfl_array *sfl_test_double(lua_State *L, int idx, const char *tname)
{
    return no_f32(L, idx, luaL_testudata(L, idx, tname));
}

static int is_f32(const sfl_array *a) { return a->fdata != NULL; }
static size_t esize(const sfl_array *a)
{
    return a->fdata ? sizeof(float) : sizeof(double);
}
/* Start of row i (element i of a Vector) as bytes. */
static char *row_ptr(const sfl_array *a, size_t i)
{
    return a->fdata ? (char *)(a->fdata + i * a->cols)
                    : (char *)(a->data + i * a->cols);
}
static void put(sfl_array *a, size_t k, double v)
{
    if (a->fdata)
        a->fdata[k] = (float)v;
    else
        a->data[k] = v;
}

static int is_vector(lua_State *L, int idx)
{
    return luaL_testudata(L, idx, SFL_VECTOR) != NULL;
}

/* A Vector from a Vector or a table of numbers (pushed when converted). */
sfl_array *sfl_opt_vector_arg(lua_State *L, int idx, int *pushed)
{
    *pushed = 0;
    sfl_array *a = sfl_test_double(L, idx, SFL_VECTOR);
    if (a)
        return a;
    luaL_checktype(L, idx, LUA_TTABLE);
    idx = lua_absindex(L, idx);
    size_t n = lua_rawlen(L, idx);
    a = sfl_vector_new(L, n);
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, idx, (lua_Integer)i + 1);
        int ok;
        a->data[i] = lua_tonumberx(L, -1, &ok);
        if (!ok)
            luaL_error(L, "element %I of the table is not a number", (lua_Integer)i + 1);
        lua_pop(L, 1);
    }
    *pushed = 1;
    return a;
}

/* A Vector or Matrix of doubles (float32: an error). */
static sfl_array *check_any(lua_State *L, int idx)
{
    sfl_array *a = sfl_test_array(L, idx);
    if (!a)
        luaL_typeerror(L, idx, "Vector or Matrix");
    return a;
}

/* A Vector or Matrix of either element type. */
static sfl_array *check_anyf(lua_State *L, int idx)
{
    sfl_array *a = sfl_test_array_any(L, idx);
    if (!a)
        luaL_typeerror(L, idx, "Vector or Matrix");
    return a;
}

static size_t len(const sfl_array *a) { return a->rows * a->cols; }

/* 1-based index argument -> 0-based, with range check; negative counts
 * from the end like string.sub. */
static size_t check_index(lua_State *L, int arg, size_t n)
{
    lua_Integer i = luaL_checkinteger(L, arg);
    if (i < 0)
        i += (lua_Integer)n + 1;
    if (i < 1 || (size_t)i > n)
        luaL_error(L, "index %d out of range 1..%d", (int)lua_tointeger(L, arg),
                   (int)n);
    return (size_t)i - 1;
}

/* ---- constructors ----------------------------------------------------------- */

static int l_vector(lua_State *L)
{
    if (lua_type(L, 1) == LUA_TNUMBER) {
        lua_Integer n = luaL_checkinteger(L, 1);
        luaL_argcheck(L, n >= 0, 1, "length must be >= 0");
        double v = luaL_optnumber(L, 2, 0.0);
        sfl_array *a = sfl_vector_new(L, (size_t)n);
        if (v != 0.0)
            for (size_t i = 0; i < a->rows; i++)
                a->data[i] = v;
        return 1;
    }
    if (lua_isnoneornil(L, 1)) {
        sfl_vector_new(L, 0);
        return 1;
    }
    sfl_array *src = sfl_test_array(L, 1);
    if (src) {
        sfl_array *a = sfl_vector_new(L, len(src));
        memcpy(a->data, src->data, len(src) * sizeof(double));
        return 1;
    }
    int pushed;
    sfl_opt_vector_arg(L, 1, &pushed);
    return 1;
}

static int l_matrix(lua_State *L)
{
    if (lua_type(L, 1) == LUA_TNUMBER) {
        lua_Integer r = luaL_checkinteger(L, 1), c = luaL_checkinteger(L, 2);
        luaL_argcheck(L, r >= 0, 1, "rows must be >= 0");
        luaL_argcheck(L, c >= 1, 2, "cols must be >= 1");
        double v = luaL_optnumber(L, 3, 0.0);
        sfl_array *a = sfl_matrix_new(L, (size_t)r, (size_t)c);
        if (v != 0.0)
            for (size_t i = 0; i < len(a); i++)
                a->data[i] = v;
        return 1;
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    size_t rows = lua_rawlen(L, 1), cols = 0;
    if (rows) {
        lua_rawgeti(L, 1, 1);
        luaL_argcheck(L, lua_istable(L, -1), 1, "expected a table of rows");
        cols = lua_rawlen(L, -1);
        lua_pop(L, 1);
    }
    luaL_argcheck(L, rows == 0 || cols > 0, 1, "rows must not be empty");
    sfl_array *a = sfl_matrix_new(L, rows, cols ? cols : 1);
    for (size_t i = 0; i < rows; i++) {
        lua_rawgeti(L, 1, (lua_Integer)i + 1);
        if (!lua_istable(L, -1) || lua_rawlen(L, -1) != cols)
            luaL_error(L, "row %I does not have %I numbers", (lua_Integer)i + 1, (lua_Integer)cols);
        for (size_t j = 0; j < cols; j++) {
            lua_rawgeti(L, -1, (lua_Integer)j + 1);
            int ok;
            a->data[i * cols + j] = lua_tonumberx(L, -1, &ok);
            if (!ok)
                luaL_error(L, "element (%I,%I) is not a number", (lua_Integer)i + 1, (lua_Integer)j + 1);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    return 1;
}

static int l_range(lua_State *L)
{
    double a = luaL_checknumber(L, 1), b = luaL_checknumber(L, 2);
    double h = luaL_optnumber(L, 3, 1.0);
    luaL_argcheck(L, h != 0 && isfinite(h), 3, "step must be non-zero");
    double cnt = floor((b - a) / h + 1e-9) + 1;
    if (cnt < 0)
        cnt = 0;
    sfl_array *v = sfl_vector_new(L, (size_t)cnt);
    for (size_t i = 0; i < v->rows; i++)
        v->data[i] = a + (double)i * h;
    return 1;
}

/* ---- metamethods -------------------------------------------------------------- */

static int l_gc(lua_State *L)
{
    sfl_array *a = check_anyf(L, 1);
    if (a->owned) {
        free(a->data);
        free(a->fdata);
    }
    a->data = NULL;
    a->fdata = NULL;
    a->rows = 0;
    if (a->colnames) {
        for (size_t j = 0; j < a->cols; j++)
            free(a->colnames[j]);
        free(a->colnames);
        a->colnames = NULL;
    }
    a->owned = 0;
    return 0;
}

static int l_len(lua_State *L)
{
    sfl_array *a = check_anyf(L, 1);
    lua_pushinteger(L, (lua_Integer)a->rows);
    return 1;
}

static int vec_index(lua_State *L)
{
    sfl_array *a = luaL_checkudata(L, 1, SFL_VECTOR);
    if (lua_type(L, 2) == LUA_TNUMBER) {
        size_t i = check_index(L, 2, a->rows);
        lua_pushnumber(L, sfl_at(a, i));
        return 1;
    }
    luaL_getmetafield(L, 1, "__methods");
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    return 1;
}

static int vec_newindex(lua_State *L)
{
    sfl_array *a = luaL_checkudata(L, 1, SFL_VECTOR);
    size_t i = check_index(L, 2, a->rows);
    put(a, i, luaL_checknumber(L, 3));
    return 0;
}

static int mat_index(lua_State *L)
{
    sfl_array *a = luaL_checkudata(L, 1, SFL_MATRIX);
    if (lua_type(L, 2) == LUA_TNUMBER) {
        size_t i = check_index(L, 2, a->rows);
        if (a->fdata) {
            sfl_array *v = sfl_array_view(L, SFL_VECTOR, a->cols, 1, NULL, 1);
            v->fdata = a->fdata + i * a->cols;
        } else
            sfl_array_view(L, SFL_VECTOR, a->cols, 1, a->data + i * a->cols, 1);
        return 1;
    }
    const char *k = lua_tostring(L, 2);
    if (k && strcmp(k, "rows") == 0) {
        lua_pushinteger(L, (lua_Integer)a->rows);
        return 1;
    }
    if (k && strcmp(k, "cols") == 0) {
        lua_pushinteger(L, (lua_Integer)a->cols);
        return 1;
    }
    luaL_getmetafield(L, 1, "__methods");
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    return 1;
}

static int mat_newindex(lua_State *L)
{
    return luaL_error(L, "assign matrix elements with m:set(i, j, value) or m[i][j] = value");
}

static int l_tostring(lua_State *L)
{
    sfl_array *a = check_anyf(L, 1);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    size_t n = len(a), show = n <= 6 ? n : 3;
    const char *f = is_f32(a) ? " float32" : "";
    if (is_vector(L, 1))
        lua_pushfstring(L, "Vector(n=%d%s: ", (int)a->rows, f);
    else
        lua_pushfstring(L, "Matrix(%dx%d%s: ", (int)a->rows, (int)a->cols, f);
    luaL_addvalue(&b);
    for (size_t i = 0; i < show; i++) {
        char num[64];
        snprintf(num, sizeof num, "%s%.6g", i ? " " : "", sfl_at(a, i));
        luaL_addstring(&b, num);
    }
    if (n > show) {
        char num[64];
        snprintf(num, sizeof num, " ... %.6g", sfl_at(a, n - 1));
        luaL_addstring(&b, num);
    }
    luaL_addstring(&b, ")");
    luaL_pushresult(&b);
    return 1;
}

/* Element-wise arithmetic: array op array (same shape) or array op number. */
typedef double (*binop)(double, double);
static double op_add(double a, double b) { return a + b; }
static double op_sub(double a, double b) { return a - b; }
static double op_mul(double a, double b) { return a * b; }
static double op_div(double a, double b) { return a / b; }
static double op_pow(double a, double b) { return pow(a, b); }

static int arith(lua_State *L, binop f)
{
    sfl_array *a = sfl_test_array(L, 1), *b = sfl_test_array(L, 2);
    sfl_array *proto = a ? a : b;
    const char *tname = (a ? is_vector(L, 1) : is_vector(L, 2)) ? SFL_VECTOR
                                                                : SFL_MATRIX;
    if (a && b && (a->rows != b->rows || a->cols != b->cols))
        return luaL_error(L, "shape mismatch: %dx%d vs %dx%d", (int)a->rows,
                          (int)a->cols, (int)b->rows, (int)b->cols);
    double x = a ? 0 : luaL_checknumber(L, 1), y = b ? 0 : luaL_checknumber(L, 2);
    sfl_array *r = push_array(L, tname, proto->rows, proto->cols, 0);
    size_t n = len(r);
    for (size_t i = 0; i < n; i++)
        r->data[i] = f(a ? a->data[i] : x, b ? b->data[i] : y);
    return 1;
}

static int l_add(lua_State *L) { return arith(L, op_add); }
static int l_sub(lua_State *L) { return arith(L, op_sub); }
static int l_mul(lua_State *L) { return arith(L, op_mul); }
static int l_div(lua_State *L) { return arith(L, op_div); }
static int l_pow(lua_State *L) { return arith(L, op_pow); }

static int l_unm(lua_State *L)
{
    sfl_array *a = check_any(L, 1);
    sfl_array *r = push_array(L, is_vector(L, 1) ? SFL_VECTOR : SFL_MATRIX,
                              a->rows, a->cols, 0);
    for (size_t i = 0; i < len(a); i++)
        r->data[i] = -a->data[i];
    return 1;
}

static int l_eq(lua_State *L)
{
    sfl_array *a = sfl_test_array_any(L, 1), *b = sfl_test_array_any(L, 2);
    int eq = a && b && a->rows == b->rows && a->cols == b->cols &&
             is_vector(L, 1) == is_vector(L, 2);
    for (size_t i = 0; eq && i < len(a); i++)
        eq = sfl_at(a, i) == sfl_at(b, i);
    lua_pushboolean(L, eq);
    return 1;
}

/* ---- element-wise functions and masks ----------------------------------------- */

typedef double (*unop)(double);
static int apply(lua_State *L, unop f)
{
    sfl_array *a = check_any(L, 1);
    sfl_array *r = push_array(L, is_vector(L, 1) ? SFL_VECTOR : SFL_MATRIX,
                              a->rows, a->cols, 0);
    for (size_t i = 0; i < len(a); i++)
        r->data[i] = f(a->data[i]);
    return 1;
}
static int m_log(lua_State *L) { return apply(L, log); }
static int m_exp(lua_State *L) { return apply(L, exp); }
static int m_sqrt(lua_State *L) { return apply(L, sqrt); }
static int m_abs(lua_State *L) { return apply(L, fabs); }

static int m_map(lua_State *L)
{
    sfl_array *a = check_any(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    sfl_array *r = push_array(L, is_vector(L, 1) ? SFL_VECTOR : SFL_MATRIX,
                              a->rows, a->cols, 0);
    for (size_t i = 0; i < len(a); i++) {
        lua_pushvalue(L, 2);
        lua_pushnumber(L, a->data[i]);
        lua_call(L, 1, 1);
        r->data[i] = luaL_checknumber(L, -1);
        lua_pop(L, 1);
    }
    return 1;
}

static int compare(lua_State *L, int op)
{
    sfl_array *a = sfl_check_vector(L, 1);
    sfl_array *b = sfl_test_array(L, 2);
    double y = b ? 0 : luaL_checknumber(L, 2);
    if (b && len(b) != a->rows)
        return luaL_error(L, "length mismatch: %d vs %d", (int)a->rows,
                          (int)len(b));
    sfl_array *r = sfl_vector_new(L, a->rows);
    for (size_t i = 0; i < a->rows; i++) {
        double x = a->data[i], z = b ? b->data[i] : y;
        int t = op == 0 ? x < z : op == 1 ? x <= z : op == 2 ? x > z
              : op == 3 ? x >= z : op == 4 ? x == z : x != z;
        r->data[i] = t;
    }
    return 1;
}
static int m_lt(lua_State *L) { return compare(L, 0); }
static int m_le(lua_State *L) { return compare(L, 1); }
static int m_gt(lua_State *L) { return compare(L, 2); }
static int m_ge(lua_State *L) { return compare(L, 3); }
static int m_eq(lua_State *L) { return compare(L, 4); }
static int m_ne(lua_State *L) { return compare(L, 5); }

static int logic(lua_State *L, int op)
{
    sfl_array *a = sfl_check_vector(L, 1);
    sfl_array *b = op == 2 ? NULL : sfl_check_vector(L, 2);
    if (b && b->rows != a->rows)
        return luaL_error(L, "length mismatch: %d vs %d", (int)a->rows,
                          (int)b->rows);
    sfl_array *r = sfl_vector_new(L, a->rows);
    for (size_t i = 0; i < a->rows; i++) {
        int x = a->data[i] != 0;
        r->data[i] = op == 0 ? (x && b->data[i] != 0)
                   : op == 1 ? (x || b->data[i] != 0) : !x;
    }
    return 1;
}
static int m_and(lua_State *L) { return logic(L, 0); }
static int m_or(lua_State *L) { return logic(L, 1); }
static int m_not(lua_State *L) { return logic(L, 2); }

/* v:select(mask) -> elements (rows for a Matrix) where mask ~= 0 */
static int m_select(lua_State *L)
{
    sfl_array *a = check_anyf(L, 1);
    sfl_array *m = sfl_check_vector(L, 2);
    if (m->rows != a->rows)
        return luaL_error(L, "mask length %d does not match %d rows",
                          (int)m->rows, (int)a->rows);
    size_t k = 0;
    for (size_t i = 0; i < m->rows; i++)
        k += m->data[i] != 0;
    sfl_array *r = push_array_t(L, is_vector(L, 1) ? SFL_VECTOR : SFL_MATRIX, k,
                                a->cols, 0, is_f32(a));
    for (size_t i = 0, j = 0; i < a->rows; i++)
        if (m->data[i] != 0)
            memcpy(row_ptr(r, j++), row_ptr(a, i), a->cols * esize(a));
    return 1;
}

/* v:take(indices) -> elements/rows at 1-based indices (Vector or table) */
static int m_take(lua_State *L)
{
    sfl_array *a = check_anyf(L, 1);
    int pushed;
    sfl_array *ix = sfl_opt_vector_arg(L, 2, &pushed);
    sfl_array *r = push_array_t(L, is_vector(L, 1) ? SFL_VECTOR : SFL_MATRIX,
                                ix->rows, a->cols, 0, is_f32(a));
    for (size_t j = 0; j < ix->rows; j++) {
        double d = ix->data[j];
        if (!(d >= 1 && d <= (double)a->rows && d == floor(d)))
            return luaL_error(L, "index %f out of range 1..%d", d, (int)a->rows);
        memcpy(row_ptr(r, j), row_ptr(a, (size_t)(d - 1)), a->cols * esize(a));
    }
    return 1;
}

/* v:slice(i, j) -> copy of elements/rows i..j (inclusive, negative from end) */
static int m_slice(lua_State *L)
{
    sfl_array *a = check_anyf(L, 1);
    lua_Integer n = (lua_Integer)a->rows;
    lua_Integer i = luaL_optinteger(L, 2, 1), j = luaL_optinteger(L, 3, n);
    if (i < 0)
        i += n + 1;
    if (j < 0)
        j += n + 1;
    if (i < 1)
        i = 1;
    if (j > n)
        j = n;
    size_t k = j >= i ? (size_t)(j - i + 1) : 0;
    sfl_array *r = push_array_t(L, is_vector(L, 1) ? SFL_VECTOR : SFL_MATRIX, k,
                                a->cols, 0, is_f32(a));
    if (k)
        memcpy(row_ptr(r, 0), row_ptr(a, (size_t)(i - 1)), k * a->cols * esize(a));
    return 1;
}

static int m_copy(lua_State *L)
{
    sfl_array *a = check_anyf(L, 1);
    sfl_array *r = push_array_t(L, is_vector(L, 1) ? SFL_VECTOR : SFL_MATRIX,
                                a->rows, a->cols, 0, is_f32(a));
    memcpy(row_ptr(r, 0), row_ptr(a, 0), len(a) * esize(a));
    return 1;
}

static int m_fill(lua_State *L)
{
    sfl_array *a = check_anyf(L, 1);
    double v = luaL_checknumber(L, 2);
    for (size_t i = 0; i < len(a); i++)
        put(a, i, v);
    lua_settop(L, 1);
    return 1;
}

/* ---- reductions (compensated sums: reproducible and accurate) ---------------- */

static double ksum(const sfl_array *x, size_t n, size_t stride)
{
    double s = 0, c = 0;
    for (size_t i = 0; i < n; i++) {
        double y = sfl_at(x, i * stride) - c;
        double t = s + y;
        c = (t - s) - y;
        s = t;
    }
    return s;
}

static int m_sum(lua_State *L)
{
    sfl_array *a = check_anyf(L, 1);
    lua_pushnumber(L, ksum(a, len(a), 1));
    return 1;
}

static int m_mean(lua_State *L)
{
    sfl_array *a = check_anyf(L, 1);
    size_t n = len(a);
    lua_pushnumber(L, n ? ksum(a, n, 1) / (double)n : NAN);
    return 1;
}

static double variance(const sfl_array *x, size_t n, int ddof)
{
    if (n <= (size_t)ddof)
        return NAN;
    double m = ksum(x, n, 1) / (double)n, s = 0, c = 0;
    for (size_t i = 0; i < n; i++) {
        double d = sfl_at(x, i) - m;
        double y = d * d - c, t = s + y;
        c = (t - s) - y;
        s = t;
    }
    return s / (double)(n - (size_t)ddof);
}

static int m_var(lua_State *L)
{
    sfl_array *a = check_anyf(L, 1);
    lua_pushnumber(L, variance(a, len(a), (int)luaL_optinteger(L, 2, 0)));
    return 1;
}

static int m_std(lua_State *L)
{
    sfl_array *a = check_anyf(L, 1);
    lua_pushnumber(L, sqrt(variance(a, len(a), (int)luaL_optinteger(L, 2, 0))));
    return 1;
}

static int minmax(lua_State *L, int wantmax)
{
    sfl_array *a = check_anyf(L, 1);
    size_t n = len(a);
    if (!n) {
        lua_pushnil(L);
        return 1;
    }
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (wantmax ? sfl_at(a, i) > sfl_at(a, best) : sfl_at(a, i) < sfl_at(a, best))
            best = i;
    lua_pushnumber(L, sfl_at(a, best));
    lua_pushinteger(L, (lua_Integer)best + 1);
    return 2;
}
static int m_min(lua_State *L) { return minmax(L, 0); }
static int m_max(lua_State *L) { return minmax(L, 1); }

static int m_count(lua_State *L)
{
    sfl_array *a = check_anyf(L, 1);
    lua_Integer k = 0;
    for (size_t i = 0; i < len(a); i++)
        k += sfl_at(a, i) != 0;
    lua_pushinteger(L, k);
    return 1;
}

static int m_dot(lua_State *L)
{
    sfl_array *a = check_anyf(L, 1), *b = check_anyf(L, 2);
    if (is_vector(L, 1)) {
        if (len(b) != a->rows)
            return luaL_error(L, "length mismatch: %d vs %d", (int)a->rows,
                              (int)len(b));
        double s = 0;
        for (size_t i = 0; i < a->rows; i++)
            s += sfl_at(a, i) * sfl_at(b, i);
        lua_pushnumber(L, s);
        return 1;
    }
    /* Matrix . Vector -> Vector */
    if (len(b) != a->cols)
        return luaL_error(L, "matrix has %d columns but vector has %d",
                          (int)a->cols, (int)len(b));
    sfl_array *r = sfl_vector_new(L, a->rows);
    for (size_t i = 0; i < a->rows; i++) {
        double s = 0;
        for (size_t j = 0; j < a->cols; j++)
            s += sfl_at(a, i * a->cols + j) * sfl_at(b, j);
        r->data[i] = s;
    }
    return 1;
}

static int m_sort(lua_State *L);
static int m_order(lua_State *L);

static int m_totable(lua_State *L)
{
    sfl_array *a = check_anyf(L, 1);
    if (is_vector(L, 1)) {
        lua_createtable(L, (int)a->rows, 0);
        for (size_t i = 0; i < a->rows; i++) {
            lua_pushnumber(L, sfl_at(a, i));
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        return 1;
    }
    lua_createtable(L, (int)a->rows, 0);
    for (size_t i = 0; i < a->rows; i++) {
        lua_createtable(L, (int)a->cols, 0);
        for (size_t j = 0; j < a->cols; j++) {
            lua_pushnumber(L, sfl_at(a, i * a->cols + j));
            lua_rawseti(L, -2, (lua_Integer)j + 1);
        }
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* stable sort of indices by value (merge sort, O(n log n), deterministic) */
static void merge_order(const double *v, size_t *ix, size_t *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    merge_order(v, ix, tmp, h);
    merge_order(v, ix + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = (v[ix[j]] < v[ix[i]]) ? ix[j++] : ix[i++];
    while (i < h)
        tmp[k++] = ix[i++];
    while (j < n)
        tmp[k++] = ix[j++];
    memcpy(ix, tmp, n * sizeof *ix);
}

static size_t *order_of(lua_State *L, const sfl_array *a)
{
    size_t n = a->rows;
    size_t *ix = malloc((n ? n : 1) * sizeof *ix);
    size_t *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!ix || !tmp) {
        free(ix);
        free(tmp);
        luaL_error(L, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        ix[i] = i;
    merge_order(a->data, ix, tmp, n);
    free(tmp);
    return ix;
}

static int m_order(lua_State *L)
{
    sfl_array *a = sfl_check_vector(L, 1);
    size_t *ix = order_of(L, a);
    sfl_array *r = sfl_vector_new(L, a->rows);
    for (size_t i = 0; i < a->rows; i++)
        r->data[i] = (double)ix[i] + 1;
    free(ix);
    return 1;
}

static int m_sort(lua_State *L)
{
    sfl_array *a = sfl_check_vector(L, 1);
    size_t *ix = order_of(L, a);
    sfl_array *r = sfl_vector_new(L, a->rows);
    for (size_t i = 0; i < a->rows; i++)
        r->data[i] = a->data[ix[i]];
    free(ix);
    return 1;
}

static int m_row(lua_State *L)
{
    sfl_array *a = luaL_checkudata(L, 1, SFL_MATRIX);
    size_t i = check_index(L, 2, a->rows);
    sfl_array *r = sfl_vector_new(L, a->cols);
    for (size_t j = 0; j < a->cols; j++)
        r->data[j] = sfl_at(a, i * a->cols + j);
    return 1;
}

static size_t column_arg(lua_State *L, sfl_array *a, int arg)
{
    if (lua_type(L, arg) == LUA_TSTRING) {
        const char *name = lua_tostring(L, arg);
        for (size_t j = 0; a->colnames && j < a->cols; j++)
            if (a->colnames[j] && strcmp(a->colnames[j], name) == 0)
                return j;
        luaL_error(L, "no column named '%s'", name);
    }
    return check_index(L, arg, a->cols);
}

static int m_col(lua_State *L)
{
    sfl_array *a = luaL_checkudata(L, 1, SFL_MATRIX);
    size_t j = column_arg(L, a, 2);
    sfl_array *r = sfl_vector_new(L, a->rows);
    for (size_t i = 0; i < a->rows; i++)
        r->data[i] = sfl_at(a, i * a->cols + j);
    return 1;
}

static int m_get(lua_State *L)
{
    sfl_array *a = luaL_checkudata(L, 1, SFL_MATRIX);
    size_t i = check_index(L, 2, a->rows), j = column_arg(L, a, 3);
    lua_pushnumber(L, sfl_at(a, i * a->cols + j));
    return 1;
}

static int m_set(lua_State *L)
{
    sfl_array *a = luaL_checkudata(L, 1, SFL_MATRIX);
    size_t i = check_index(L, 2, a->rows), j = column_arg(L, a, 3);
    put(a, i * a->cols + j, luaL_checknumber(L, 4));
    return 0;
}

static int m_shape(lua_State *L)
{
    sfl_array *a = check_anyf(L, 1);
    lua_pushinteger(L, (lua_Integer)a->rows);
    lua_pushinteger(L, (lua_Integer)a->cols);
    return 2;
}

static int m_colnames(lua_State *L)
{
    sfl_array *a = luaL_checkudata(L, 1, SFL_MATRIX);
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        if (lua_rawlen(L, 2) != a->cols)
            return luaL_error(L, "expected %d column names", (int)a->cols);
        char **names = calloc(a->cols, sizeof *names);
        if (!names)
            return luaL_error(L, "out of memory");
        for (size_t j = 0; j < a->cols; j++) {
            lua_rawgeti(L, 2, (lua_Integer)j + 1);
            const char *s = lua_tostring(L, -1);
            names[j] = strdup(s ? s : "");
            lua_pop(L, 1);
        }
        if (a->colnames) {
            for (size_t j = 0; j < a->cols; j++)
                free(a->colnames[j]);
            free(a->colnames);
        }
        a->colnames = names;
        return 0;
    }
    lua_createtable(L, (int)a->cols, 0);
    for (size_t j = 0; j < a->cols; j++) {
        if (a->colnames && a->colnames[j])
            lua_pushstring(L, a->colnames[j]);
        else
            lua_pushfstring(L, "c%d", (int)j + 1);
        lua_rawseti(L, -2, (lua_Integer)j + 1);
    }
    return 1;
}

static int m_transpose(lua_State *L)
{
    sfl_array *a = sfl_check_matrix(L, 1);
    sfl_array *r = sfl_matrix_new(L, a->cols, a->rows);
    for (size_t i = 0; i < a->rows; i++)
        for (size_t j = 0; j < a->cols; j++)
            r->data[j * a->rows + i] = a->data[i * a->cols + j];
    return 1;
}

/* column means of a matrix (or of the rows selected by a mask) */
static int m_col_mean(lua_State *L)
{
    sfl_array *a = luaL_checkudata(L, 1, SFL_MATRIX);
    sfl_array *m = lua_isnoneornil(L, 2) ? NULL : sfl_check_vector(L, 2);
    if (m && m->rows != a->rows)
        return luaL_error(L, "mask length %d does not match %d rows",
                          (int)m->rows, (int)a->rows);
    sfl_array *r = sfl_vector_new(L, a->cols);
    size_t k = 0;
    for (size_t i = 0; i < a->rows; i++) {
        if (m && m->data[i] == 0)
            continue;
        k++;
        for (size_t j = 0; j < a->cols; j++)
            r->data[j] += sfl_at(a, i * a->cols + j);
    }
    for (size_t j = 0; j < a->cols; j++)
        r->data[j] = k ? r->data[j] / (double)k : NAN;
    return 1;
}

/* x:dtype() -> "double" | "float" */
static int m_dtype(lua_State *L)
{
    sfl_array *a = check_anyf(L, 1);
    lua_pushstring(L, is_f32(a) ? "float" : "double");
    return 1;
}

/* x:double() / x:float() -> a copy with that element type (names kept) */
static int convert(lua_State *L, int f32)
{
    sfl_array *a = check_anyf(L, 1);
    sfl_array *r = push_array_t(L, is_vector(L, 1) ? SFL_VECTOR : SFL_MATRIX,
                                a->rows, a->cols, 0, f32);
    size_t n = len(a);
    if (is_f32(a) == f32)
        memcpy(row_ptr(r, 0), row_ptr(a, 0), n * esize(a));
    else
        for (size_t k = 0; k < n; k++)
            put(r, k, sfl_at(a, k));
    if (a->colnames) {
        char **names = calloc(a->cols, sizeof *names);
        if (!names)
            return luaL_error(L, "out of memory");
        r->colnames = names;
        for (size_t j = 0; j < a->cols; j++)
            if (a->colnames[j] && !(names[j] = strdup(a->colnames[j])))
                return luaL_error(L, "out of memory");
    }
    return 1;
}
static int m_double(lua_State *L) { return convert(L, 0); }
static int m_float(lua_State *L) { return convert(L, 1); }

/* sflex.hstack({A, B, ...}) -> Matrix: the columns of every block side by
 * side (a Vector is one column); names kept ("c<k>" style for unnamed). */
static int l_hstack(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    size_t nb = lua_rawlen(L, 1), rows = 0, cols = 0;
    luaL_argcheck(L, nb >= 1, 1, "no blocks");
    int named = 0;
    for (size_t b = 1; b <= nb; b++) {
        lua_rawgeti(L, 1, (lua_Integer)b);
        sfl_array *a = sfl_test_array(L, -1);
        if (!a)
            return luaL_error(L, "hstack: block %d is not a Vector or Matrix", (int)b);
        if (b == 1)
            rows = a->rows;
        else if (a->rows != rows)
            return luaL_error(L, "hstack: block %d has %d rows, block 1 has %d",
                              (int)b, (int)a->rows, (int)rows);
        cols += a->cols;
        named |= a->colnames != NULL;
        lua_pop(L, 1); /* kept alive by the table */
    }
    sfl_array *r = push_array(L, SFL_MATRIX, rows, cols, 0);
    char **names = named ? calloc(cols, sizeof *names) : NULL;
    if (named && !names)
        return luaL_error(L, "out of memory");
    r->colnames = names; /* freed by __gc, also on a later error */
    size_t c0 = 0;
    for (size_t b = 1; b <= nb; b++) {
        lua_rawgeti(L, 1, (lua_Integer)b);
        sfl_array *a = sfl_test_array(L, -1);
        lua_pop(L, 1);
        for (size_t i = 0; i < rows; i++)
            memcpy(r->data + i * cols + c0, a->data + i * a->cols,
                   a->cols * sizeof(double));
        for (size_t j = 0; names && j < a->cols; j++) {
            char buf[32];
            const char *nm = a->colnames && a->colnames[j] ? a->colnames[j] : NULL;
            if (!nm) {
                snprintf(buf, sizeof buf, "c%d", (int)(c0 + j + 1));
                nm = buf;
            }
            names[c0 + j] = strdup(nm);
            if (!names[c0 + j])
                return luaL_error(L, "out of memory");
        }
        c0 += a->cols;
    }
    return 1;
}

static const luaL_Reg methods[] = {
    {"sum", m_sum},       {"mean", m_mean},       {"var", m_var},
    {"std", m_std},       {"min", m_min},         {"max", m_max},
    {"count", m_count},   {"dot", m_dot},         {"log", m_log},
    {"exp", m_exp},       {"sqrt", m_sqrt},       {"abs", m_abs},
    {"map", m_map},       {"lt", m_lt},           {"le", m_le},
    {"gt", m_gt},         {"ge", m_ge},           {"eq", m_eq},
    {"ne", m_ne},         {"band", m_and},        {"bor", m_or},
    {"bnot", m_not},      {"select", m_select},   {"take", m_take},
    {"slice", m_slice},   {"copy", m_copy},       {"fill", m_fill},
    {"totable", m_totable}, {"order", m_order},   {"sort", m_sort},
    {"row", m_row},       {"col", m_col},         {"get", m_get},
    {"set", m_set},       {"shape", m_shape},     {"colnames", m_colnames},
    {"transpose", m_transpose}, {"col_mean", m_col_mean},
    {"dtype", m_dtype},   {"double", m_double},   {"float", m_float},
    {NULL, NULL},
};

static const char *const method_docs[] = {
    "x:sum() -> number\nSum of all elements (compensated, reproducible).",
    "x:mean() -> number\nMean of all elements (NaN when empty).",
    "x:var([ddof=0]) -> number\nVariance; ddof=1 for the sample variance.",
    "x:std([ddof=0]) -> number\nStandard deviation.",
    "x:min() -> value, index\nSmallest element and its 1-based index.",
    "x:max() -> value, index\nLargest element and its 1-based index.",
    "x:count() -> integer\nNumber of non-zero elements (true entries of a mask).",
    "v:dot(w) -> number | m:dot(v) -> Vector\nScalar product, or matrix times vector.",
    "x:log() -> same shape\nElement-wise natural logarithm.",
    "x:exp() -> same shape\nElement-wise exponential.",
    "x:sqrt() -> same shape\nElement-wise square root.",
    "x:abs() -> same shape\nElement-wise absolute value.",
    "x:map(f) -> same shape\nApply the Lua function f to every element.",
    "v:lt(y) -> mask\nMask (Vector of 0/1) of v < y (y a number or Vector).",
    "v:le(y) -> mask\nMask of v <= y.",
    "v:gt(y) -> mask\nMask of v > y.",
    "v:ge(y) -> mask\nMask of v >= y.",
    "v:eq(y) -> mask\nMask of v == y.",
    "v:ne(y) -> mask\nMask of v ~= y.",
    "m1:band(m2) -> mask\nElement-wise AND of two masks.",
    "m1:bor(m2) -> mask\nElement-wise OR of two masks.",
    "m:bnot() -> mask\nElement-wise NOT of a mask.",
    "x:select(mask) -> same kind\nElements (rows of a Matrix) where mask is non-zero.",
    "x:take(indices) -> same kind\nElements (rows) at the given 1-based indices.",
    "x:slice([i [, j]]) -> same kind\nCopy of elements (rows) i..j; negative counts from the end.",
    "x:copy() -> same kind\nA deep copy.",
    "x:fill(value) -> x\nSet every element to value.",
    "x:totable() -> table\nConvert to a Lua table (a table of rows for a Matrix).",
    "v:order() -> Vector\n1-based indices that sort v ascending (stable).",
    "v:sort() -> Vector\nA sorted copy of v (ascending).",
    "m:row(i) -> Vector\nCopy of row i (m[i] gives a view instead).",
    "m:col(j | name) -> Vector\nCopy of column j, or of the column with that name.",
    "m:get(i, j | name) -> number\nElement (i, j).",
    "m:set(i, j | name, value)\nSet element (i, j).",
    "x:shape() -> rows, cols\nDimensions (cols = 1 for a Vector).",
    "m:colnames([names]) -> table\nGet (or set) the column names of a Matrix.",
    "m:transpose() -> Matrix\nTransposed copy.",
    "m:col_mean([mask]) -> Vector\nColumn means, optionally over the rows selected by mask.",
    "x:dtype() -> \"double\" | \"float\"\nElement type (float: 4-byte storage, e.g.\n"
    "sflex.descriptor{precision = \"float\"}).  A float array supports indexing, #, get/set,\n"
    "row/col (double copies), slice/take/select/copy, sum/mean/var/std/min/max/count, dot,\n"
    "col_mean, totable, ==, SVR fit/predict and model:sf; elsewhere convert with x:double().",
    "x:double() -> same kind\nA copy with double elements (column names kept).",
    "x:float() -> same kind\nA copy with float32 elements (each value rounded; names kept).",
    NULL,
};

static const luaL_Reg meta[] = {
    {"__gc", l_gc},         {"__close", l_gc},     {"__len", l_len},
    {"__tostring", l_tostring}, {"__add", l_add},  {"__sub", l_sub},
    {"__mul", l_mul},       {"__div", l_div},      {"__pow", l_pow},
    {"__unm", l_unm},       {"__eq", l_eq},        {NULL, NULL},
};

static const luaL_Reg funcs[] = {
    {"vector", l_vector},
    {"matrix", l_matrix},
    {"range", l_range},
    {"hstack", l_hstack},
    {NULL, NULL},
};

static const char *const func_docs[] = {
    "sflex.vector(n [, value]) | sflex.vector{...} | sflex.vector(array) -> Vector\n"
    "A Vector of n zeros (or value), or a copy of a table of numbers / array.\n"
    "Vectors index from 1, support #v, v[i] = x, + - * / ^ with numbers or Vectors,\n"
    "masks (v:gt(0)), reductions (v:mean()) and v:totable().",
    "sflex.matrix(rows, cols [, value]) | sflex.matrix{{...}, ...} -> Matrix\n"
    "A row-major Matrix.  m[i] is a Vector view of row i, m:get(i, j), m:col(j),\n"
    "m.rows, m.cols.",
    "sflex.range(a, b [, step=1]) -> Vector\nThe values a, a+step, ... up to b.",
    "sflex.hstack({A, B, ...}) -> Matrix\nThe columns of Matrices and Vectors (one column each)\n"
    "side by side; all blocks must have the same number of rows.  Column names are kept\n"
    "(unnamed columns get c<k>, k the column in the result).",
    NULL,
};

static void make_class(lua_State *L, const char *tname, lua_CFunction index,
                       lua_CFunction newindex, const char *doc)
{
    luaL_newmetatable(L, tname);
    luaL_setfuncs(L, meta, 0);
    lua_pushcfunction(L, index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, newindex);
    lua_setfield(L, -2, "__newindex");
    if (index == mat_index) { /* field names, for REPL completion */
        lua_newtable(L);
        lua_pushliteral(L, "rows");
        lua_rawseti(L, -2, 1);
        lua_pushliteral(L, "cols");
        lua_rawseti(L, -2, 2);
        lua_setfield(L, -2, "__fields");
    }
    lua_newtable(L);
    sfl_register(L, methods, method_docs);
    sfl_doc(L, -1, doc);
    lua_setfield(L, -2, "__methods");
    sfl_doc(L, -1, doc);
    lua_pop(L, 1);
}

void sfl_open_array(lua_State *L)
{
    make_class(L, SFL_VECTOR, vec_index, vec_newindex,
               "Vector: a 1-based array of doubles kept in C.  See help(sflex.vector).");
    make_class(L, SFL_MATRIX, mat_index, mat_newindex,
               "Matrix: a row-major matrix of doubles kept in C.  See help(sflex.matrix).");
    sfl_register(L, funcs, func_docs);
}
