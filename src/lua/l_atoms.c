/* l_atoms.c - the Atoms and Box objects. */
#include "l_sflex.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- Box ------------------------------------------------------------------------ */

sf_box *sfl_check_box(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, SFL_BOX);
}

void sfl_push_box(lua_State *L, const sf_box *box)
{
    sf_box *b = lua_newuserdatauv(L, sizeof *b, 0);
    *b = *box;
    luaL_setmetatable(L, SFL_BOX);
}

static void push_vec3(lua_State *L, const double v[3])
{
    lua_createtable(L, 3, 0);
    for (int k = 0; k < 3; k++) {
        lua_pushnumber(L, v[k]);
        lua_rawseti(L, -2, k + 1);
    }
}

static void get_vec3(lua_State *L, int idx, const char *what, double v[3])
{
    idx = lua_absindex(L, idx);
    sfl_array *a = sfl_test_array(L, idx);
    if (a) {
        if (a->rows * a->cols != 3)
            luaL_error(L, "%s: expected 3 numbers", what);
        memcpy(v, a->data, 3 * sizeof(double));
        return;
    }
    if (!lua_istable(L, idx))
        luaL_error(L, "%s: expected a table of 3 numbers", what);
    for (int k = 0; k < 3; k++) {
        lua_rawgeti(L, idx, k + 1);
        int ok;
        v[k] = lua_tonumberx(L, -1, &ok);
        if (!ok)
            luaL_error(L, "%s: element %d is not a number", what, k + 1);
        lua_pop(L, 1);
    }
}

/* sflex.box{lo={..}, hi={..}, tilt={xy,xz,yz}} | sflex.box{lx, ly, lz} */
static int l_box(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    double lo[3] = {0, 0, 0}, hi[3], tilt[3] = {0, 0, 0};
    if (lua_getfield(L, 1, "hi") != LUA_TNIL) {
        get_vec3(L, -1, "box hi", hi);
        if (lua_getfield(L, 1, "lo") != LUA_TNIL)
            get_vec3(L, -1, "box lo", lo);
        lua_pop(L, 1);
    } else {
        double len[3];
        get_vec3(L, 1, "box lengths", len);
        if (lua_getfield(L, 1, "lo") != LUA_TNIL)
            get_vec3(L, -1, "box lo", lo);
        lua_pop(L, 1);
        for (int k = 0; k < 3; k++)
            hi[k] = lo[k] + len[k];
    }
    lua_pop(L, 1);
    if (lua_getfield(L, 1, "tilt") != LUA_TNIL)
        get_vec3(L, -1, "box tilt", tilt);
    lua_pop(L, 1);
    sf_box b;
    if (sf_box_init(&b, lo, hi, tilt[0], tilt[1], tilt[2]))
        return sfl_core_error(L);
    if (lua_getfield(L, 1, "periodic") == LUA_TTABLE)
        for (int k = 0; k < 3; k++) {
            lua_rawgeti(L, -1, k + 1);
            b.periodic[k] = lua_toboolean(L, -1);
            lua_pop(L, 1);
        }
    lua_pop(L, 1);
    sfl_push_box(L, &b);
    return 1;
}

static int box_index(lua_State *L)
{
    sf_box *b = sfl_check_box(L, 1);
    const char *k = luaL_checkstring(L, 2);
    if (!strcmp(k, "lo"))
        push_vec3(L, b->lo);
    else if (!strcmp(k, "hi")) {
        double hi[3] = {b->lo[0] + b->len[0], b->lo[1] + b->len[1],
                        b->lo[2] + b->len[2]};
        push_vec3(L, hi);
    } else if (!strcmp(k, "len") || !strcmp(k, "lengths"))
        push_vec3(L, b->len);
    else if (!strcmp(k, "tilt")) {
        double t[3] = {b->xy, b->xz, b->yz};
        push_vec3(L, t);
    } else if (!strcmp(k, "xy"))
        lua_pushnumber(L, b->xy);
    else if (!strcmp(k, "xz"))
        lua_pushnumber(L, b->xz);
    else if (!strcmp(k, "yz"))
        lua_pushnumber(L, b->yz);
    else if (!strcmp(k, "volume"))
        lua_pushnumber(L, sf_box_volume(b));
    else if (!strcmp(k, "triclinic"))
        lua_pushboolean(L, sf_box_is_triclinic(b));
    else if (!strcmp(k, "periodic")) {
        lua_createtable(L, 3, 0);
        for (int i = 0; i < 3; i++) {
            lua_pushboolean(L, b->periodic[i]);
            lua_rawseti(L, -2, i + 1);
        }
    } else {
        luaL_getmetafield(L, 1, "__methods");
        lua_getfield(L, -1, k);
    }
    return 1;
}

/* Apply f to a point given as a table/Vector of 3 (returns a table) or to
 * every row of an n x 3 Matrix (returns a new Matrix). */
typedef void (*pointfn)(const sf_box *, const double *, double *);

static int map_points(lua_State *L, pointfn f)
{
    sf_box *b = sfl_check_box(L, 1);
    sfl_array *m = sfl_test_double(L, 2, SFL_MATRIX);
    if (m) {
        if (m->cols != 3)
            return luaL_error(L, "expected an n x 3 Matrix");
        sfl_array *r = sfl_matrix_new(L, m->rows, 3);
        for (size_t i = 0; i < m->rows; i++)
            f(b, m->data + 3 * i, r->data + 3 * i);
        return 1;
    }
    double p[3], q[3];
    get_vec3(L, 2, "point", p);
    f(b, p, q);
    push_vec3(L, q);
    return 1;
}

static void f_frac(const sf_box *b, const double *p, double *q) { sf_box_to_frac(b, p, q); }
static void f_cart(const sf_box *b, const double *p, double *q) { sf_box_to_cart(b, p, q); }
static void f_wrap(const sf_box *b, const double *p, double *q)
{
    memcpy(q, p, 3 * sizeof *q);
    sf_box_wrap(b, q, NULL);
}
static void f_mic(const sf_box *b, const double *p, double *q)
{
    memcpy(q, p, 3 * sizeof *q);
    sf_box_minimum_image(b, q);
}

static int box_to_frac(lua_State *L) { return map_points(L, f_frac); }
static int box_to_cart(lua_State *L) { return map_points(L, f_cart); }
static int box_wrap(lua_State *L) { return map_points(L, f_wrap); }
static int box_minimum_image(lua_State *L) { return map_points(L, f_mic); }

static int box_distance(lua_State *L)
{
    sf_box *b = sfl_check_box(L, 1);
    double p[3], q[3];
    get_vec3(L, 2, "first point", p);
    get_vec3(L, 3, "second point", q);
    double d[3] = {q[0] - p[0], q[1] - p[1], q[2] - p[2]};
    sf_box_minimum_image(b, d);
    lua_pushnumber(L, sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]));
    return 1;
}

static int box_widths(lua_State *L)
{
    double w[3];
    sf_box_widths(sfl_check_box(L, 1), w);
    push_vec3(L, w);
    return 1;
}

static int box_tostring(lua_State *L)
{
    sf_box *b = sfl_check_box(L, 1);
    if (sf_box_is_triclinic(b))
        lua_pushfstring(L, "Box(triclinic %f x %f x %f, tilt %f %f %f)",
                        b->len[0], b->len[1], b->len[2], b->xy, b->xz, b->yz);
    else
        lua_pushfstring(L, "Box(orthogonal %f x %f x %f)", b->len[0], b->len[1],
                        b->len[2]);
    return 1;
}

static const luaL_Reg box_methods[] = {
    {"to_frac", box_to_frac},
    {"to_cart", box_to_cart},
    {"wrap", box_wrap},
    {"minimum_image", box_minimum_image},
    {"distance", box_distance},
    {"widths", box_widths},
    {NULL, NULL},
};

static const char *const box_docs[] = {
    "box:to_frac(p | Matrix) -> fractional coordinates (of a point or of every row)",
    "box:to_cart(s | Matrix) -> Cartesian coordinates",
    "box:wrap(p | Matrix) -> positions wrapped into the periodic cell",
    "box:minimum_image(d | Matrix) -> the shortest periodic image of displacement d",
    "box:distance(p, q) -> minimum-image distance between two points",
    "box:widths() -> {wa, wb, wc} perpendicular widths of the cell",
    NULL,
};

/* ---- Atoms ------------------------------------------------------------------------ */

sf_atoms *sfl_check_atoms(lua_State *L, int idx)
{
    sfl_atoms *u = luaL_checkudata(L, idx, SFL_ATOMS);
    if (!u->a)
        luaL_error(L, "Atoms object has been freed");
    return u->a;
}

void sfl_push_atoms(lua_State *L, sf_atoms *a)
{
    if (!a)
        sfl_core_error(L);
    sfl_atoms *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->a = a;
    luaL_setmetatable(L, SFL_ATOMS);
}

static int atoms_gc(lua_State *L)
{
    sfl_atoms *u = luaL_checkudata(L, 1, SFL_ATOMS);
    sf_atoms_free(u->a);
    u->a = NULL;
    return 0;
}

static const char *type_name(const sf_atoms *a, int t, char *buf, size_t n)
{
    if (a->species[t - 1])
        return a->species[t - 1];
    snprintf(buf, n, "%d", t);
    return buf;
}

static int atoms_tostring(lua_State *L)
{
    sfl_atoms *u = luaL_checkudata(L, 1, SFL_ATOMS);
    if (!u->a) {
        lua_pushliteral(L, "Atoms(freed)");
        return 1;
    }
    sf_atoms *a = u->a;
    size_t *counts = calloc((size_t)a->ntypes + 1, sizeof *counts);
    if (!counts)
        return luaL_error(L, "out of memory");
    sf_atoms_type_counts(a, counts);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    char buf[256];
    snprintf(buf, sizeof buf, "Atoms(n=%zu, types={", a->n);
    luaL_addstring(&b, buf);
    for (int t = 1; t <= a->ntypes; t++) {
        char nb[32];
        snprintf(buf, sizeof buf, "%s%s=%zu", t > 1 ? ", " : "",
                 type_name(a, t, nb, sizeof nb), counts[t]);
        luaL_addstring(&b, buf);
    }
    free(counts);
    snprintf(buf, sizeof buf, "}, box=%s %.4gx%.4gx%.4g)",
             sf_box_is_triclinic(&a->box) ? "triclinic" : "orthogonal",
             a->box.len[0], a->box.len[1], a->box.len[2]);
    luaL_addstring(&b, buf);
    luaL_pushresult(&b);
    return 1;
}

static int atoms_len(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)sfl_check_atoms(L, 1)->n);
    return 1;
}

static void push_species(lua_State *L, const sf_atoms *a)
{
    lua_createtable(L, a->ntypes, 0);
    for (int t = 1; t <= a->ntypes; t++) {
        if (a->species[t - 1])
            lua_pushstring(L, a->species[t - 1]);
        else
            lua_pushfstring(L, "%d", t);
        lua_rawseti(L, -2, t);
    }
}

static int atoms_index(lua_State *L)
{
    sf_atoms *a = sfl_check_atoms(L, 1);
    const char *k = luaL_checkstring(L, 2);
    size_t n = a->n;
    if (!strcmp(k, "n"))
        lua_pushinteger(L, (lua_Integer)n);
    else if (!strcmp(k, "ntypes"))
        lua_pushinteger(L, a->ntypes);
    else if (!strcmp(k, "species"))
        push_species(L, a);
    else if (!strcmp(k, "box"))
        sfl_push_box(L, &a->box);
    else if (!strcmp(k, "timestep"))
        lua_pushinteger(L, (lua_Integer)a->timestep);
    else if (!strcmp(k, "time")) {
        if (isnan(a->time))
            lua_pushnil(L);
        else
            lua_pushnumber(L, a->time);
    } else if (!strcmp(k, "x"))
        sfl_array_view(L, SFL_MATRIX, n, 3, a->x, 1);
    else if (!strcmp(k, "v")) {
        if (a->v)
            sfl_array_view(L, SFL_MATRIX, n, 3, a->v, 1);
        else
            lua_pushnil(L);
    } else if (!strcmp(k, "id") || !strcmp(k, "type")) {
        sfl_array *v = sfl_vector_new(L, n);
        for (size_t i = 0; i < n; i++)
            v->data[i] = k[0] == 'i' ? (double)a->id[i] : (double)a->type[i];
    } else if (!strcmp(k, "image")) {
        if (!a->image) {
            lua_pushnil(L);
            return 1;
        }
        sfl_array *m = sfl_matrix_new(L, n, 3);
        for (size_t i = 0; i < 3 * n; i++)
            m->data[i] = a->image[i];
    } else if (!strcmp(k, "masses")) {
        if (!a->mass) {
            lua_pushnil(L);
            return 1;
        }
        lua_createtable(L, a->ntypes, 0);
        for (int t = 0; t < a->ntypes; t++) {
            lua_pushnumber(L, a->mass[t]);
            lua_rawseti(L, -2, t + 1);
        }
    } else {
        luaL_getmetafield(L, 1, "__methods");
        if (lua_getfield(L, -1, k) == LUA_TNIL && sf_atoms_column(a, k)) {
            /* a named per-atom column: atoms.vflex */
            double *d = sf_atoms_column(a, k);
            sfl_array *v = sfl_vector_new(L, n);
            memcpy(v->data, d, n * sizeof *d);
        }
    }
    return 1;
}

static void check_vector_len(lua_State *L, sfl_array *v, size_t n, const char *what)
{
    if (v->rows * v->cols != n)
        luaL_error(L, "%s: expected %d values, got %d", what, (int)n,
                   (int)(v->rows * v->cols));
}

static int atoms_newindex(lua_State *L)
{
    sf_atoms *a = sfl_check_atoms(L, 1);
    const char *k = luaL_checkstring(L, 2);
    size_t n = a->n;
    if (!strcmp(k, "box")) {
        a->box = *sfl_check_box(L, 3);
    } else if (!strcmp(k, "timestep")) {
        a->timestep = (int64_t)luaL_checkinteger(L, 3);
    } else if (!strcmp(k, "time")) {
        a->time = lua_isnil(L, 3) ? NAN : luaL_checknumber(L, 3);
    } else if (!strcmp(k, "species")) {
        luaL_checktype(L, 3, LUA_TTABLE);
        for (int t = 1; t <= a->ntypes; t++) {
            lua_rawgeti(L, 3, t);
            const char *nm = lua_tostring(L, -1);
            if (sf_atoms_set_species(a, t, nm))
                return sfl_core_error(L);
            lua_pop(L, 1);
        }
    } else if (!strcmp(k, "x") || !strcmp(k, "v")) {
        sfl_array *m = sfl_test_array(L, 3);
        if (!m)
            return luaL_typeerror(L, 3, "n x 3 Matrix");
        check_vector_len(L, m, 3 * n, k);
        if (k[0] == 'v' && sf_atoms_ensure_velocities(a))
            return sfl_core_error(L);
        double *dst = k[0] == 'x' ? a->x : a->v;
        if (dst != m->data)
            memmove(dst, m->data, 3 * n * sizeof(double));
    } else if (!strcmp(k, "type") || !strcmp(k, "id")) {
        int pushed;
        sfl_array *v = sfl_opt_vector_arg(L, 3, &pushed);
        check_vector_len(L, v, n, k);
        for (size_t i = 0; i < n; i++) {
            double d = v->data[i];
            if (d != floor(d))
                return luaL_error(L, "%s %f of atom %d is not an integer", k, d,
                                  (int)i + 1);
            if (k[0] == 't') {
                if (d < 1 || d > a->ntypes)
                    return luaL_error(L, "type %f of atom %d out of range 1..%d",
                                      d, (int)i + 1, a->ntypes);
            } else if (d < 1)
                return luaL_error(L, "non-positive id %I for atom %d",
                                  (lua_Integer)d, (int)i + 1);
        }
        for (size_t i = 0; i < n; i++) {
            if (k[0] == 't')
                a->type[i] = (int32_t)v->data[i];
            else
                a->id[i] = (int64_t)v->data[i];
        }
    } else if (!strcmp(k, "image")) {
        sfl_array *m = sfl_test_array(L, 3);
        if (!m)
            return luaL_typeerror(L, 3, "n x 3 Matrix");
        check_vector_len(L, m, 3 * n, k);
        if (sf_atoms_ensure_images(a))
            return sfl_core_error(L);
        for (size_t i = 0; i < 3 * n; i++)
            a->image[i] = (int32_t)m->data[i];
    } else {
        int pushed;
        sfl_array *v = sfl_opt_vector_arg(L, 3, &pushed);
        check_vector_len(L, v, n, k);
        if (!sf_atoms_add_column(a, k, v->data))
            return sfl_core_error(L);
    }
    return 0;
}

/* sflex.atoms{x = Matrix|{{x,y,z},...}, type = ..., id = ..., box = Box,
 *             species = {"Cu","Zr"}, ntypes = k} */
static int l_atoms(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "x");
    sfl_array *x = sfl_test_double(L, -1, SFL_MATRIX);
    if (!x) {
        if (!lua_istable(L, -1))
            return luaL_error(L, "sflex.atoms: field x (positions) is required");
    }
    int xidx = lua_gettop(L);
    size_t n;
    if (x) {
        if (x->cols != 3)
            return luaL_error(L, "sflex.atoms: x must be an n x 3 Matrix");
        n = x->rows;
    } else {
        n = lua_rawlen(L, xidx);
    }
    int ntypes = 1;
    lua_getfield(L, 1, "species");
    int nspec = lua_istable(L, -1) ? (int)lua_rawlen(L, -1) : 0;
    lua_pop(L, 1);
    lua_getfield(L, 1, "type");
    int tidx = lua_gettop(L);
    sfl_array *tv = NULL;
    int pushed = 0;
    if (!lua_isnil(L, tidx)) {
        tv = sfl_opt_vector_arg(L, tidx, &pushed);
        if (pushed)
            lua_replace(L, tidx);
        if (tv->rows != n)
            return luaL_error(L, "sflex.atoms: %d types for %d atoms",
                              (int)tv->rows, (int)n);
        for (size_t i = 0; i < n; i++)
            if (tv->data[i] > ntypes)
                ntypes = (int)tv->data[i];
    }
    lua_getfield(L, 1, "ntypes");
    if (!lua_isnil(L, -1))
        ntypes = (int)luaL_checkinteger(L, -1);
    lua_pop(L, 1);
    if (nspec > ntypes)
        ntypes = nspec;
    sf_atoms *a = sf_atoms_new(n, ntypes);
    sfl_push_atoms(L, a);
    int aidx = lua_gettop(L);
    if (x)
        memcpy(a->x, x->data, 3 * n * sizeof(double));
    else
        for (size_t i = 0; i < n; i++) {
            double p[3];
            lua_rawgeti(L, xidx, (lua_Integer)i + 1);
            get_vec3(L, -1, "position", p);
            memcpy(a->x + 3 * i, p, sizeof p);
            lua_pop(L, 1);
        }
    if (tv) {
        lua_pushvalue(L, tidx);
        lua_setfield(L, aidx, "type");
    }
    static const char *const fields[] = {"id", "box", "species", "v", NULL};
    for (int f = 0; fields[f]; f++) {
        if (lua_getfield(L, 1, fields[f]) != LUA_TNIL) {
            lua_pushvalue(L, aidx);
            lua_insert(L, -2);
            lua_setfield(L, -2, fields[f]); /* through __newindex */
            lua_pop(L, 1);
        } else
            lua_pop(L, 1);
    }
    if (sf_atoms_validate(a, "sflex.atoms"))
        return sfl_core_error(L);
    lua_pushvalue(L, aidx);
    return 1;
}

/* Mask argument: Vector mask, type number, or species name. */
static unsigned char *mask_arg(lua_State *L, sf_atoms *a, int idx)
{
    unsigned char *keep = malloc(a->n ? a->n : 1);
    if (!keep)
        luaL_error(L, "out of memory");
    if (lua_type(L, idx) == LUA_TNUMBER || lua_type(L, idx) == LUA_TSTRING) {
        int t = lua_type(L, idx) == LUA_TNUMBER ? (int)lua_tointeger(L, idx)
                                                : sf_atoms_find_species(a, lua_tostring(L, idx));
        if (t < 1 || t > a->ntypes) {
            free(keep);
            luaL_error(L, "no atom type '%s'", lua_tostring(L, idx));
        }
        for (size_t i = 0; i < a->n; i++)
            keep[i] = a->type[i] == t;
        return keep;
    }
    sfl_array *m = sfl_test_double(L, idx, SFL_VECTOR);
    if (!m || m->rows != a->n) {
        free(keep);
        luaL_error(L, "expected a mask Vector of length %d, a type or a species name",
                   (int)a->n);
    }
    for (size_t i = 0; i < a->n; i++)
        keep[i] = m->data[i] != 0;
    return keep;
}

static int m_select(lua_State *L)
{
    sf_atoms *a = sfl_check_atoms(L, 1);
    unsigned char *keep = mask_arg(L, a, 2);
    sf_atoms *b = sf_atoms_select(a, keep);
    free(keep);
    sfl_push_atoms(L, b);
    return 1;
}

static int m_mask(lua_State *L)
{
    sf_atoms *a = sfl_check_atoms(L, 1);
    unsigned char *keep = mask_arg(L, a, 2);
    sfl_array *v = sfl_vector_new(L, a->n);
    for (size_t i = 0; i < a->n; i++)
        v->data[i] = keep[i];
    free(keep);
    return 1;
}

static int m_sort_by_id(lua_State *L)
{
    sf_atoms *a = sfl_check_atoms(L, 1);
    if (sf_atoms_sort_by_id(a))
        return sfl_core_error(L);
    lua_settop(L, 1);
    return 1;
}

static int m_concat(lua_State *L)
{
    sf_atoms *a = sfl_check_atoms(L, 1), *b = sfl_check_atoms(L, 2);
    sfl_push_atoms(L, sf_atoms_concat(a, b));
    return 1;
}

static int m_replicate(lua_State *L)
{
    sf_atoms *a = sfl_check_atoms(L, 1);
    int nx = (int)luaL_checkinteger(L, 2);
    int ny = (int)luaL_optinteger(L, 3, nx);
    int nz = (int)luaL_optinteger(L, 4, ny);
    sfl_push_atoms(L, sf_atoms_replicate(a, nx, ny, nz));
    return 1;
}

static int m_copy(lua_State *L)
{
    sfl_push_atoms(L, sf_atoms_copy(sfl_check_atoms(L, 1)));
    return 1;
}

static int m_wrap(lua_State *L)
{
    sf_atoms_wrap(sfl_check_atoms(L, 1));
    lua_settop(L, 1);
    return 1;
}

static int m_unwrapped(lua_State *L)
{
    sf_atoms *a = sfl_check_atoms(L, 1);
    sfl_array *m = sfl_matrix_new(L, a->n, 3);
    for (size_t i = 0; i < a->n; i++) {
        if (a->image)
            sf_box_unwrap(&a->box, a->x + 3 * i, a->image + 3 * i,
                          m->data + 3 * i);
        else
            memcpy(m->data + 3 * i, a->x + 3 * i, 3 * sizeof(double));
    }
    return 1;
}

static int m_columns(lua_State *L)
{
    sf_atoms *a = sfl_check_atoms(L, 1);
    lua_createtable(L, (int)a->ncols, 0);
    for (size_t c = 0; c < a->ncols; c++) {
        lua_pushstring(L, a->cols[c].name);
        lua_rawseti(L, -2, (lua_Integer)c + 1);
    }
    return 1;
}

static int m_column(lua_State *L)
{
    sf_atoms *a = sfl_check_atoms(L, 1);
    const char *name = luaL_checkstring(L, 2);
    double *d = sf_atoms_column(a, name);
    if (!d) {
        if (lua_toboolean(L, 3)) {
            lua_pushnil(L);
            return 1;
        }
        return luaL_error(L, "no per-atom column '%s' (have: %s)", name,
                          a->ncols ? "see atoms:columns()" : "none");
    }
    sfl_array *v = sfl_vector_new(L, a->n);
    memcpy(v->data, d, a->n * sizeof *d);
    return 1;
}

static int m_set_column(lua_State *L)
{
    sf_atoms *a = sfl_check_atoms(L, 1);
    const char *name = luaL_checkstring(L, 2);
    int pushed;
    sfl_array *v = sfl_opt_vector_arg(L, 3, &pushed);
    check_vector_len(L, v, a->n, name);
    if (!sf_atoms_add_column(a, name, v->data))
        return sfl_core_error(L);
    lua_settop(L, 1);
    return 1;
}

static int m_remove_column(lua_State *L)
{
    sf_atoms *a = sfl_check_atoms(L, 1);
    if (sf_atoms_remove_column(a, luaL_checkstring(L, 2)))
        return sfl_core_error(L);
    lua_settop(L, 1);
    return 1;
}

static int m_type_counts(lua_State *L)
{
    sf_atoms *a = sfl_check_atoms(L, 1);
    size_t *counts = calloc((size_t)a->ntypes + 1, sizeof *counts);
    if (!counts)
        return luaL_error(L, "out of memory");
    sf_atoms_type_counts(a, counts);
    lua_createtable(L, 0, a->ntypes);
    for (int t = 1; t <= a->ntypes; t++) {
        char nb[32];
        lua_pushinteger(L, (lua_Integer)counts[t]);
        lua_setfield(L, -2, type_name(a, t, nb, sizeof nb));
    }
    free(counts);
    return 1;
}

static int m_set_species(lua_State *L)
{
    sfl_check_atoms(L, 1);
    lua_settop(L, 2);
    lua_pushliteral(L, "species");
    lua_insert(L, 2);
    atoms_newindex(L);
    lua_settop(L, 1);
    return 1;
}

static int m_distance(lua_State *L)
{
    sf_atoms *a = sfl_check_atoms(L, 1);
    lua_Integer i = luaL_checkinteger(L, 2), j = luaL_checkinteger(L, 3);
    luaL_argcheck(L, i >= 1 && (size_t)i <= a->n, 2, "atom index out of range");
    luaL_argcheck(L, j >= 1 && (size_t)j <= a->n, 3, "atom index out of range");
    const double *p = a->x + 3 * (i - 1), *q = a->x + 3 * (j - 1);
    double d[3] = {q[0] - p[0], q[1] - p[1], q[2] - p[2]};
    sf_box_minimum_image(&a->box, d);
    lua_pushnumber(L, sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]));
    return 1;
}

static int m_index_of(lua_State *L)
{
    sf_atoms *a = sfl_check_atoms(L, 1);
    lua_Integer id = luaL_checkinteger(L, 2);
    for (size_t i = 0; i < a->n; i++)
        if (a->id[i] == id) {
            lua_pushinteger(L, (lua_Integer)i + 1);
            return 1;
        }
    lua_pushnil(L);
    return 1;
}

static int m_density(lua_State *L)
{
    sf_atoms *a = sfl_check_atoms(L, 1);
    lua_pushnumber(L, (double)a->n / sf_box_volume(&a->box));
    return 1;
}

static const luaL_Reg atoms_methods[] = {
    {"select", m_select},
    {"mask", m_mask},
    {"sort_by_id", m_sort_by_id},
    {"concat", m_concat},
    {"replicate", m_replicate},
    {"copy", m_copy},
    {"wrap", m_wrap},
    {"unwrapped", m_unwrapped},
    {"columns", m_columns},
    {"column", m_column},
    {"set_column", m_set_column},
    {"remove_column", m_remove_column},
    {"type_counts", m_type_counts},
    {"set_species", m_set_species},
    {"distance", m_distance},
    {"index_of", m_index_of},
    {"density", m_density},
    {NULL, NULL},
};

static const char *const atoms_docs[] = {
    "atoms:select(mask | type | species) -> Atoms\nThe atoms where mask (a Vector) is non-zero, or of one type (number or name).",
    "atoms:mask(type | species) -> Vector\nA 0/1 mask of the atoms of one type.",
    "atoms:sort_by_id() -> atoms\nReorder in place so that ids ascend.",
    "atoms:concat(other) -> Atoms\nBoth configurations in one (also atoms .. other); box of the first; types merged by species name.",
    "atoms:replicate(nx [, ny, nz]) -> Atoms\nPeriodic replica of the configuration, nx*ny*nz copies.",
    "atoms:copy() -> Atoms\nA deep copy.",
    "atoms:wrap() -> atoms\nWrap positions into the periodic box (image flags kept consistent).",
    "atoms:unwrapped() -> Matrix\nPositions unwrapped with the image flags (x + image . cell).",
    "atoms:columns() -> {names}\nNames of the extra per-atom columns read from the input.",
    "atoms:column(name [, optional]) -> Vector\nCopy of a per-atom column (also atoms.name); error if absent unless optional.",
    "atoms:set_column(name, values) -> atoms\nAdd or replace a per-atom column (Vector or table).",
    "atoms:remove_column(name) -> atoms\nDrop a per-atom column.",
    "atoms:type_counts() -> {species = count}\nNumber of atoms of each type.",
    "atoms:set_species{names} -> atoms\nName types 1..k (like LAMMPS pair_coeff element mapping).",
    "atoms:distance(i, j) -> number\nMinimum-image distance between atoms i and j (1-based indices).",
    "atoms:index_of(id) -> index | nil\nIndex of the atom with the given id.",
    "atoms:density() -> number\nNumber density n / V.",
    NULL,
};

static const luaL_Reg atoms_meta[] = {
    {"__gc", atoms_gc},
    {"__close", atoms_gc},
    {"__tostring", atoms_tostring},
    {"__len", atoms_len},
    {"__index", atoms_index},
    {"__newindex", atoms_newindex},
    {"__concat", m_concat},
    {NULL, NULL},
};

static const luaL_Reg box_meta[] = {
    {"__tostring", box_tostring},
    {"__index", box_index},
    {NULL, NULL},
};

static const luaL_Reg funcs[] = {
    {"atoms", l_atoms},
    {"box", l_box},
    {NULL, NULL},
};

static const char *const func_docs[] = {
    "sflex.atoms{x = Matrix|{{x,y,z},...}, type = ..., id = ..., box = Box, species = {...}} -> Atoms\n"
    "A configuration built in Lua.  Fields of an Atoms object: n, ntypes, species, box,\n"
    "timestep, x (n x 3 Matrix view), v, id, type, image, masses and every extra per-atom\n"
    "column by name (time: the dump's ITEM: TIME, nil if absent).  Methods: see help(atoms) on an object.",
    "sflex.box{lo = {..}, hi = {..}, tilt = {xy, xz, yz}} | sflex.box{lx, ly, lz} -> Box\n"
    "A periodic cell in the LAMMPS convention (a = (lx,0,0), b = (xy,ly,0), c = (xz,yz,lz)).\n"
    "Fields: lo, hi, len, tilt, xy, xz, yz, volume, triclinic, periodic.",
    NULL,
};

static void make_class(lua_State *L, const char *tname, const luaL_Reg *meta,
                       const luaL_Reg *methods, const char *const *docs,
                       const char *doc, const char *const *fields)
{
    luaL_newmetatable(L, tname);
    luaL_setfuncs(L, meta, 0);
    lua_newtable(L); /* field names, for REPL completion */
    for (int i = 0; fields[i]; i++) {
        lua_pushstring(L, fields[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "__fields");
    lua_newtable(L);
    sfl_register(L, methods, docs);
    sfl_doc(L, -1, doc);
    lua_setfield(L, -2, "__methods");
    sfl_doc(L, -1, doc);
    lua_pop(L, 1);
}

static const char *const atoms_fields[] = {
    "n", "ntypes", "species", "box", "timestep", "time", "x", "v", "id",
    "type", "image", "masses", NULL,
};
static const char *const box_fields[] = {
    "lo", "hi", "len", "tilt", "xy", "xz", "yz", "volume", "triclinic",
    "periodic", NULL,
};

void sfl_open_atoms(lua_State *L)
{
    make_class(L, SFL_ATOMS, atoms_meta, atoms_methods, atoms_docs,
               "Atoms: ids, types with species names, positions, optional velocities and\n"
               "image flags, named per-atom columns and a periodic Box.  See help(sflex.atoms).",
               atoms_fields);
    make_class(L, SFL_BOX, box_meta, box_methods, box_docs,
               "Box: a periodic cell (orthogonal or triclinic, LAMMPS convention).  See help(sflex.box).",
               box_fields);
    sfl_register(L, funcs, func_docs);
}
