/* l_neighbor.c - sflex.NeighborList and sflex.Rdf, plus the structure
 * kernels that return plain arrays (descriptors, per-atom g(r),
 * coarse-graining).
 *
 *   local nl = sflex.neighbors(atoms, 5.0, {half = true})
 *   local j, d = nl:neighbors(1)          -- Vectors (1-based atom indices)
 *   local r = sflex._core._rdf(atoms, 10, 0.02)   -- wrapped by sflex.rdf
 *
 * A NeighborList and an Rdf keep their Atoms alive through their user
 * value; distances() and vectors() are views into the list (no copy). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l_sflex.h"
#include "sf_angular.h"
#include "sf_descriptor.h"
#include "sf_neighbor.h"
#include "sf_rdf.h"

#define SFL_NEIGHBORS "sflex.NeighborList"
#define SFL_RDF "sflex.Rdf"

/* ---- helpers ------------------------------------------------------------------ */

static int opt_bool_field(lua_State *L, int t, const char *k, int def)
{
    if (lua_isnoneornil(L, t))
        return def;
    lua_getfield(L, t, k);
    int v = lua_isnil(L, -1) ? def : lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

static double opt_num_field(lua_State *L, int t, const char *k, double def)
{
    if (lua_isnoneornil(L, t))
        return def;
    lua_getfield(L, t, k);
    double v = def;
    if (!lua_isnil(L, -1)) {
        int ok;
        v = lua_tonumberx(L, -1, &ok);
        if (!ok)
            luaL_error(L, "option '%s' must be a number", k);
    }
    lua_pop(L, 1);
    return v;
}

/* Type number from an integer or a species name (names: ntypes strings,
 * entries may be NULL). */
static int check_type(lua_State *L, int idx, char *const *names, int ntypes)
{
    if (lua_type(L, idx) == LUA_TNUMBER) {
        lua_Integer t = luaL_checkinteger(L, idx);
        if (t < 1 || t > ntypes)
            luaL_argerror(L, idx, lua_pushfstring(L, "type %d not in 1..%d",
                                                  (int)t, ntypes));
        return (int)t;
    }
    const char *s = luaL_checkstring(L, idx);
    for (int t = 0; t < ntypes; t++)
        if (names[t] && strcmp(names[t], s) == 0)
            return t + 1;
    return luaL_argerror(L, idx,
                         lua_pushfstring(L, "no species named '%s'", s));
}

/* Species label: the name or the type number. */
static const char *label(lua_State *L, char *const *names, int t)
{
    if (names[t - 1])
        return names[t - 1];
    return lua_pushfstring(L, "%d", t);
}

static void set_colnames(lua_State *L, sfl_array *m, char **names)
{
    /* takes ownership of names (m->cols strings) */
    m->colnames = names;
    (void)L;
}

/* Name the nc columns of m with colname(params, atoms, column, buf, size). */
typedef void (*colname_fn)(const void *p, const sf_atoms *a, size_t c, char *buf, size_t n);

static void name_columns(lua_State *L, sfl_array *m, size_t nc, colname_fn colname,
                         const void *p, const sf_atoms *a)
{
    char **names = calloc(nc, sizeof *names);
    if (!names)
        luaL_error(L, "out of memory");
    for (size_t c = 0; c < nc; c++) {
        char buf[256];
        colname(p, a, c, buf, sizeof buf);
        names[c] = strdup(buf);
    }
    set_colnames(L, m, names);
}

static void descriptor_colname(const void *p, const sf_atoms *a, size_t c, char *buf, size_t n)
{
    sf_descriptor_colname(p, a, c, buf, n);
}

static void angular_colname(const void *p, const sf_atoms *a, size_t c, char *buf, size_t n)
{
    sf_angular_colname(p, a, c, buf, n);
}

/* Per-atom flags from a Vector of 0/1, a table of booleans (n long), or
 * nil.  Returns NULL for nil; otherwise a malloc'ed array. */
static unsigned char *opt_mask(lua_State *L, int idx, size_t n)
{
    if (lua_isnoneornil(L, idx))
        return NULL;
    unsigned char *m = malloc(n ? n : 1);
    if (!m)
        luaL_error(L, "out of memory");
    sfl_array *v = sfl_test_array(L, idx);
    if (v) {
        if (v->rows * v->cols != n) {
            free(m);
            luaL_error(L, "mask has %d values for %d atoms",
                       (int)(v->rows * v->cols), (int)n);
        }
        for (size_t i = 0; i < n; i++)
            m[i] = v->data[i] != 0.0;
        return m;
    }
    if (!lua_istable(L, idx)) {
        free(m);
        luaL_typeerror(L, idx, "Vector or table of booleans");
    }
    if (lua_rawlen(L, idx) != n) {
        free(m);
        luaL_error(L, "mask has %d values for %d atoms", (int)lua_rawlen(L, idx),
                   (int)n);
    }
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, idx, (lua_Integer)i + 1);
        int t = lua_type(L, -1);
        m[i] = t == LUA_TNUMBER ? lua_tonumber(L, -1) != 0 : lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    return m;
}

/* ---- NeighborList --------------------------------------------------------------- */

typedef struct sfl_neighbors {
    sf_neighbor_list *nl;
} sfl_neighbors;

static sf_neighbor_list *check_nl(lua_State *L, int idx)
{
    sfl_neighbors *u = luaL_checkudata(L, idx, SFL_NEIGHBORS);
    if (!u->nl)
        luaL_error(L, "NeighborList has been freed");
    return u->nl;
}

/* sflex.neighbors(atoms, cutoff [, {half=false, vectors=true}]) */
static int l_neighbors(lua_State *L)
{
    sf_atoms *a = sfl_check_atoms(L, 1);
    double rc = luaL_checknumber(L, 2);
    if (!lua_isnoneornil(L, 3))
        luaL_checktype(L, 3, LUA_TTABLE);
    int flags = 0;
    if (opt_bool_field(L, 3, "half", 0))
        flags |= SF_NEIGHBOR_HALF;
    if (!opt_bool_field(L, 3, "vectors", 1))
        flags |= SF_NEIGHBOR_NOVEC;
    sfl_neighbors *u = lua_newuserdatauv(L, sizeof *u, 1);
    u->nl = NULL;
    luaL_setmetatable(L, SFL_NEIGHBORS);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    u->nl = sf_neighbor_build(a, rc, flags);
    if (!u->nl)
        return sfl_core_error(L);
    return 1;
}

static int nl_gc(lua_State *L)
{
    sfl_neighbors *u = luaL_checkudata(L, 1, SFL_NEIGHBORS);
    sf_neighbor_free(u->nl);
    u->nl = NULL;
    return 0;
}

static int nl_tostring(lua_State *L)
{
    sfl_neighbors *u = luaL_checkudata(L, 1, SFL_NEIGHBORS);
    if (!u->nl) {
        lua_pushliteral(L, "NeighborList(freed)");
        return 1;
    }
    lua_pushfstring(L, "NeighborList(n=%I, pairs=%I, cutoff=%f, %s%s)",
                    (lua_Integer)u->nl->n, (lua_Integer)u->nl->npairs,
                    u->nl->cutoff, u->nl->half ? "half" : "full",
                    u->nl->vec ? "" : ", no vectors");
    return 1;
}

static int nl_len(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)check_nl(L, 1)->n);
    return 1;
}

static int nl_count(lua_State *L)
{
    sf_neighbor_list *nl = check_nl(L, 1);
    sfl_array *v = sfl_vector_new(L, nl->n);
    for (size_t i = 0; i < nl->n; i++)
        v->data[i] = (double)(nl->offsets[i + 1] - nl->offsets[i]);
    return 1;
}

static int nl_offsets(lua_State *L)
{
    sf_neighbor_list *nl = check_nl(L, 1);
    sfl_array *v = sfl_vector_new(L, nl->n + 1);
    for (size_t i = 0; i <= nl->n; i++)
        v->data[i] = (double)nl->offsets[i] + 1.0;
    return 1;
}

static int nl_indices(lua_State *L)
{
    sf_neighbor_list *nl = check_nl(L, 1);
    sfl_array *v = sfl_vector_new(L, nl->npairs);
    for (size_t k = 0; k < nl->npairs; k++)
        v->data[k] = (double)nl->j[k] + 1.0;
    return 1;
}

static int nl_distances(lua_State *L)
{
    sf_neighbor_list *nl = check_nl(L, 1);
    sfl_array_view(L, SFL_VECTOR, nl->npairs, 1, nl->dist, 1);
    return 1;
}

static int nl_vectors(lua_State *L)
{
    sf_neighbor_list *nl = check_nl(L, 1);
    if (!nl->vec)
        return luaL_error(L, "this NeighborList was built with vectors=false");
    sfl_array_view(L, SFL_MATRIX, nl->npairs, 3, nl->vec, 1);
    return 1;
}

/* nl:neighbors(i) -> j (Vector, 1-based), d (Vector) [, vec (Matrix)] */
static int nl_neighbors(lua_State *L)
{
    sf_neighbor_list *nl = check_nl(L, 1);
    lua_Integer i = luaL_checkinteger(L, 2);
    luaL_argcheck(L, i >= 1 && (size_t)i <= nl->n, 2, "atom index out of range");
    size_t o = nl->offsets[i - 1], m = nl->offsets[i] - o;
    sfl_array *j = sfl_vector_new(L, m);
    sfl_array *d = sfl_vector_new(L, m);
    for (size_t k = 0; k < m; k++) {
        j->data[k] = (double)nl->j[o + k] + 1.0;
        d->data[k] = nl->dist[o + k];
    }
    if (!nl->vec)
        return 2;
    sfl_array *v = sfl_matrix_new(L, m, 3);
    memcpy(v->data, nl->vec + 3 * o, 3 * m * sizeof(double));
    return 3;
}

static int nl_npairs(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)check_nl(L, 1)->npairs);
    return 1;
}

static int nl_cutoff(lua_State *L)
{
    lua_pushnumber(L, check_nl(L, 1)->cutoff);
    return 1;
}

static int nl_is_half(lua_State *L)
{
    lua_pushboolean(L, check_nl(L, 1)->half);
    return 1;
}

static int nl_atoms(lua_State *L)
{
    check_nl(L, 1);
    lua_getiuservalue(L, 1, 1);
    return 1;
}

/* nl:update([atoms]) -> nl: rebuild for the atoms' current positions (or
 * for other atoms), reusing the list's memory */
static int nl_update(lua_State *L)
{
    sf_neighbor_list *nl = check_nl(L, 1);
    if (!lua_isnoneornil(L, 2)) {
        sfl_check_atoms(L, 2);
        lua_pushvalue(L, 2);
        lua_setiuservalue(L, 1, 1);
    }
    lua_getiuservalue(L, 1, 1);
    sf_atoms *a = sfl_check_atoms(L, -1);
    if (sf_neighbor_update(nl, &a->box, a->n, a->x))
        return sfl_core_error(L);
    lua_settop(L, 1);
    return 1;
}

static int nl_bytes(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)sf_neighbor_bytes(check_nl(L, 1)));
    return 1;
}

static const luaL_Reg nl_methods[] = {
    {"count", nl_count},         {"offsets", nl_offsets},
    {"indices", nl_indices},     {"distances", nl_distances},
    {"vectors", nl_vectors},     {"neighbors", nl_neighbors},
    {"npairs", nl_npairs},       {"cutoff", nl_cutoff},
    {"is_half", nl_is_half},     {"atoms", nl_atoms},
    {"bytes", nl_bytes},         {"update", nl_update},
    {NULL, NULL},
};

static const char *const nl_docs[] = {
    "nl:count() -> Vector: number of neighbours of each atom",
    "nl:offsets() -> Vector of n+1: the entries of atom i are\n"
    "  offsets[i] .. offsets[i+1]-1 (1-based, CSR form)",
    "nl:indices() -> Vector: neighbour atom index of every entry (1-based)",
    "nl:distances() -> Vector (a view, no copy): distance of every entry",
    "nl:vectors() -> Matrix npairs x 3 (a view): x_j - x_i of every entry,\n"
    "  for the periodic image of j that is within the cutoff",
    "nl:neighbors(i) -> j, d [, vec]: neighbour indices (Vector, 1-based),\n"
    "  distances (Vector) and displacements (Matrix m x 3) of atom i",
    "nl:npairs() -> number of entries",
    "nl:cutoff() -> the cutoff",
    "nl:is_half() -> true when each pair is stored once",
    "nl:atoms() -> the Atoms the list was built from",
    "nl:bytes() -> memory held by the list",
    "nl:update([atoms]) -> nl\n"
    "  Rebuild for the current positions of the list's atoms (or of other\n"
    "  atoms, which the list then keeps), reusing the list's memory.",
    NULL,
};

static const luaL_Reg nl_meta[] = {
    {"__gc", nl_gc},
    {"__close", nl_gc},
    {"__tostring", nl_tostring},
    {"__len", nl_len},
    {NULL, NULL},
};

/* ---- Rdf --------------------------------------------------------------------- */

typedef struct sfl_rdf {
    sf_rdf *r;
    char **names; /* ntypes species names (entries may be NULL) */
} sfl_rdf;

static sfl_rdf *check_rdf(lua_State *L, int idx)
{
    sfl_rdf *u = luaL_checkudata(L, idx, SFL_RDF);
    if (!u->r)
        luaL_error(L, "Rdf has been freed");
    return u;
}

static int rdf_gc(lua_State *L)
{
    sfl_rdf *u = luaL_checkudata(L, 1, SFL_RDF);
    if (u->r && u->names)
        for (int t = 0; t < u->r->ntypes; t++)
            free(u->names[t]);
    free(u->names);
    u->names = NULL;
    sf_rdf_free(u->r);
    u->r = NULL;
    return 0;
}

/* sflex._rdf(atoms, rmax, dr [, centres]) -> Rdf */
static int l_rdf(lua_State *L)
{
    sf_atoms *a = sfl_check_atoms(L, 1);
    double rmax = luaL_checknumber(L, 2);
    double dr = luaL_checknumber(L, 3);
    unsigned char *mask = opt_mask(L, 4, a->n);
    sfl_rdf *u = lua_newuserdatauv(L, sizeof *u, 1);
    u->r = NULL;
    u->names = NULL;
    luaL_setmetatable(L, SFL_RDF);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    u->r = sf_rdf_compute(a, rmax, dr, mask);
    free(mask);
    if (!u->r)
        return sfl_core_error(L);
    u->names = calloc((size_t)a->ntypes, sizeof *u->names);
    if (!u->names)
        return luaL_error(L, "out of memory");
    for (int t = 0; t < a->ntypes; t++)
        if (a->species[t])
            u->names[t] = strdup(a->species[t]);
    return 1;
}

static int rdf_tostring(lua_State *L)
{
    sfl_rdf *u = luaL_checkudata(L, 1, SFL_RDF);
    if (!u->r) {
        lua_pushliteral(L, "Rdf(freed)");
        return 1;
    }
    lua_pushfstring(L, "Rdf(types=%d, bins=%I, rmax=%f, dr=%f, centres=%I)",
                    u->r->ntypes, (lua_Integer)u->r->nbins, u->r->rmax,
                    u->r->dr, (lua_Integer)u->r->ncentres);
    return 1;
}

static int rdf_r(lua_State *L)
{
    sfl_rdf *u = check_rdf(L, 1);
    sfl_array_view(L, SFL_VECTOR, u->r->nbins, 1, u->r->r, 1);
    return 1;
}

/* Symmetrised partial of the unordered pair {a, b}: both orders' counts
 * over both orders' ideal counts (= g_ab when every atom is a centre). */
static void gsym(const sf_rdf *r, int a, int b, double *out)
{
    size_t oab = sf_rdf_offset(r, a, b), oba = sf_rdf_offset(r, b, a);
    double na = (double)r->counts[a - 1], nb = (double)r->counts[b - 1];
    double ca = (double)r->centres[a - 1], cb = (double)r->centres[b - 1];
    double pairs = a == b ? ca * (na - 1) : ca * nb + cb * na;
    for (size_t k = 0; k < r->nbins; k++) {
        double lo = (double)k * r->dr, hi = lo + r->dr;
        double dv = 4.0 / 3.0 * M_PI * (hi * hi * hi - lo * lo * lo);
        double h = a == b ? (double)r->hist[oab + k]
                          : (double)r->hist[oab + k] + (double)r->hist[oba + k];
        double norm = pairs / r->volume * dv;
        out[k] = norm > 0 ? h / norm : 0.0;
    }
}

/* rdf:g(a, b) -> Vector (view): centres of type a, neighbours of type b */
static int rdf_g(lua_State *L)
{
    sfl_rdf *u = check_rdf(L, 1);
    int a = check_type(L, 2, u->names, u->r->ntypes);
    int b = check_type(L, 3, u->names, u->r->ntypes);
    sfl_array_view(L, SFL_VECTOR, u->r->nbins, 1,
                   u->r->g + sf_rdf_offset(u->r, a, b), 1);
    return 1;
}

/* rdf:cn(a, b) -> Vector (view): running coordination number */
static int rdf_cn(lua_State *L)
{
    sfl_rdf *u = check_rdf(L, 1);
    int a = check_type(L, 2, u->names, u->r->ntypes);
    int b = check_type(L, 3, u->names, u->r->ntypes);
    sfl_array_view(L, SFL_VECTOR, u->r->nbins, 1,
                   u->r->cn + sf_rdf_offset(u->r, a, b), 1);
    return 1;
}

static int rdf_total(lua_State *L)
{
    sfl_rdf *u = check_rdf(L, 1);
    sfl_array_view(L, SFL_VECTOR, u->r->nbins, 1, u->r->gtotal, 1);
    return 1;
}

/* rdf:table() -> Matrix: r, then g_A_B for A <= B (symmetrised) */
static int rdf_table(lua_State *L)
{
    sfl_rdf *u = check_rdf(L, 1);
    const sf_rdf *r = u->r;
    int nt = r->ntypes;
    size_t np = (size_t)nt * (nt + 1) / 2, nb = r->nbins;
    sfl_array *m = sfl_matrix_new(L, nb, np + 1);
    int mi = lua_gettop(L);
    char **names = calloc(np + 1, sizeof *names);
    double *tmp = malloc(nb * sizeof *tmp);
    if (!names || !tmp) {
        free(names);
        free(tmp);
        return luaL_error(L, "out of memory");
    }
    names[0] = strdup("r");
    for (size_t k = 0; k < nb; k++)
        m->data[k * (np + 1)] = r->r[k];
    size_t col = 1;
    for (int a = 1; a <= nt; a++)
        for (int b = a; b <= nt; b++, col++) {
            gsym(r, a, b, tmp);
            for (size_t k = 0; k < nb; k++)
                m->data[k * (np + 1) + col] = tmp[k];
            const char *la = label(L, u->names, a);
            const char *lb = label(L, u->names, b);
            names[col] = strdup(lua_pushfstring(L, "g_%s_%s", la, lb));
            lua_settop(L, mi);
        }
    free(tmp);
    set_colnames(L, m, names);
    return 1;
}

static void peak_opts(lua_State *L, int idx, sf_peak_opts *o)
{
    sf_peak_opts_init(o);
    if (lua_isnoneornil(L, idx))
        return;
    luaL_checktype(L, idx, LUA_TTABLE);
    o->smooth = (int)opt_num_field(L, idx, "smooth", o->smooth);
    o->threshold = opt_num_field(L, idx, "threshold", o->threshold);
}

/* rdf:peak(a, b [, opts]) -> r, g of the first peak of the symmetrised
 * partial {a, b} */
static int rdf_peak(lua_State *L)
{
    sfl_rdf *u = check_rdf(L, 1);
    int a = check_type(L, 2, u->names, u->r->ntypes);
    int b = check_type(L, 3, u->names, u->r->ntypes);
    sf_peak_opts o;
    peak_opts(L, 4, &o);
    double *tmp = malloc(u->r->nbins * sizeof *tmp);
    if (!tmp)
        return luaL_error(L, "out of memory");
    gsym(u->r, a, b, tmp);
    double rp, gp;
    int rc = sf_peak_first(u->r->r, tmp, u->r->nbins, &o, &rp, &gp, NULL);
    free(tmp);
    if (rc) {
        lua_pushfstring(L, "g_%s_%s: %s", label(L, u->names, a),
                        label(L, u->names, b), sf_error_message());
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
    }
    lua_pushnumber(L, rp);
    lua_pushnumber(L, gp);
    return 2;
}

/* rdf:shell(a, b [, opts]) -> rmin, cn: first minimum of g_ab and the
 * number of b neighbours of an a atom inside it */
static int rdf_shell(lua_State *L)
{
    sfl_rdf *u = check_rdf(L, 1);
    int a = check_type(L, 2, u->names, u->r->ntypes);
    int b = check_type(L, 3, u->names, u->r->ntypes);
    sf_peak_opts o;
    peak_opts(L, 4, &o);
    double rmin, cn;
    if (sf_rdf_first_shell(u->r, a, b, &o, &rmin, &cn)) {
        lua_pushnil(L);
        lua_pushstring(L, sf_error_message());
        return 2;
    }
    lua_pushnumber(L, rmin);
    lua_pushnumber(L, cn);
    return 2;
}

/* rdf:sq(q [, a, b] [, {window="lorch"|"none"}]) -> Vector */
static int rdf_sq(lua_State *L)
{
    sfl_rdf *u = check_rdf(L, 1);
    int a = 0, b = 0, opt = 3;
    if (!lua_isnoneornil(L, 3) && !lua_istable(L, 3)) {
        a = check_type(L, 3, u->names, u->r->ntypes);
        b = check_type(L, 4, u->names, u->r->ntypes);
        opt = 5;
    }
    sf_sq_window w = SF_SQ_LORCH;
    if (!lua_isnoneornil(L, opt)) {
        luaL_checktype(L, opt, LUA_TTABLE);
        lua_getfield(L, opt, "window");
        if (!lua_isnil(L, -1)) {
            const char *s = luaL_checkstring(L, -1);
            if (strcmp(s, "lorch") == 0)
                w = SF_SQ_LORCH;
            else if (strcmp(s, "none") == 0)
                w = SF_SQ_NONE;
            else
                return luaL_error(L, "window must be \"lorch\" or \"none\"");
        }
        lua_pop(L, 1);
    }
    int pushed;
    sfl_array *q = sfl_opt_vector_arg(L, 2, &pushed);
    size_t nq = q->rows * q->cols;
    sfl_array *s = sfl_vector_new(L, nq);
    if (sf_rdf_sq(u->r, a, b, q->data, nq, w, s->data))
        return sfl_core_error(L);
    return 1;
}

static int rdf_species(lua_State *L)
{
    sfl_rdf *u = check_rdf(L, 1);
    lua_createtable(L, u->r->ntypes, 0);
    for (int t = 1; t <= u->r->ntypes; t++) {
        if (u->names[t - 1])
            lua_pushstring(L, u->names[t - 1]);
        else
            lua_pushfstring(L, "%d", t);
        lua_rawseti(L, -2, t);
    }
    return 1;
}

static int rdf_info(lua_State *L)
{
    sfl_rdf *u = check_rdf(L, 1);
    const sf_rdf *r = u->r;
    lua_createtable(L, 0, 8);
    lua_pushnumber(L, r->rmax);
    lua_setfield(L, -2, "rmax");
    lua_pushnumber(L, r->dr);
    lua_setfield(L, -2, "dr");
    lua_pushinteger(L, (lua_Integer)r->nbins);
    lua_setfield(L, -2, "bins");
    lua_pushnumber(L, r->volume);
    lua_setfield(L, -2, "volume");
    lua_pushinteger(L, (lua_Integer)r->ncentres);
    lua_setfield(L, -2, "centres");
    lua_createtable(L, r->ntypes, 0);
    lua_createtable(L, r->ntypes, 0);
    for (int t = 1; t <= r->ntypes; t++) {
        lua_pushinteger(L, (lua_Integer)r->counts[t - 1]);
        lua_rawseti(L, -3, t);
        lua_pushinteger(L, (lua_Integer)r->centres[t - 1]);
        lua_rawseti(L, -2, t);
    }
    lua_setfield(L, -3, "centres_per_type");
    lua_setfield(L, -2, "counts");
    return 1;
}

static const luaL_Reg rdf_methods[] = {
    {"r", rdf_r},         {"g", rdf_g},         {"cn", rdf_cn},
    {"total", rdf_total}, {"table", rdf_table}, {"peak", rdf_peak},
    {"shell", rdf_shell}, {"sq", rdf_sq},       {"species", rdf_species},
    {"info", rdf_info},   {NULL, NULL},
};

static const char *const rdf_docs[] = {
    "rdf:r() -> Vector (view): bin centres",
    "rdf:g(a, b) -> Vector (view): g_ab(r), centres of species a (name or\n"
    "  type number), neighbours of species b",
    "rdf:cn(a, b) -> Vector (view): running coordination number, b atoms\n"
    "  within the bin's upper edge of an a centre",
    "rdf:total() -> Vector (view): total g(r)",
    "rdf:table() -> Matrix: columns r, g_A_B for A <= B in species order\n"
    "  (symmetrised over both orders when only some atoms are centres)",
    "rdf:peak(a, b [, {smooth=2, threshold=0.5}]) -> r, g | nil, msg\n"
    "  First peak of g_ab: moving average over 2*smooth+1 bins, first local\n"
    "  maximum reaching threshold * max, parabola through it.",
    "rdf:shell(a, b [, opts]) -> rmin, cn | nil, msg\n"
    "  First minimum after the first peak and the coordination number in it.",
    "rdf:sq(q [, a, b] [, {window=\"lorch\"}]) -> Vector\n"
    "  Faber-Ziman partial S_ab(q) (total number-number S(q) without a, b)\n"
    "  by direct sine transform; window \"lorch\" (default) or \"none\".",
    "rdf:species() -> {names}: species labels in type order",
    "rdf:info() -> {rmax, dr, bins, volume, centres, counts, centres_per_type}",
    NULL,
};

static const luaL_Reg rdf_meta[] = {
    {"__gc", rdf_gc},
    {"__close", rdf_gc},
    {"__tostring", rdf_tostring},
    {NULL, NULL},
};

/* ---- plain functions ------------------------------------------------------------ */

/* Option precision = "double" (default) | "float" of table t: 1 for float. */
static int opt_precision(lua_State *L, int t, const char *what)
{
    lua_getfield(L, t, "precision");
    const char *v = lua_isnil(L, -1) ? "double" : lua_tostring(L, -1);
    int f32;
    if (v && (!strcmp(v, "double") || !strcmp(v, "float64")))
        f32 = 0;
    else if (v && (!strcmp(v, "float") || !strcmp(v, "float32")))
        f32 = 1;
    else
        return luaL_error(L, "%s: precision must be \"double\" or \"float\", "
                             "got %s", what, v ? v : luaL_typename(L, -1));
    lua_pop(L, 1);
    return f32;
}

/* sflex._descriptor(atoms, {r0,r1,h,sigma,cutoff,reduced,rp={flat},window,
 * precision="double"|"float"})
 * -> Matrix with column names */
static int l_descriptor(lua_State *L)
{
    sf_atoms *a = sfl_check_atoms(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    sf_descriptor_params p;
    sf_descriptor_params_init(&p);
    p.reduced = opt_bool_field(L, 2, "reduced", 1);
    if (!p.reduced)
        sf_descriptor_params_init_angstrom(&p);
    p.r0 = opt_num_field(L, 2, "r0", p.r0);
    p.r1 = opt_num_field(L, 2, "r1", p.r1);
    p.h = opt_num_field(L, 2, "h", p.h);
    p.sigma = opt_num_field(L, 2, "sigma", p.sigma);
    p.cutoff = opt_num_field(L, 2, "cutoff", p.cutoff);
    p.window = opt_num_field(L, 2, "window", p.window);
    int nt = a->ntypes;
    double *rp = NULL;
    if (p.reduced) {
        lua_getfield(L, 2, "rp");
        if (!lua_istable(L, -1))
            return luaL_error(L, "descriptor: reduced units need rp (a table "
                                 "of %d x %d first-peak positions)",
                              nt, nt);
        if ((int)lua_rawlen(L, -1) != nt * nt)
            return luaL_error(L, "descriptor: rp has %d values, need %d",
                              (int)lua_rawlen(L, -1), nt * nt);
        int rt = lua_gettop(L);
        rp = lua_newuserdatauv(L, (size_t)nt * nt * sizeof *rp, 0);
        for (int k = 0; k < nt * nt; k++) {
            lua_rawgeti(L, rt, k + 1);
            int ok;
            rp[k] = lua_tonumberx(L, -1, &ok);
            if (!ok)
                return luaL_error(L, "descriptor: rp[%d] is not a number", k + 1);
            lua_pop(L, 1);
        }
        p.rp = rp;
    }
    if (sf_descriptor_check(&p, nt))
        return sfl_core_error(L);
    size_t nc = sf_descriptor_ncols(&p, nt);
    int f32 = opt_precision(L, 2, "descriptor");
    sfl_array *m = f32 ? sfl_matrix_new_f32(L, a->n, nc) : sfl_matrix_new(L, a->n, nc);
    if (sf_descriptor_compute(a, &p, m->data, m->fdata))
        return sfl_core_error(L);
    name_columns(L, m, nc, descriptor_colname, &p, a);
    return 1;
}

/* A list option {v1, v2, ...} of at most max numbers into out; absent: *n
 * unchanged (the default). */
static void opt_num_list(lua_State *L, int t, const char *k, double *out,
                         int *n, int max)
{
    lua_getfield(L, t, k);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return;
    }
    if (lua_type(L, -1) == LUA_TNUMBER) { /* a single value */
        out[0] = lua_tonumber(L, -1);
        *n = 1;
        lua_pop(L, 1);
        return;
    }
    if (!lua_istable(L, -1))
        luaL_error(L, "angular descriptor: %s must be a list of numbers", k);
    int len = (int)lua_rawlen(L, -1);
    if (len < 1 || len > max)
        luaL_error(L, "angular descriptor: %s has %d values (need 1..%d)", k,
                   len, max);
    for (int i = 0; i < len; i++) {
        lua_rawgeti(L, -1, i + 1);
        int ok;
        out[i] = lua_tonumberx(L, -1, &ok);
        if (!ok)
            luaL_error(L, "angular descriptor: %s[%d] is not a number", k, i + 1);
        lua_pop(L, 1);
    }
    *n = len;
    lua_pop(L, 1);
}

/* A flat ntypes x ntypes rp list at field "rp" of table t into a buffer
 * owned by a userdata pushed on the stack. */
static double *rp_field(lua_State *L, int t, int nt, const char *what)
{
    lua_getfield(L, t, "rp");
    if (!lua_istable(L, -1))
        luaL_error(L, "%s: reduced units need rp (a table of %d x %d "
                      "first-peak positions)", what, nt, nt);
    if ((int)lua_rawlen(L, -1) != nt * nt)
        luaL_error(L, "%s: rp has %d values, need %d", what,
                   (int)lua_rawlen(L, -1), nt * nt);
    int rt = lua_gettop(L);
    double *rp = lua_newuserdatauv(L, (size_t)nt * nt * sizeof *rp, 0);
    for (int k = 0; k < nt * nt; k++) {
        lua_rawgeti(L, rt, k + 1);
        int ok;
        rp[k] = lua_tonumberx(L, -1, &ok);
        if (!ok)
            luaL_error(L, "%s: rp[%d] is not a number", what, k + 1);
        lua_pop(L, 1);
    }
    return rp;
}

/* sflex._angular(atoms, {xi, lambda, zeta, cutoff, reduced, rp={flat},
 * precision})
 * -> Matrix with column names (see sf_angular.h) */
static int l_angular(lua_State *L)
{
    sf_atoms *a = sfl_check_atoms(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 2);
    sf_angular_params p;
    if (opt_bool_field(L, 2, "reduced", 1))
        sf_angular_params_init(&p);
    else
        sf_angular_params_init_angstrom(&p);
    opt_num_list(L, 2, "xi", p.xi, &p.nxi, SF_ANGULAR_MAXPAR);
    opt_num_list(L, 2, "lambda", p.lambda, &p.nlambda, SF_ANGULAR_MAXPAR);
    opt_num_list(L, 2, "zeta", p.zeta, &p.nzeta, SF_ANGULAR_MAXPAR);
    p.cutoff = opt_num_field(L, 2, "cutoff", p.cutoff);
    int nt = a->ntypes;
    if (p.reduced)
        p.rp = rp_field(L, 2, nt, "angular descriptor");
    if (sf_angular_check(&p, nt))
        return sfl_core_error(L);
    size_t nc = sf_angular_ncols(&p, nt);
    int f32 = opt_precision(L, 2, "angular descriptor");
    sfl_array *m = f32 ? sfl_matrix_new_f32(L, a->n, nc) : sfl_matrix_new(L, a->n, nc);
    if (sf_angular_compute(a, &p, m->data, m->fdata))
        return sfl_core_error(L);
    name_columns(L, m, nc, angular_colname, &p, a);
    return 1;
}

/* sflex.rdf_atoms(atoms, indices, rmax, dr) -> Matrix m x (ntypes*bins) */
static int l_rdf_atoms(lua_State *L)
{
    sf_atoms *a = sfl_check_atoms(L, 1);
    int pushed;
    sfl_array *iv = sfl_opt_vector_arg(L, 2, &pushed);
    double rmax = luaL_checknumber(L, 3), dr = luaL_checknumber(L, 4);
    size_t m = iv->rows * iv->cols;
    size_t *idx = malloc((m ? m : 1) * sizeof *idx);
    if (!idx)
        return luaL_error(L, "out of memory");
    for (size_t k = 0; k < m; k++) {
        double v = iv->data[k];
        if (!(v >= 1 && v <= (double)a->n) || v != floor(v)) {
            free(idx);
            return luaL_error(L, "rdf_atoms: index %f is not an atom (1..%d)", v,
                              (int)a->n);
        }
        idx[k] = (size_t)v - 1;
    }
    size_t nb = (size_t)ceil(rmax / dr - 1e-9);
    if (!(dr > 0) || !(rmax > 0) || nb > 100000000) {
        free(idx);
        return luaL_error(L, "rdf_atoms: bad rmax %f / dr %f", rmax, dr);
    }
    if (nb < 1)
        nb = 1;
    int nt = a->ntypes;
    sfl_array *out = sfl_matrix_new(L, m, (size_t)nt * nb);
    if (sf_rdf_per_atom(a, idx, m, rmax, dr, out->data)) {
        free(idx);
        return sfl_core_error(L);
    }
    free(idx);
    char **names = calloc((size_t)nt * nb, sizeof *names);
    if (!names)
        return luaL_error(L, "out of memory");
    for (int t = 0; t < nt; t++)
        for (size_t k = 0; k < nb; k++) {
            char buf[256];
            if (a->species[t])
                snprintf(buf, sizeof buf, "g_%s_%.4g", a->species[t], (k + 0.5) * dr);
            else
                snprintf(buf, sizeof buf, "g_%d_%.4g", t + 1, (k + 0.5) * dr);
            names[(size_t)t * nb + k] = strdup(buf);
        }
    set_colnames(L, out, names);
    return 1;
}

/* sflex.coarse_grain(atoms, values, radius) -> Vector, or Matrix (every
 * column, names kept) */
static int l_coarse_grain(lua_State *L)
{
    sf_atoms *a = sfl_check_atoms(L, 1);
    double radius = luaL_checknumber(L, 3);
    if (luaL_testudata(L, 2, SFL_MATRIX)) {
        sfl_array *m = sfl_check_matrix(L, 2);
        if (m->rows != a->n)
            return luaL_error(L, "coarse_grain: %d rows for %d atoms",
                              (int)m->rows, (int)a->n);
        sfl_array *out = sfl_matrix_new(L, a->n, m->cols);
        if (sf_coarse_grain_cols(a, m->data, m->cols, radius, out->data))
            return sfl_core_error(L);
        if (m->colnames) {
            char **names = calloc(m->cols, sizeof *names);
            if (!names)
                return luaL_error(L, "out of memory");
            for (size_t c = 0; c < m->cols; c++)
                names[c] = strdup(m->colnames[c] ? m->colnames[c] : "");
            set_colnames(L, out, names);
        }
        return 1;
    }
    int pushed;
    sfl_array *v = sfl_opt_vector_arg(L, 2, &pushed);
    if (v->rows * v->cols != a->n)
        return luaL_error(L, "coarse_grain: %d values for %d atoms",
                          (int)(v->rows * v->cols), (int)a->n);
    sfl_array *out = sfl_vector_new(L, a->n);
    if (sf_coarse_grain(a, v->data, radius, out->data))
        return sfl_core_error(L);
    return 1;
}

/* sflex.first_peak(r, g [, opts]) -> r, g | nil, msg */
static int l_first_peak(lua_State *L)
{
    int p1, p2;
    sfl_array *r = sfl_opt_vector_arg(L, 1, &p1);
    int ri = lua_gettop(L);
    sfl_array *g = sfl_opt_vector_arg(L, 2, &p2);
    (void)ri;
    size_t n = r->rows * r->cols;
    if (g->rows * g->cols != n)
        return luaL_error(L, "first_peak: r and g differ in length");
    sf_peak_opts o;
    peak_opts(L, 3, &o);
    double rp, gp;
    if (sf_peak_first(r->data, g->data, n, &o, &rp, &gp, NULL)) {
        lua_pushnil(L);
        lua_pushstring(L, sf_error_message());
        return 2;
    }
    lua_pushnumber(L, rp);
    lua_pushnumber(L, gp);
    return 2;
}

/* sflex._write_columns(path, {blocks}, {names} [, order [, digits=10]])
 * Whitespace table: a header, then row order[k] of every block side by
 * side.  Temporary file, renamed when complete; path "-" is stdout. */
static int l_write_columns(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    luaL_checktype(L, 3, LUA_TTABLE);
    int nb = (int)lua_rawlen(L, 2);
    luaL_argcheck(L, nb >= 1, 2, "no columns");
    int digits = (int)luaL_optinteger(L, 5, 10);
    luaL_argcheck(L, digits >= 1 && digits <= 17, 5, "digits must be 1..17");
    lua_settop(L, 5);
    sfl_array **blk = lua_newuserdatauv(L, (size_t)nb * sizeof *blk, 0);
    size_t rows = 0, cols = 0;
    for (int b = 0; b < nb; b++) {
        lua_rawgeti(L, 2, b + 1);
        blk[b] = sfl_test_array_any(L, -1);
        if (!blk[b])
            return luaL_error(L, "write_columns: block %d is not a Vector or Matrix",
                              b + 1);
        lua_pop(L, 1); /* still referenced by the table */
        if (b == 0)
            rows = blk[b]->rows;
        else if (blk[b]->rows != rows)
            return luaL_error(L, "write_columns: block %d has %d rows, expected %d",
                              b + 1, (int)blk[b]->rows, (int)rows);
        cols += blk[b]->cols;
    }
    if (lua_rawlen(L, 3) != cols)
        return luaL_error(L, "write_columns: %d names for %d columns",
                          (int)lua_rawlen(L, 3), (int)cols);
    sfl_array *ord = NULL;
    if (!lua_isnoneornil(L, 4)) {
        ord = sfl_test_array(L, 4);
        if (!ord || ord->rows * ord->cols != rows)
            return luaL_error(L, "write_columns: order must be a Vector of %d indices",
                              (int)rows);
        for (size_t k = 0; k < rows; k++)
            if (!(ord->data[k] >= 1 && ord->data[k] <= (double)rows))
                return luaL_error(L, "write_columns: order[%d] = %f is not a row",
                                  (int)k + 1, ord->data[k]);
    }
    int to_stdout = strcmp(path, "-") == 0;
    const char *tmp = lua_pushfstring(L, "%s.part", path);
    FILE *f = to_stdout ? stdout : fopen(tmp, "w");
    if (!f)
        return luaL_error(L, "%s: cannot write: %s", tmp, strerror(errno));
    for (size_t c = 0; c < cols; c++) {
        lua_rawgeti(L, 3, (lua_Integer)c + 1);
        const char *nm = lua_tostring(L, -1);
        fprintf(f, c ? " %s" : "%s", nm ? nm : "?");
        lua_pop(L, 1);
    }
    fputc('\n', f);
    for (size_t k = 0; k < rows; k++) {
        size_t i = ord ? (size_t)ord->data[k] - 1 : k;
        int first = 1;
        for (int b = 0; b < nb; b++) {
            size_t base = i * blk[b]->cols;
            for (size_t c = 0; c < blk[b]->cols; c++) {
                if (!first)
                    fputc(' ', f);
                first = 0;
                fprintf(f, "%.*g", digits, sfl_at(blk[b], base + c));
            }
        }
        fputc('\n', f);
    }
    int bad = ferror(f);
    if (to_stdout) {
        if (fflush(f) != 0 || bad)
            return luaL_error(L, "stdout: write failed");
        lua_pushstring(L, path);
        return 1;
    }
    if (fclose(f) != 0 || bad) {
        remove(tmp);
        return luaL_error(L, "%s: write failed", path);
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return luaL_error(L, "%s: cannot rename into place: %s", path, strerror(e));
    }
    lua_pushstring(L, path);
    return 1;
}

static const luaL_Reg funcs[] = {
    {"neighbors", l_neighbors},
    {"_rdf", l_rdf},
    {"_descriptor", l_descriptor},
    {"_angular", l_angular},
    {"rdf_atoms", l_rdf_atoms},
    {"coarse_grain", l_coarse_grain},
    {"first_peak", l_first_peak},
    {"_write_columns", l_write_columns},
    {NULL, NULL},
};

static const char *const func_docs[] = {
    "sflex.neighbors(atoms, cutoff [, {half=false, vectors=true}])\n"
    "  -> NeighborList\n"
    "  Every pair closer than cutoff (r < cutoff), periodic images included\n"
    "  (boxes smaller than twice the cutoff list several images of the same\n"
    "  neighbour, and an atom's own images).  half=true stores each pair\n"
    "  once.  Built with cell lists on all threads; the same bytes for any\n"
    "  thread count.",
    "sflex._rdf(atoms, rmax, dr [, centres]) -> Rdf  (see sflex.rdf)",
    "sflex._descriptor(atoms, params) -> Matrix  (see sflex.descriptor)",
    "sflex._angular(atoms, params) -> Matrix  (see sflex.angular_descriptor)",
    "sflex.rdf_atoms(atoms, indices, rmax, dr) -> Matrix\n"
    "  Per-atom partial g(r)_{i,b} (paper eq. 3, with the number density) of\n"
    "  the atoms at the given 1-based indices: one row per index, one block\n"
    "  of bins per neighbour species.  The mean over the a atoms is g_ab.",
    "sflex.coarse_grain(atoms, values, radius) -> Vector | Matrix\n"
    "  Mean of values over each atom and its neighbours within radius (the\n"
    "  atom itself included; r < radius; every periodic image counts).\n"
    "  values: a Vector (or table) of n numbers, or an n-row Matrix such as\n"
    "  a descriptor: then every column is averaged (column names kept).",
    "sflex.first_peak(r, g [, {smooth=2, threshold=0.5}]) -> r, g | nil, msg\n"
    "  First peak of a sampled curve (see rdf:peak).",
    "sflex._write_columns(path, blocks, names [, order, digits])  (see "
    "sflex.write_columns)",
    NULL,
};

void sfl_open_neighbor(lua_State *L)
{
    sfl_new_class(L, SFL_NEIGHBORS, nl_methods, nl_docs, nl_meta,
                  "NeighborList: pairs within a cutoff in CSR form "
                  "(sflex.neighbors).");
    lua_pop(L, 1);
    sfl_new_class(L, SFL_RDF, rdf_methods, rdf_docs, rdf_meta,
                  "Rdf: partial pair distribution functions (sflex.rdf).");
    lua_pop(L, 1);
    sfl_register(L, funcs, func_docs);
}
