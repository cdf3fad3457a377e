/* l_eam.c - bindings of the EAM evaluator and the eigen-solvers:
 * sflex.eam -> Potential, Potential:hessian -> Hessian, sflex.modes,
 * sflex.participation, sflex.harmonic_msd, sflex.eigh.
 *
 *   local pot = sflex.eam("/usr/share/lammps/potentials/CuZr_mm.eam.fs")
 *   local e, per_atom = pot:energy(atoms)
 *   local H = pot:hessian(atoms)
 *   local nu, modes = sflex.modes(H, {lowest = 30})    -- THz, k x 3N
 *   local p = sflex.participation(modes)               -- per atom
 *   local msd = sflex.harmonic_msd(pot, atoms, 300)    -- A^2 per atom
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l_sflex.h"
#include "sf_eam.h"
#include "sf_eigen.h"
#include "sf_sparse.h"

#define SFL_POTENTIAL "sflex.Potential"
#define SFL_HESSIAN "sflex.Hessian"

typedef struct lpot {
    sf_eam *p;
    int nnames;
    char **names; /* type -> element names given at creation, or NULL */
} lpot;

typedef struct lhess {
    sf_bsr *h;
    double *mass; /* per atom, or NULL */
} lhess;

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

static lpot *check_pot(lua_State *L, int idx)
{
    lpot *u = luaL_checkudata(L, idx, SFL_POTENTIAL);
    if (!u->p)
        luaL_error(L, "Potential has been freed");
    return u;
}

static lhess *check_hess(lua_State *L, int idx)
{
    lhess *u = luaL_checkudata(L, idx, SFL_HESSIAN);
    if (!u->h)
        luaL_error(L, "Hessian has been freed");
    return u;
}

/* type -> element map for atoms a (a userdata on the stack keeps it) */
static int *type_map(lua_State *L, lpot *u, const sf_atoms *a)
{
    int *map = lua_newuserdatauv(L, ((size_t)a->ntypes + 1) * sizeof *map, 0);
    if (sf_eam_type_map(u->p, a, (const char *const *)u->names, u->nnames, map))
        sfl_core_error(L);
    return map; /* stays on the stack while in use */
}

const sf_eam *sfl_potential_map(lua_State *L, int idx, const sf_atoms *a, int **map)
{
    lpot *u = check_pot(L, idx);
    *map = type_map(L, u, a);
    return u->p;
}

/* ---- Potential ---------------------------------------------------------------- */

static int l_eam(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    int kind = SF_EAM_AUTO;
    int has_opts = lua_istable(L, 2);
    if (!lua_isnoneornil(L, 2) && !has_opts)
        return luaL_typeerror(L, 2, "table of options");
    if (has_opts) {
        if (lua_getfield(L, 2, "kind") != LUA_TNIL) {
            const char *k = luaL_checkstring(L, -1);
            if (strcmp(k, "fs") == 0 || strcmp(k, "eam/fs") == 0)
                kind = SF_EAM_FS;
            else if (strcmp(k, "alloy") == 0 || strcmp(k, "eam/alloy") == 0)
                kind = SF_EAM_ALLOY;
            else
                return luaL_error(L, "sflex.eam: kind must be 'fs' or 'alloy', not '%s'", k);
        }
        lua_pop(L, 1);
    }
    lpot *u = lua_newuserdatauv(L, sizeof *u, 0);
    memset(u, 0, sizeof *u);
    luaL_setmetatable(L, SFL_POTENTIAL);
    if (!(u->p = sf_eam_read(path, kind)))
        return sfl_core_error(L);
    if (has_opts) {
        if (lua_getfield(L, 2, "elements") != LUA_TNIL) {
            luaL_checktype(L, -1, LUA_TTABLE);
            int n = (int)lua_rawlen(L, -1);
            u->names = calloc((size_t)n + 1, sizeof *u->names);
            if (!u->names)
                return luaL_error(L, "out of memory");
            for (int t = 1; t <= n; t++) {
                lua_rawgeti(L, -1, t);
                const char *s = lua_tostring(L, -1);
                if (!s)
                    return luaL_error(L, "sflex.eam: elements[%d] is not a string", t);
                if (sf_eam_find_element(u->p, s) < 0)
                    return luaL_error(L, "sflex.eam: element '%s' is not in %s", s, path);
                u->names[t - 1] = strdup(s);
                u->nnames = t;
                lua_pop(L, 1);
            }
        }
        lua_pop(L, 1);
    }
    return 1;
}

static int pot_gc(lua_State *L)
{
    lpot *u = luaL_checkudata(L, 1, SFL_POTENTIAL);
    sf_eam_free(u->p);
    u->p = NULL;
    if (u->names)
        for (int t = 0; t < u->nnames; t++)
            free(u->names[t]);
    free(u->names);
    u->names = NULL;
    u->nnames = 0;
    return 0;
}

static int pot_tostring(lua_State *L)
{
    lpot *u = luaL_checkudata(L, 1, SFL_POTENTIAL);
    if (!u->p) {
        lua_pushliteral(L, "Potential(freed)");
        return 1;
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    const char *path = sf_eam_path(u->p), *base = strrchr(path, '/');
    lua_pushfstring(L, "Potential(eam/%s %s: ", sf_eam_kind(u->p) == SF_EAM_FS ? "fs" : "alloy",
                    base ? base + 1 : path);
    luaL_addvalue(&b);
    for (int e = 0; e < sf_eam_nelements(u->p); e++) {
        if (e)
            luaL_addchar(&b, ' ');
        luaL_addstring(&b, sf_eam_element(u->p, e));
    }
    char buf[64];
    snprintf(buf, sizeof buf, ", cutoff %g A)", sf_eam_cutoff(u->p));
    luaL_addstring(&b, buf);
    luaL_pushresult(&b);
    return 1;
}

static int pot_elements(lua_State *L)
{
    lpot *u = check_pot(L, 1);
    int ne = sf_eam_nelements(u->p);
    lua_createtable(L, ne, 0);
    for (int e = 0; e < ne; e++) {
        lua_pushstring(L, sf_eam_element(u->p, e));
        lua_rawseti(L, -2, e + 1);
    }
    return 1;
}

static int pot_cutoff(lua_State *L)
{
    lua_pushnumber(L, sf_eam_cutoff(check_pot(L, 1)->p));
    return 1;
}

static int pot_mass(lua_State *L)
{
    lpot *u = check_pot(L, 1);
    int e = sf_eam_find_element(u->p, luaL_checkstring(L, 2));
    if (e < 0)
        return luaL_error(L, "element '%s' is not in the potential", lua_tostring(L, 2));
    lua_pushnumber(L, sf_eam_mass(u->p, e));
    return 1;
}

static int pot_energy(lua_State *L)
{
    lpot *u = check_pot(L, 1);
    sf_atoms *a = sfl_check_atoms(L, 2);
    int *map = type_map(L, u, a);
    sfl_array *pe = sfl_vector_new(L, a->n);
    double e;
    if (sf_eam_compute(u->p, a, map, &e, pe->data, NULL, NULL))
        return sfl_core_error(L);
    lua_pushnumber(L, e);
    lua_insert(L, -2);
    return 2;
}

static int pot_forces(lua_State *L)
{
    lpot *u = check_pot(L, 1);
    sf_atoms *a = sfl_check_atoms(L, 2);
    int *map = type_map(L, u, a);
    sfl_array *f = sfl_matrix_new(L, a->n, 3);
    double e;
    if (sf_eam_compute(u->p, a, map, &e, NULL, f->data, NULL))
        return sfl_core_error(L);
    lua_pushnumber(L, e);
    return 2;
}

static int pot_compute(lua_State *L)
{
    lpot *u = check_pot(L, 1);
    sf_atoms *a = sfl_check_atoms(L, 2);
    int *map = type_map(L, u, a);
    lua_createtable(L, 0, 4);
    int t = lua_gettop(L);
    sfl_array *f = sfl_matrix_new(L, a->n, 3);
    lua_setfield(L, t, "forces");
    sfl_array *pe = sfl_vector_new(L, a->n);
    lua_setfield(L, t, "energies");
    sfl_array *rho = sfl_vector_new(L, a->n);
    lua_setfield(L, t, "rho");
    double e;
    if (sf_eam_compute(u->p, a, map, &e, pe->data, f->data, rho->data))
        return sfl_core_error(L);
    lua_pushnumber(L, e);
    lua_setfield(L, t, "energy");
    return 1;
}

static int opt_bool(lua_State *L, int t, const char *k, int def)
{
    if (!lua_istable(L, t))
        return def;
    int v = def;
    if (lua_getfield(L, t, k) != LUA_TNIL)
        v = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

static void push_hessian(lua_State *L, sf_bsr *h, double *mass)
{
    lhess *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->h = h;
    u->mass = mass;
    luaL_setmetatable(L, SFL_HESSIAN);
}

static int hessian_of(lua_State *L, lpot *u, sf_atoms *a, int full)
{
    int *map = type_map(L, u, a);
    double *mass = malloc((a->n ? a->n : 1) * sizeof *mass);
    if (!mass)
        return luaL_error(L, "out of memory");
    if (sf_eam_atom_masses(u->p, a, map, mass)) {
        free(mass);
        return sfl_core_error(L);
    }
    sf_bsr *h = sf_eam_hessian(u->p, a, map, !full);
    if (!h) {
        free(mass);
        return sfl_core_error(L);
    }
    push_hessian(L, h, mass);
    return 1;
}

static int pot_hessian(lua_State *L)
{
    lpot *u = check_pot(L, 1);
    sf_atoms *a = sfl_check_atoms(L, 2);
    return hessian_of(L, u, a, opt_bool(L, 3, "full", 0));
}

static int pot_masses(lua_State *L)
{
    lpot *u = check_pot(L, 1);
    sf_atoms *a = sfl_check_atoms(L, 2);
    int *map = type_map(L, u, a);
    sfl_array *m = sfl_vector_new(L, a->n);
    if (sf_eam_atom_masses(u->p, a, map, m->data))
        return sfl_core_error(L);
    return 1;
}

/* ---- Hessian ---------------------------------------------------------------------- */

static int hess_gc(lua_State *L)
{
    lhess *u = luaL_checkudata(L, 1, SFL_HESSIAN);
    sf_bsr_free(u->h);
    free(u->mass);
    u->h = NULL;
    u->mass = NULL;
    return 0;
}

static int hess_tostring(lua_State *L)
{
    lhess *u = luaL_checkudata(L, 1, SFL_HESSIAN);
    char buf[200];
    if (!u->h)
        snprintf(buf, sizeof buf, "Hessian(freed)");
    else
        snprintf(buf, sizeof buf, "Hessian(%zu atoms, %zu x %zu, %zu 3x3 blocks%s, %.1f MB)",
                 u->h->n, 3 * u->h->n, 3 * u->h->n, sf_bsr_nnzb(u->h),
                 u->h->upper ? " (upper triangle)" : "",
                 (sf_bsr_nnzb(u->h) * 76.0 + u->h->n * 8.0) / 1048576.0);
    lua_pushstring(L, buf);
    return 1;
}

static int hess_len(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)(3 * check_hess(L, 1)->h->n));
    return 1;
}

static int hess_natoms(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)check_hess(L, 1)->h->n);
    return 1;
}

static int hess_nnz(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)sf_bsr_nnzb(check_hess(L, 1)->h));
    return 1;
}

static size_t atom_arg(lua_State *L, int idx, size_t n)
{
    lua_Integer i = luaL_checkinteger(L, idx);
    if (i < 1 || (size_t)i > n)
        lerror(L, "atom index %lld out of range 1..%zu", (long long)i, n);
    return (size_t)i - 1;
}

static int hess_block(lua_State *L)
{
    lhess *u = check_hess(L, 1);
    size_t a = atom_arg(L, 2, u->h->n), b = atom_arg(L, 3, u->h->n);
    int tr = 0;
    const double *v = sf_bsr_block(u->h, a, b, &tr);
    sfl_array *m = sfl_matrix_new(L, 3, 3);
    if (v)
        for (int al = 0; al < 3; al++)
            for (int be = 0; be < 3; be++)
                m->data[3 * al + be] = tr ? v[3 * be + al] : v[3 * al + be];
    return 1;
}

static int hess_dense(lua_State *L)
{
    lhess *u = check_hess(L, 1);
    size_t n3 = 3 * u->h->n;
    if (n3 > 30000)
        return lerror(L, "dense copy of a %zu x %zu matrix refused (over 7 GB)", n3, n3);
    sfl_array *m = sfl_matrix_new(L, n3, n3);
    /* symmetric, so the column-major copy is also the row-major one */
    sf_bsr_to_dense(u->h, NULL, m->data, n3);
    return 1;
}

static int hess_matvec(lua_State *L)
{
    lhess *u = check_hess(L, 1);
    int pushed;
    sfl_array *x = sfl_opt_vector_arg(L, 2, &pushed);
    size_t n3 = 3 * u->h->n;
    if (x->rows * x->cols != n3)
        return lerror(L, "matvec: vector of %zu values for a %zu x %zu Hessian",
                      x->rows * x->cols, n3, n3);
    sfl_array *y = sfl_vector_new(L, n3);
    sf_bsr_matvec(u->h, x->data, y->data);
    return 1;
}

static int hess_masses(lua_State *L)
{
    lhess *u = check_hess(L, 1);
    if (!u->mass) {
        lua_pushnil(L);
        return 1;
    }
    sfl_array *m = sfl_vector_new(L, u->h->n);
    memcpy(m->data, u->mass, u->h->n * sizeof *u->mass);
    return 1;
}

/* ---- modes, participation, MSD ------------------------------------------------------- */

/* Argument idx: a Hessian, or Atoms with opts.potential: leaves the Hessian
 * on the stack top and returns it. */
static lhess *hessian_arg(lua_State *L, int idx, int opts)
{
    lhess *h = luaL_testudata(L, idx, SFL_HESSIAN);
    if (h) {
        if (!h->h)
            luaL_error(L, "Hessian has been freed");
        lua_pushvalue(L, idx);
        return h;
    }
    if (!luaL_testudata(L, idx, SFL_ATOMS))
        luaL_typeerror(L, idx, "Hessian or Atoms");
    if (!lua_istable(L, opts) || lua_getfield(L, opts, "potential") == LUA_TNIL)
        luaL_error(L, "modes of Atoms need a potential: {potential = sflex.eam(...)}");
    lpot *p = check_pot(L, -1);
    lua_pop(L, 1);
    hessian_of(L, p, sfl_check_atoms(L, idx), 0);
    return check_hess(L, -1);
}

static int method_opt(lua_State *L, int t)
{
    int m = SF_EIGEN_AUTO;
    if (lua_istable(L, t) && lua_getfield(L, t, "method") != LUA_TNIL) {
        const char *s = luaL_checkstring(L, -1);
        if (strcmp(s, "dense") == 0)
            m = SF_EIGEN_DENSE;
        else if (strcmp(s, "sparse") == 0 || strcmp(s, "arpack") == 0)
            m = SF_EIGEN_SPARSE;
        else if (strcmp(s, "block") == 0)
            m = SF_EIGEN_BLOCK;
        else if (strcmp(s, "auto") != 0)
            luaL_error(L, "method must be 'auto', 'dense', 'sparse' (ARPACK) or 'block', not '%s'", s);
        lua_pop(L, 1);
    } else if (lua_istable(L, t))
        lua_pop(L, 1);
    return m;
}

static double opt_num(lua_State *L, int t, const char *k, double def)
{
    if (!lua_istable(L, t))
        return def;
    double v = def;
    if (lua_getfield(L, t, k) != LUA_TNIL) {
        int ok;
        v = lua_tonumberx(L, -1, &ok);
        if (!ok)
            luaL_error(L, "option '%s' must be a number", k);
    }
    lua_pop(L, 1);
    return v;
}

static const char *method_name(int m)
{
    return m == SF_EIGEN_DENSE    ? "dense"
           : m == SF_EIGEN_SPARSE ? "sparse"
           : m == SF_EIGEN_BLOCK  ? "block"
                                  : "auto";
}

/* sflex.modes(H | atoms, opts) -> freqs (THz), modes (k x 3N), info */
static int l_modes(lua_State *L)
{
    int opts = 2;
    if (!lua_isnoneornil(L, 2))
        luaL_checktype(L, 2, LUA_TTABLE);
    lhess *h = hessian_arg(L, 1, opts);
    size_t n = h->h->n, n3 = 3 * n;
    int keep = opt_bool(L, opts, "keep_translations", 0);
    size_t avail = keep ? n3 : n3 - 3;
    double frac = opt_num(L, opts, "fraction", 0.01);
    double kd = opt_num(L, opts, "lowest", ceil(frac * (double)avail - 1e-9));
    if (!(kd >= 1) || kd != floor(kd) || kd > (double)avail)
        return lerror(L, "sflex.modes: lowest = %g outside 1..%zu", kd, avail);
    size_t k = (size_t)kd;
    /* masses: Vector/table, false (bare Hessian) or the Hessian's own */
    const double *mass = h->mass;
    if (lua_istable(L, opts)) {
        int t = lua_getfield(L, opts, "masses");
        if (t == LUA_TBOOLEAN && !lua_toboolean(L, -1))
            mass = NULL;
        else if (t != LUA_TNIL && t != LUA_TBOOLEAN) {
            int pushed;
            sfl_array *m = sfl_opt_vector_arg(L, lua_gettop(L), &pushed);
            if (m->rows * m->cols != n)
                return lerror(L, "sflex.modes: %zu masses for %zu atoms", m->rows * m->cols, n);
            mass = m->data; /* stays on the stack */
        }
    }
    sf_modes_opts o = {.k = k, .mass = mass, .method = method_opt(L, opts),
                       .keep_translations = keep, .tol = opt_num(L, opts, "tol", 0),
                       .sigma = opt_num(L, opts, "sigma", 0)};
    int want_vectors = opt_bool(L, opts, "vectors", 1);
    sfl_array *nu = sfl_vector_new(L, k);
    int inu = lua_gettop(L);
    sfl_array *modes = NULL;
    if (want_vectors)
        modes = sfl_matrix_new(L, k, n3);
    else
        lua_pushnil(L);
    int imodes = lua_gettop(L);
    sfl_array *ev = sfl_vector_new(L, k);
    int iev = lua_gettop(L);
    sf_modes_info info;
    if (sf_eigen_modes(h->h, &o, ev->data, modes ? modes->data : NULL, &info))
        return sfl_core_error(L);
    for (size_t m = 0; m < k; m++) {
        double l = ev->data[m];
        nu->data[m] = (mass ? SF_EIGEN_THZ : 1.0) * copysign(sqrt(fabs(l)), l);
    }
    lua_pushvalue(L, inu);
    lua_pushvalue(L, imodes);
    lua_createtable(L, 0, 8);
    lua_pushstring(L, method_name(info.method));
    lua_setfield(L, -2, "method");
    lua_pushvalue(L, iev);
    lua_setfield(L, -2, "eigenvalues");
    lua_pushnumber(L, info.seconds);
    lua_setfield(L, -2, "seconds");
    lua_pushboolean(L, mass != NULL);
    lua_setfield(L, -2, "mass_weighted");
    if (info.method == SF_EIGEN_SPARSE || info.method == SF_EIGEN_BLOCK) {
        lua_pushnumber(L, info.sigma);
        lua_setfield(L, -2, "sigma");
        lua_pushinteger(L, info.op_applies);
        lua_setfield(L, -2, "solves");
        lua_pushinteger(L, info.restarts);
        lua_setfield(L, -2, "restarts");
        lua_pushnumber(L, info.factor_nnz);
        lua_setfield(L, -2, "factor_nnz");
        lua_pushnumber(L, info.factor_seconds);
        lua_setfield(L, -2, "factor_seconds");
        lua_pushnumber(L, info.solve_seconds);
        lua_setfield(L, -2, "solve_seconds");
        static const char *const ord[] = {"natural", "given", "amd", "metis", "nesdis",
                                          "colamd", "postordered"};
        lua_pushstring(L, info.ordering >= 0 && info.ordering <= 6 ? ord[info.ordering] : "?");
        lua_setfield(L, -2, "ordering");
    }
    return 3;
}

/* sflex.participation(modes) or (H | atoms, opts) */
static int l_participation(lua_State *L)
{
    sfl_array *m = sfl_test_double(L, 1, SFL_MATRIX);
    if (m) {
        if (m->cols % 3 != 0)
            return lerror(L, "participation: modes Matrix has %zu columns (3 per atom)",
                          m->cols);
        size_t n = m->cols / 3;
        sfl_array *p = sfl_vector_new(L, n);
        sf_eigen_participation(n, m->rows, m->data, p->data);
        return 1;
    }
    lua_settop(L, 2);
    lua_pushcfunction(L, l_modes);
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_call(L, 2, 3); /* nu, modes, info */
    sfl_array *modes = sfl_check_matrix(L, -2);
    size_t n = modes->cols / 3;
    sfl_array *p = sfl_vector_new(L, n);
    sf_eigen_participation(n, modes->rows, modes->data, p->data);
    lua_pushvalue(L, -4); /* nu */
    lua_pushvalue(L, -4); /* modes */
    lua_pushvalue(L, -4); /* info */
    return 4;
}

/* sflex.harmonic_msd(pot, atoms, T [, opts]) or (H, T [, opts]) */
static int l_harmonic_msd(lua_State *L)
{
    lhess *h;
    int targ;
    if (luaL_testudata(L, 1, SFL_POTENTIAL)) {
        lpot *p = check_pot(L, 1);
        sf_atoms *a = sfl_check_atoms(L, 2);
        hessian_of(L, p, a, 0);
        h = check_hess(L, -1);
        targ = 3;
    } else {
        h = check_hess(L, 1);
        targ = 2;
    }
    double T = luaL_checknumber(L, targ);
    int opts = targ + 1;
    int method = method_opt(L, opts);
    sfl_array *msd = sfl_vector_new(L, h->h->n);
    sf_modes_info info;
    if (sf_eigen_harmonic_msd(h->h, T, method, msd->data, &info))
        return sfl_core_error(L);
    lua_createtable(L, 0, 6);
    lua_pushstring(L, method_name(info.method));
    lua_setfield(L, -2, "method");
    lua_pushnumber(L, info.seconds);
    lua_setfield(L, -2, "seconds");
    if (info.method == SF_EIGEN_SPARSE) {
        lua_pushnumber(L, info.factor_seconds);
        lua_setfield(L, -2, "factor_seconds");
        lua_pushnumber(L, info.solve_seconds);
        lua_setfield(L, -2, "solve_seconds");
        lua_pushnumber(L, info.factor_nnz);
        lua_setfield(L, -2, "factor_nnz");
    }
    return 2;
}

/* sflex.eigh(A [, il, iu]) -> values, vectors (rows) */
static int l_eigh(lua_State *L)
{
    sfl_array *A = sfl_check_matrix(L, 1);
    size_t n = A->rows;
    if (A->cols != n || n == 0)
        return lerror(L, "eigh: matrix is %zu x %zu, not square", A->rows, A->cols);
    lua_Integer il = luaL_optinteger(L, 2, 1), iu = luaL_optinteger(L, 3, (lua_Integer)n);
    if (il < 1 || iu < il || (size_t)iu > n)
        return lerror(L, "eigh: range %lld..%lld outside 1..%zu", (long long)il, (long long)iu, n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (A->data[i * n + j] != A->data[j * n + i])
                return lerror(L, "eigh: matrix is not symmetric (entry %zu,%zu)", i + 1, j + 1);
    size_t m = (size_t)(iu - il + 1);
    double *work = lua_newuserdatauv(L, n * n * sizeof *work, 0);
    memcpy(work, A->data, n * n * sizeof *work);
    sfl_array *w = sfl_vector_new(L, m);
    sfl_array *Z = sfl_matrix_new(L, m, n);
    if (sf_eigen_dense(n, work, (size_t)il, (size_t)iu, w->data, Z->data))
        return sfl_core_error(L);
    return 2;
}

static const luaL_Reg pot_methods[] = {
    {"energy", pot_energy},   {"forces", pot_forces},   {"compute", pot_compute},
    {"hessian", pot_hessian}, {"masses", pot_masses},   {"elements", pot_elements},
    {"cutoff", pot_cutoff},   {"mass", pot_mass},       {NULL, NULL},
};
static const char *const pot_docs[] = {
    "pot:energy(atoms) -> E (eV), per-atom energies Vector (F(rho_i) + half the pair terms)",
    "pot:forces(atoms) -> forces Matrix (n x 3, eV/A), E",
    "pot:compute(atoms) -> {energy=, energies=Vector, forces=Matrix, rho=Vector}",
    "pot:hessian(atoms [, {full=true}]) -> Hessian (analytic, sparse 3x3 blocks; "
    "upper triangle unless full)",
    "pot:masses(atoms) -> Vector of per-atom masses (atoms' type masses, else the file's)",
    "pot:elements() -> {names in file order}",
    "pot:cutoff() -> cutoff radius (A)",
    "pot:mass(element) -> mass (amu) from the potential file",
    NULL,
};
static const luaL_Reg pot_meta[] = {
    {"__gc", pot_gc}, {"__close", pot_gc}, {"__tostring", pot_tostring}, {NULL, NULL},
};

static const luaL_Reg hess_methods[] = {
    {"natoms", hess_natoms}, {"nnz", hess_nnz},       {"block", hess_block},
    {"dense", hess_dense},   {"matvec", hess_matvec}, {"masses", hess_masses},
    {NULL, NULL},
};
static const char *const hess_docs[] = {
    "H:natoms() -> number of atoms (#H is 3 natoms)",
    "H:nnz() -> number of stored 3x3 blocks",
    "H:block(i, j) -> 3x3 Matrix d2E/dx_i dx_j (eV/A^2), atoms 1-based",
    "H:dense() -> the full 3N x 3N Matrix",
    "H:matvec(v) -> H v (Vector of 3N)",
    "H:masses() -> the per-atom masses recorded with the Hessian (Vector) or nil",
    NULL,
};
static const luaL_Reg hess_meta[] = {
    {"__gc", hess_gc}, {"__close", hess_gc}, {"__tostring", hess_tostring},
    {"__len", hess_len}, {NULL, NULL},
};

static const luaL_Reg funcs[] = {
    {"eam", l_eam},
    {"modes", l_modes},
    {"participation", l_participation},
    {"harmonic_msd", l_harmonic_msd},
    {"eigh", l_eigh},
    {NULL, NULL},
};
static const char *const func_docs[] = {
    "sflex.eam(path [, {elements={'Cu','Zr'}, kind='fs'|'alloy'}]) -> Potential\n"
    "  EAM setfl file (LAMMPS eam/fs or eam/alloy).  elements maps atom types to\n"
    "  file elements like 'pair_coeff * * file Cu Zr'; by default the atoms'\n"
    "  species names are used, else type t -> t-th element.",
    "sflex.modes(H | atoms, {lowest=k | fraction=0.01, masses=Vector|false,\n"
    "            method='auto'|'dense'|'sparse', potential=pot, keep_translations,\n"
    "            tol, sigma, vectors=true}) -> nu (Vector, THz), modes (Matrix k x 3N), info\n"
    "  The k lowest normal modes of the dynamical matrix M^-1/2 H M^-1/2 (the\n"
    "  Hessian's masses by default; masses=false: eigenvalues of H itself, nu is\n"
    "  then sqrt(eV/A^2)).  The 3 translations are removed.  Row m of modes is the\n"
    "  unit eigenvector of nu[m]; negative nu mark negative eigenvalues.\n"
    "  vectors=false: frequencies only (modes is nil).  info: method, eigenvalues,\n"
    "  seconds, and for the sparse solver sigma, solves, restarts, factor_nnz.",
    "sflex.participation(modes) -> p (Vector per atom): p_i = sum over the modes of\n"
    "  |e_i|^2, so sum_i p_i = number of modes.\n"
    "sflex.participation(H | atoms, opts) -> p, nu, modes, info: the same over\n"
    "  sflex.modes(H, opts) (default: the lowest 1% of the modes).",
    "sflex.harmonic_msd(pot, atoms, T [, opts]) or (H, T [, opts]) -> msd (Vector, A^2), info\n"
    "  Classical harmonic <u_i^2> = k_B T tr[(H^+)_ii] (translations removed);\n"
    "  mass-independent.  Fails unless the structure is at an energy minimum.\n"
    "  opts.method: 'dense' (LAPACK inverse), 'sparse' (CHOLMOD factor with one\n"
    "  atom pinned + selected inverse; O(factor) memory) or 'auto' (dense up to\n"
    "  2500 atoms).  info: method, seconds, and for sparse factor_seconds,\n"
    "  solve_seconds, factor_nnz.",
    "sflex.eigh(A [, il, iu]) -> values (Vector), vectors (Matrix, row j = vector j)\n"
    "  Eigenpairs il..iu (ascending, 1-based) of a symmetric Matrix (LAPACK dsyevr).",
    NULL,
};

void sfl_open_eam(lua_State *L)
{
    sfl_new_class(L, SFL_POTENTIAL, pot_methods, pot_docs, pot_meta,
                  "Potential: an EAM force field (sflex.eam).  Methods: energy, forces, "
                  "compute, hessian, masses, elements, cutoff, mass");
    lua_pop(L, 1);
    sfl_new_class(L, SFL_HESSIAN, hess_methods, hess_docs, hess_meta,
                  "Hessian: sparse symmetric force-constant matrix of 3x3 blocks "
                  "(Potential:hessian).  Use with sflex.modes, sflex.participation, "
                  "sflex.harmonic_msd");
    lua_pop(L, 1);
    sfl_register(L, funcs, func_docs);
}
