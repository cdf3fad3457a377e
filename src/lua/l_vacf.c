/* l_vacf.c - sflex.Vacf (per-atom velocity autocorrelation accumulator) and
 * the FFT spectrum helpers sflex.acf_spectrum, sflex.mode_acf (sf_fft.c).
 * The VDOS built on them (Vacf:vdos, sflex.md_vdos, sflex.boson_peak, ...)
 * is in lua/sflex/vdos.lua; doc/vibrations.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l_sflex.h"
#include "sf_fft.h"

#define SFL_VACF "sflex.Vacf"

typedef struct lvacf {
    sf_vacf *a;
    int64_t *ref;  /* ids in the accumulator's atom order (option ids, else the first frame's) */
    int64_t *ids;  /* ids of the first Atoms frame, in its order */
    size_t *perm;  /* frame atom j -> accumulator atom perm[j]; NULL: identity */
    double *vbuf;  /* 3 natoms: a permuted frame */
} lvacf;

static void lvacf_free(lvacf *v)
{
    sf_vacf_destroy(v->a);
    v->a = NULL;
    free(v->ref);
    free(v->ids);
    free(v->perm);
    free(v->vbuf);
    v->ref = v->ids = NULL;
    v->perm = NULL;
    v->vbuf = NULL;
}

static const int64_t *sort_ids; /* qsort context (the Lua state is single-threaded) */
static int cmp_idx(const void *a, const void *b)
{
    int64_t x = sort_ids[*(const size_t *)a], y = sort_ids[*(const size_t *)b];
    return (x > y) - (x < y);
}

/* perm[j] = position of ids[j] in ref; NULL on a missing or repeated id
 * (message in err). */
static size_t *id_permutation(const int64_t *ref, const int64_t *ids, size_t n, char *err,
                              size_t errlen)
{
    size_t *order = malloc(n * sizeof *order), *perm = malloc(n * sizeof *perm);
    unsigned char *seen = calloc(n, 1);
    if (!order || !perm || !seen) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    sort_ids = ref;
    qsort(order, n, sizeof *order, cmp_idx);
    for (size_t i = 1; i < n; i++)
        if (ref[order[i]] == ref[order[i - 1]]) {
            snprintf(err, errlen, "id %lld appears twice in ids", (long long)ref[order[i]]);
            goto fail;
        }
    for (size_t j = 0; j < n; j++) {
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (ref[order[mid]] < ids[j])
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == n || ref[order[lo]] != ids[j]) {
            snprintf(err, errlen, "frame atom %zu has id %lld, which is not among the ids",
                     j + 1, (long long)ids[j]);
            goto fail;
        }
        if (seen[lo]++) {
            snprintf(err, errlen, "id %lld appears twice in the frame", (long long)ids[j]);
            goto fail;
        }
        perm[j] = order[lo];
    }
    free(order);
    free(seen);
    return perm;
fail:
    free(order);
    free(perm);
    free(seen);
    return NULL;
}

static lvacf *check_vacf(lua_State *L, int idx)
{
    lvacf *v = luaL_checkudata(L, idx, SFL_VACF);
    if (!v->a)
        luaL_error(L, "Vacf: object was freed");
    return v;
}

static void check_keys(lua_State *L, int t, const char *fname, const char *const *keys)
{
    if (lua_isnoneornil(L, t))
        return;
    luaL_checktype(L, t, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, t)) {
        int ok = 0;
        if (lua_type(L, -2) == LUA_TSTRING)
            for (int k = 0; keys[k]; k++)
                if (strcmp(lua_tostring(L, -2), keys[k]) == 0)
                    ok = 1;
        if (!ok) {
            lua_pushvalue(L, -2);
            luaL_error(L, "%s: unknown option '%s'", fname, luaL_tolstring(L, -1, NULL));
        }
        lua_pop(L, 1);
    }
}

static lua_Integer opt_int(lua_State *L, int t, const char *k, lua_Integer def)
{
    lua_Integer v = def;
    if (lua_istable(L, t) && lua_getfield(L, t, k) != LUA_TNIL) {
        if (!lua_isinteger(L, -1))
            luaL_error(L, "option %s must be an integer", k);
        v = lua_tointeger(L, -1);
    }
    if (lua_istable(L, t))
        lua_pop(L, 1);
    return v;
}

static double opt_num(lua_State *L, int t, const char *k, double def)
{
    double v = def;
    if (lua_istable(L, t) && lua_getfield(L, t, k) != LUA_TNIL) {
        if (!lua_isnumber(L, -1))
            luaL_error(L, "option %s must be a number", k);
        v = lua_tonumber(L, -1);
    }
    if (lua_istable(L, t))
        lua_pop(L, 1);
    return v;
}

static int opt_window(lua_State *L, int t)
{
    int w = SF_WINDOW_HANN;
    if (lua_istable(L, t) && lua_getfield(L, t, "window") != LUA_TNIL) {
        const char *name = luaL_checkstring(L, -1);
        w = sf_window_parse(name);
        if (w < 0)
            luaL_error(L, "unknown window '%s' (hann, none)", name);
    }
    if (lua_istable(L, t))
        lua_pop(L, 1);
    return w;
}

/* sflex.vacf(natoms, {frames=, lags=, dt=, masses=}) */
static int l_vacf(lua_State *L)
{
    static const char *const keys[] = {"frames", "lags", "dt", "masses", "ids", NULL};
    lua_Integer n = luaL_checkinteger(L, 1);
    luaL_argcheck(L, n >= 1, 1, "number of atoms must be positive");
    luaL_checktype(L, 2, LUA_TTABLE);
    check_keys(L, 2, "sflex.vacf", keys);
    lua_Integer frames = opt_int(L, 2, "frames", 0);
    if (frames < 2)
        return luaL_error(L, "sflex.vacf: frames (per segment) must be given and >= 2");
    lua_Integer lags = opt_int(L, 2, "lags", frames / 2 + 1);
    if (lags < 2 || lags > frames)
        return luaL_error(L, "sflex.vacf: lags must be in 2..frames (%d)", (int)frames);
    double dt = opt_num(L, 2, "dt", 0);
    if (!(dt > 0) || !isfinite(dt))
        return luaL_error(L, "sflex.vacf: dt (time between frames, ps) must be given and > 0");
    const double *mass = NULL;
    if (lua_getfield(L, 2, "masses") != LUA_TNIL) {
        sfl_array *m = luaL_testudata(L, -1, SFL_VECTOR);
        if (!m || m->rows != (size_t)n)
            return luaL_error(L, "sflex.vacf: masses must be a Vector of %d values", (int)n);
        mass = m->data;
    }
    sfl_array *ids = NULL;
    if (lua_getfield(L, 2, "ids") != LUA_TNIL) {
        ids = luaL_testudata(L, -1, SFL_VECTOR);
        if (!ids || ids->rows != (size_t)n)
            return luaL_error(L, "sflex.vacf: ids must be a Vector of %d values", (int)n);
    }
    lvacf *v = lua_newuserdatauv(L, sizeof *v, 0);
    memset(v, 0, sizeof *v);
    luaL_setmetatable(L, SFL_VACF);
    if (ids) {
        if (!(v->ref = malloc((size_t)n * sizeof *v->ref)))
            return luaL_error(L, "out of memory");
        for (lua_Integer i = 0; i < n; i++) {
            double d = ids->data[i];
            if (!(d >= 1 && d <= 9.2e18 && d == floor(d)))
                return luaL_error(L, "sflex.vacf: ids[%d] = %f is not a positive integer",
                                  (int)i + 1, d);
            v->ref[i] = (int64_t)d;
        }
    }
    v->a = sf_vacf_create((size_t)n, (size_t)frames, (size_t)lags, dt, mass);
    if (!v->a)
        return sfl_core_error(L);
    return 1;
}

static int vacf_gc(lua_State *L)
{
    lvacf_free(luaL_checkudata(L, 1, SFL_VACF));
    return 0;
}

/* v:add(atoms | Matrix n x 3) -> completed segments */
static int vacf_add(lua_State *L)
{
    lvacf *v = check_vacf(L, 1);
    size_t n = sf_vacf_natoms(v->a);
    const double *vel;
    if (luaL_testudata(L, 2, SFL_ATOMS)) {
        sf_atoms *a = sfl_check_atoms(L, 2);
        if (a->n != n)
            return luaL_error(L, "Vacf:add: frame has %d atoms, expected %d", (int)a->n, (int)n);
        if (!a->v)
            return luaL_error(L, "Vacf:add: the frame has no velocities (dump vx vy vz)");
        if (!v->ids) {
            v->ids = malloc(n * sizeof *v->ids);
            if (!v->ids)
                return luaL_error(L, "out of memory");
            memcpy(v->ids, a->id, n * sizeof *v->ids);
            if (v->ref) {
                char err[160];
                v->perm = id_permutation(v->ref, v->ids, n, err, sizeof err);
                v->vbuf = malloc(3 * n * sizeof *v->vbuf);
                if (!v->perm || !v->vbuf) {
                    free(v->ids);
                    free(v->perm);
                    v->ids = NULL;
                    v->perm = NULL;
                    return luaL_error(L, "Vacf:add: %s", v->perm ? "out of memory" : err);
                }
            }
        } else {
            for (size_t i = 0; i < n; i++)
                if (a->id[i] != v->ids[i])
                    return luaL_error(L, "Vacf:add: atom %d has id %d, the first frame had %d "
                                      "(frames must list the atoms in the same order: dump_modify sort id)",
                                      (int)i + 1, (int)a->id[i], (int)v->ids[i]);
        }
        vel = a->v;
        if (v->perm) {
            for (size_t j = 0; j < n; j++)
                memcpy(v->vbuf + 3 * v->perm[j], a->v + 3 * j, 3 * sizeof(double));
            vel = v->vbuf;
        }
    } else {
        sfl_array *m = luaL_testudata(L, 2, SFL_MATRIX);
        if (!m || m->rows != n || m->cols != 3)
            return luaL_error(L, "Vacf:add: expected Atoms with velocities or a %d x 3 Matrix", (int)n);
        vel = m->data;
    }
    if (sf_vacf_add_frame(v->a, vel))
        return luaL_error(L, "Vacf:add: %s", sf_error_message());
    lua_pushinteger(L, (lua_Integer)sf_vacf_segments(v->a));
    return 1;
}

static unsigned char *mask_of(lua_State *L, int idx, size_t n)
{
    if (lua_isnoneornil(L, idx))
        return NULL;
    sfl_array *m = luaL_testudata(L, idx, SFL_VECTOR);
    if (!m || m->rows != n)
        luaL_error(L, "expected a mask Vector of %d values (or nil for all atoms)", (int)n);
    unsigned char *mask = lua_newuserdatauv(L, n, 0);
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        mask[i] = m->data[i] != 0;
        count += mask[i];
    }
    if (count == 0)
        luaL_error(L, "the mask selects no atom");
    return mask;
}

/* v:acf([mask]) -> Vector of lags 0..lags-1 */
static int vacf_acf(lua_State *L)
{
    lvacf *v = check_vacf(L, 1);
    size_t n = sf_vacf_natoms(v->a), nlag = sf_vacf_nlag(v->a);
    unsigned char *mask = mask_of(L, 2, n);
    sfl_array *out = sfl_vector_new(L, nlag);
    if (sf_vacf_sum(v->a, mask, out->data))
        return luaL_error(L, "Vacf:acf: %s", sf_error_message());
    return 1;
}

/* v:atom_acf(i) -> Vector */
static int vacf_atom_acf(lua_State *L)
{
    lvacf *v = check_vacf(L, 1);
    lua_Integer i = luaL_checkinteger(L, 2);
    sfl_array *out = sfl_vector_new(L, sf_vacf_nlag(v->a));
    if (i < 1 || sf_vacf_atom(v->a, (size_t)(i - 1), out->data))
        return luaL_error(L, "Vacf:atom_acf: %s",
                          i < 1 ? "atom index must be >= 1" : sf_error_message());
    return 1;
}

static int vacf_index(lua_State *L)
{
    lvacf *v = check_vacf(L, 1);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "natoms") == 0)
        lua_pushinteger(L, (lua_Integer)sf_vacf_natoms(v->a));
    else if (strcmp(k, "frames") == 0)
        lua_pushinteger(L, (lua_Integer)sf_vacf_nframes(v->a));
    else if (strcmp(k, "lags") == 0)
        lua_pushinteger(L, (lua_Integer)sf_vacf_nlag(v->a));
    else if (strcmp(k, "dt") == 0)
        lua_pushnumber(L, sf_vacf_dt(v->a));
    else if (strcmp(k, "segments") == 0)
        lua_pushinteger(L, (lua_Integer)sf_vacf_segments(v->a));
    else if (strcmp(k, "pending") == 0)
        lua_pushinteger(L, (lua_Integer)sf_vacf_pending(v->a));
    else {
        luaL_getmetafield(L, 1, "__methods");
        lua_getfield(L, -1, k);
    }
    return 1;
}

static int vacf_tostring(lua_State *L)
{
    lvacf *v = luaL_checkudata(L, 1, SFL_VACF);
    if (!v->a) {
        lua_pushliteral(L, "Vacf(freed)");
        return 1;
    }
    lua_pushfstring(L, "Vacf(n=%d, frames=%d per segment, dt=%f ps, lags=%d, segments=%d, pending=%d)",
                    (int)sf_vacf_natoms(v->a), (int)sf_vacf_nframes(v->a), sf_vacf_dt(v->a),
                    (int)sf_vacf_nlag(v->a), (int)sf_vacf_segments(v->a),
                    (int)sf_vacf_pending(v->a));
    return 1;
}

/* sflex.acf_spectrum(c, dt [, {window=, pad=}]) -> nu, S */
static int l_acf_spectrum(lua_State *L)
{
    static const char *const keys[] = {"window", "pad", NULL};
    sfl_array *c = sfl_check_vector(L, 1);
    double dt = luaL_checknumber(L, 2);
    check_keys(L, 3, "sflex.acf_spectrum", keys);
    int win = opt_window(L, 3);
    lua_Integer pad = opt_int(L, 3, "pad", 4);
    if (pad < 1 || pad > 1024)
        return luaL_error(L, "sflex.acf_spectrum: pad must be in 1..1024");
    if (c->rows < 2 || c->rows > ((size_t)1 << 30) / (size_t)pad)
        return luaL_error(L, "sflex.acf_spectrum: need 2 or more lags (not more than 2^30/pad)");
    size_t m = (size_t)pad * (c->rows - 1) + 1;
    sfl_array *nu = sfl_vector_new(L, m); /* before the plan: these may raise */
    sfl_array *S = sfl_vector_new(L, m);
    sf_spectrum_plan *p = sf_spectrum_plan_create(c->rows, dt, (size_t)pad, (sf_window)win);
    if (!p)
        return sfl_core_error(L);
    double dnu = sf_spectrum_plan_dnu(p);
    for (size_t k = 0; k < m; k++)
        nu->data[k] = (double)k * dnu;
    sf_spectrum_execute(p, c->data, S->data);
    sf_spectrum_plan_destroy(p);
    return 2;
}

/* sflex.mode_acf(nu, lags, dt [, weights]) -> Vector */
static int l_mode_acf(lua_State *L)
{
    sfl_array *nu = sfl_check_vector(L, 1);
    lua_Integer lags = luaL_checkinteger(L, 2);
    double dt = luaL_checknumber(L, 3);
    luaL_argcheck(L, lags >= 1 && lags <= 100000000, 2, "lags must be positive");
    luaL_argcheck(L, dt > 0 && isfinite(dt), 3, "dt must be > 0");
    const double *w = NULL;
    if (!lua_isnoneornil(L, 4)) {
        sfl_array *wv = sfl_check_vector(L, 4);
        luaL_argcheck(L, wv->rows == nu->rows, 4, "one weight per frequency");
        w = wv->data;
    }
    sfl_array *c = sfl_vector_new(L, (size_t)lags);
    sf_mode_acf(nu->data, w, nu->rows, (size_t)lags, dt, c->data);
    return 1;
}

static const luaL_Reg vacf_methods[] = {
    {"add", vacf_add},
    {"acf", vacf_acf},
    {"atom_acf", vacf_atom_acf},
    {NULL, NULL},
};
static const char *const vacf_docs[] = {
    "vacf:add(frame) -> completed segments\n"
    "  Add one frame of velocities: Atoms with velocities (same atoms in the same\n"
    "  order every frame; ids are checked) or an n x 3 Matrix.  The frames-th\n"
    "  frame of a segment closes it (its correlations are computed then).",
    "vacf:acf([mask]) -> Vector (lags 0..lags-1)\n"
    "  sum over the atoms of mask (all by default) of m_i <v_i(t).v_i(t+tau)>,\n"
    "  averaged over the completed segments and time origins (amu A^2/ps^2).",
    "vacf:atom_acf(i) -> Vector: m_i <v_i(t).v_i(t+tau)> of atom i (1-based).",
    NULL,
};
static const luaL_Reg vacf_meta[] = {
    {"__gc", vacf_gc}, {"__close", vacf_gc}, {"__tostring", vacf_tostring}, {NULL, NULL},
};

static const luaL_Reg funcs[] = {
    {"vacf", l_vacf},
    {"acf_spectrum", l_acf_spectrum},
    {"mode_acf", l_mode_acf},
    {NULL, NULL},
};
static const char *const func_docs[] = {
    "sflex.vacf(natoms, {frames=T, dt=ps, lags=T//2+1, masses=Vector, ids=Vector}) -> Vacf\n"
    "  Per-atom mass-weighted velocity autocorrelation, accumulated over segments\n"
    "  of T frames dt apart (one segment per MD run) with FFTs (Wiener-Khinchin,\n"
    "  zero-padded: O(N T log T)).  Fields natoms, frames, lags, dt, segments,\n"
    "  pending; methods add, acf, atom_acf, vdos (doc/vibrations.md).  ids: the\n"
    "  atom order of the accumulator (masses, masks, atom_acf); Atoms frames are\n"
    "  matched to it by id.  Without ids the first frame's order is kept.",
    "sflex.acf_spectrum(c, dt [, {window='hann'|'none', pad=4}]) -> nu, S (Vectors)\n"
    "  S(nu) = 4 int_0^tmax c(t) w(t) cos(2 pi nu t) dt of an autocorrelation c at\n"
    "  lags 0, dt, ... (FFTW DCT-I, lags zero-padded pad times); nu from 0 to the\n"
    "  Nyquist frequency 1/(2 dt), spacing 1/(2 pad tmax); trapezoid sum of S dnu\n"
    "  = c(0).  Hann window w = (1 + cos(pi t/tmax))/2.",
    "sflex.mode_acf(nu, lags, dt [, weights]) -> Vector\n"
    "  c(tau) = sum_m w_m cos(2 pi nu_m tau dt): the velocity autocorrelation of\n"
    "  a classical harmonic system with these mode frequencies (up to a factor).",
    NULL,
};

void sfl_open_vacf(lua_State *L)
{
    sfl_new_class(L, SFL_VACF, vacf_methods, vacf_docs, vacf_meta,
                  "Vacf: per-atom velocity autocorrelation accumulator (sflex.vacf).  "
                  "Methods: add, acf, atom_acf, vdos");
    /* fields through __index: keep the methods table under __methods */
    lua_getfield(L, -1, "__index");
    lua_setfield(L, -2, "__methods");
    lua_pushcfunction(L, vacf_index);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    sfl_register(L, funcs, func_docs);
}
