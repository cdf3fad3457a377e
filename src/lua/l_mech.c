/* l_mech.c - bindings of the mechanics core: D2min (sf_d2min).
 *
 *   local d2, F, nn = sflex.d2min(ref, def, {cutoff = 4.0})
 *   -- d2: Vector of D2min (reference atom order; NaN where undefined)
 *   -- F:  n x 9 Matrix of local deformation gradients (Fxx .. Fzz)
 *   -- nn: Vector of neighbour counts in the reference
 *
 * The shear, local-moduli and fictive-temperature workflows that drive
 * LAMMPS live in lua/sflex/mech.lua. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "l_sflex.h"
#include "sf_d2min.h"

static const char *const F_NAMES[9] = {"Fxx", "Fxy", "Fxz", "Fyx", "Fyy",
                                       "Fyz", "Fzx", "Fzy", "Fzz"};

static void set_colnames(lua_State *L, sfl_array *m, const char *const *names)
{
    char **c = calloc(m->cols, sizeof *c);
    if (!c)
        luaL_error(L, "out of memory");
    for (size_t j = 0; j < m->cols; j++) {
        c[j] = strdup(names[j]);
        if (!c[j]) {
            for (size_t k = 0; k < j; k++)
                free(c[k]);
            free(c);
            luaL_error(L, "out of memory");
        }
    }
    m->colnames = c;
}

/* sflex.d2min(ref, def, {cutoff =, normalize = false, order = "reference"}) */
static int l_d2min(lua_State *L)
{
    sf_atoms *ref = sfl_check_atoms(L, 1);
    sf_atoms *def = sfl_check_atoms(L, 2);
    sf_d2min_opts o;
    sf_d2min_opts_init(&o);
    int by_deformed = 0;
    if (lua_isnumber(L, 3)) {
        o.cutoff = lua_tonumber(L, 3);
    } else {
        luaL_checktype(L, 3, LUA_TTABLE);
        lua_pushnil(L);
        while (lua_next(L, 3)) {
            const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
            if (!strcmp(k, "cutoff")) {
                if (!lua_isnumber(L, -1))
                    return luaL_error(L, "sflex.d2min: cutoff must be a number");
                o.cutoff = lua_tonumber(L, -1);
            } else if (!strcmp(k, "normalize")) {
                o.normalize = lua_toboolean(L, -1);
            } else if (!strcmp(k, "order")) {
                const char *v = lua_tostring(L, -1);
                if (v && !strcmp(v, "deformed"))
                    by_deformed = 1;
                else if (!v || strcmp(v, "reference"))
                    return luaL_error(L, "sflex.d2min: order must be "
                                         "\"reference\" or \"deformed\"");
            } else {
                return luaL_error(L, "sflex.d2min: unknown option '%s' "
                                     "(cutoff, normalize, order)", k);
            }
            lua_pop(L, 1);
        }
    }
    const char *msg = sf_d2min_check_opts(&o);
    if (msg)
        return luaL_error(L, "sflex.d2min: %s (give {cutoff = R})", msg);
    /* the results' userdata first: a Lua error (out of memory) after the
     * core call would leak its arrays */
    size_t n = ref->n;
    sfl_array *dv = sfl_vector_new(L, n);
    sfl_array *fm = sfl_matrix_new(L, n, 9);
    sfl_array *nv = sfl_vector_new(L, n);
    set_colnames(L, fm, F_NAMES);
    sf_d2min_result r;
    if (sf_d2min_compute(ref, def, &o, &r))
        return sfl_core_error(L);
    for (size_t i = 0; i < n; i++) {
        size_t k = by_deformed ? r.match[i] : i;
        dv->data[k] = r.d2min[i];
        memcpy(fm->data + 9 * k, r.F + 9 * i, 9 * sizeof(double));
        nv->data[k] = r.nneigh[i];
    }
    sf_d2min_result_free(&r);
    return 3;
}

/* sflex.d2min_fit(d0, d) -> d2min, F: the fit for one atom from its
 * neighbour vectors (n x 3 Matrices, reference and deformed). */
static int l_d2min_fit(lua_State *L)
{
    sfl_array *a = sfl_check_matrix(L, 1), *b = sfl_check_matrix(L, 2);
    if (a->cols != 3 || b->cols != 3 || a->rows != b->rows)
        return luaL_error(L, "sflex.d2min_fit: expected two m x 3 Matrices "
                             "of the same shape");
    double F[9], r;
    if (sf_d2min_fit(a->rows, a->data, b->data, F, &r))
        return sfl_core_error(L);
    lua_pushnumber(L, r);
    sfl_array *fm = sfl_matrix_new(L, 3, 3);
    memcpy(fm->data, F, sizeof F);
    return 2;
}

static const luaL_Reg funcs[] = {
    {"d2min", l_d2min},
    {"d2min_fit", l_d2min_fit},
    {NULL, NULL},
};

static const char *const func_docs[] = {
    "sflex.d2min(ref, def, {cutoff = R [, normalize = false, order = \"reference\"]}) -> d2min, F, nneigh\n"
    "Falk-Langer non-affine squared displacement of every atom between a reference\n"
    "and a deformed configuration.  Neighbours: closer than R in the reference\n"
    "(R below half the box width).  Atoms are matched by id (any order; atoms that\n"
    "crossed periodic boundaries are fine: neighbour vectors are minimum images in\n"
    "each configuration's own box, triclinic allowed).  Returns a Vector of D2min\n"
    "(A^2; per neighbour with normalize = true), the n x 9 Matrix of local\n"
    "deformation gradients (columns Fxx .. Fzz) and the Vector of neighbour counts,\n"
    "in the reference's atom order (order = \"deformed\": the deformed one's).  An atom\n"
    "whose neighbours do not span 3D gets NaN.  OpenMP; results independent of the\n"
    "thread count.  Example: sflex.d2min(a0, a1, {cutoff = 4.0}).",
    "sflex.d2min_fit(d0, d) -> d2min, F\n"
    "The D2min fit for one atom: neighbour vectors d0 (reference) and d (deformed) as\n"
    "m x 3 Matrices; returns the residual and the 3 x 3 best-fit deformation gradient.",
    NULL,
};

void sfl_open_mech(lua_State *L)
{
    sfl_register(L, funcs, func_docs);
}
