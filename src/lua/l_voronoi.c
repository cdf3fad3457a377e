/* l_voronoi.c - sflex.voronoi: per-atom Voronoi cells (sf_voronoi). */
#include "l_sflex.h"
#include "sf_voronoi.h"

#include <string.h>

static double opt_number(lua_State *L, int idx, const char *name, double def)
{
    double v = def;
    if (lua_getfield(L, idx, name) != LUA_TNIL) {
        if (!lua_isnumber(L, -1))
            luaL_error(L, "sflex.voronoi: option %s must be a number", name);
        v = lua_tonumber(L, -1);
    }
    lua_pop(L, 1);
    return v;
}

/* sflex.voronoi(atoms [, {cutoff=, face_min=0.01, edge_min=0}]) */
static int l_voronoi(lua_State *L)
{
    sf_atoms *a = sfl_check_atoms(L, 1);
    sf_voronoi_opts o;
    sf_voronoi_opts_init(&o);
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        o.cutoff = opt_number(L, 2, "cutoff", o.cutoff);
        o.face_min = opt_number(L, 2, "face_min", o.face_min);
        o.edge_min = opt_number(L, 2, "edge_min", o.edge_min);
        lua_pushnil(L);
        while (lua_next(L, 2)) {
            const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
            if (strcmp(k, "cutoff") && strcmp(k, "face_min") && strcmp(k, "edge_min"))
                return luaL_error(L, "sflex.voronoi: unknown option '%s'", k);
            lua_pop(L, 1);
        }
    }
    luaL_argcheck(L, o.face_min >= 0 && o.face_min < 1, 2, "face_min must be in [0, 1)");
    luaL_argcheck(L, o.edge_min >= 0 && o.edge_min < 1, 2, "edge_min must be in [0, 1)");
    size_t n = a->n;
    lua_createtable(L, 0, 7);
    int t = lua_gettop(L);
    static const char *const names[] = {"volume", "area", "nfaces", "fivefold", "a", "maxr"};
    double *cols[6];
    for (int c = 0; c < 6; c++) {
        sfl_array *v = sfl_vector_new(L, n);
        cols[c] = v->data;
        lua_setfield(L, t, names[c]);
    }
    sfl_array *hm = sfl_matrix_new(L, n, SF_VORONOI_MAXEDGE + 1);
    lua_setfield(L, t, "edges");
    int32_t *hist = NULL;
    if (n > 0) {
        hist = lua_newuserdatauv(L, n * (SF_VORONOI_MAXEDGE + 1) * sizeof *hist, 0);
    }
    sf_voronoi_out out = {cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], hist};
    if (sf_voronoi_compute(a, &o, &out) != SF_OK)
        return sfl_core_error(L);
    for (size_t k = 0; k < n * (SF_VORONOI_MAXEDGE + 1); k++)
        hm->data[k] = (double)hist[k];
    if (n > 0)
        lua_pop(L, 1);
    return 1;
}

static const luaL_Reg funcs[] = {
    {"voronoi", l_voronoi},
    {NULL, NULL},
};

static const char *const docs[] = {
    "sflex.voronoi(atoms [, {cutoff=auto, face_min=0.01, edge_min=0}]) -> table\n"
    "  Per-atom Voronoi cells of a periodic configuration (exact; the candidate\n"
    "  cutoff is checked and raised per atom when needed).  Fields, one value per\n"
    "  atom (Vectors): volume, area (surface), nfaces (faces counted), fivefold\n"
    "  (fraction of counted faces that are pentagons), a (mean distance to the\n"
    "  counted Voronoi neighbours), maxr (cell radius); edges: Matrix n x 13,\n"
    "  row i the histogram of edges per counted face (column k+1: k edges; the\n"
    "  last column: 12 or more).  A face counts when its area is at least\n"
    "  face_min times the cell surface; an edge when its length is at least\n"
    "  edge_min times the face perimeter.",
    NULL,
};

void sfl_open_voronoi(lua_State *L)
{
    sfl_register(L, funcs, docs);
}
