/* l_art.c - bindings of ART nouveau and FIRE minimisation (sf_art):
 * sflex.art, sflex.minimize.
 *
 *   local pot = sflex.eam("/usr/share/lammps/potentials/CuZr_mm.eam.fs")
 *   local r = sflex.art(pot, atoms, {centers = {1, 5}, events = 30})
 *   for _, e in ipairs(r.events) do print(e.center, e.status, e.barrier) end
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "l_sflex.h"
#include "sf_art.h"
#include "sf_eam.h"

/* ART parameters by name: one row per sf_art_params field. */
typedef struct popt {
    const char *name;
    size_t off;
    char kind; /* d double, i int, u seed */
} popt;

#define D(f) {#f, offsetof(sf_art_params, f), 'd'}
#define I(f) {#f, offsetof(sf_art_params, f), 'i'}
static const popt param_table[] = {
    D(init_disp),     D(init_radius),   D(eig_threshold), D(force_tol),
    D(min_force_tol), D(push_step),     I(max_escape),    I(perp_steps),
    I(act_steps),     I(max_activation), I(max_lost), I(follow_mode), D(lanczos_h),
    I(lanczos_max),   D(lanczos_tol),   D(max_move),      D(fire_dt),
    I(max_min_steps), D(relax_push),    D(return_tol),    D(deloc_radius),
    D(max_energy),    D(local_radius),  D(skin),          I(check_connect),
    I(refine),        D(refine_radius),
    {"seed", offsetof(sf_art_params, seed), 'u'},
    {NULL, 0, 0},
};
#undef D
#undef I

/* Options of sflex.art that are not ART parameters. */
static const char *const art_keys[] = {"centers", "events", "threads", "configs",
                                       "minimize", "minimize_ftol", NULL};

static int is_key(const char *k, const char *const *keys)
{
    for (int i = 0; keys[i]; i++)
        if (strcmp(k, keys[i]) == 0)
            return 1;
    return 0;
}

/* Fill par from the options table at idx; unknown keys are errors unless
 * listed in extra. */
static void read_params(lua_State *L, int idx, sf_art_params *par, const char *fname,
                        const char *const *extra)
{
    sf_art_defaults(par);
    if (lua_isnoneornil(L, idx))
        return;
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            luaL_error(L, "%s: option keys must be names", fname);
        }
        const char *k = lua_tostring(L, -2);
        const popt *o = param_table;
        while (o->name && strcmp(o->name, k) != 0)
            o++;
        if (o->name) {
            char *base = (char *)par + o->off;
            if (o->kind == 'd') {
                if (!lua_isnumber(L, -1))
                    luaL_error(L, "%s: option %s must be a number", fname, k);
                *(double *)base = lua_tonumber(L, -1);
            } else if (o->kind == 'i') {
                if (lua_isboolean(L, -1))
                    *(int *)base = lua_toboolean(L, -1);
                else if (lua_isinteger(L, -1))
                    *(int *)base = (int)lua_tointeger(L, -1);
                else
                    luaL_error(L, "%s: option %s must be an integer", fname, k);
            } else {
                if (!lua_isinteger(L, -1))
                    luaL_error(L, "%s: option seed must be an integer", fname);
                *(uint64_t *)base = (uint64_t)lua_tointeger(L, -1);
            }
        } else if (!extra || !is_key(k, extra))
            luaL_error(L, "%s: unknown option '%s' (see help(sflex.art))", fname, k);
        lua_pop(L, 1);
    }
    const char *why = sf_art_check(par);
    if (why)
        luaL_error(L, "%s: %s", fname, why);
}

static void set_num(lua_State *L, const char *k, double v)
{
    lua_pushnumber(L, v);
    lua_setfield(L, -2, k);
}

static void set_int(lua_State *L, const char *k, lua_Integer v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, k);
}

static void push_positions(lua_State *L, const sf_atoms *a, const double *x)
{
    sf_atoms *b = sf_atoms_copy(a);
    if (b)
        memcpy(b->x, x, 3 * a->n * sizeof *x);
    sfl_push_atoms(L, b); /* raises on NULL */
}

/* Events with their position arrays, freed by __gc whatever happens. */
typedef struct evbox {
    sf_art_event *ev;
    size_t n;
} evbox;

static int evbox_gc(lua_State *L)
{
    evbox *b = lua_touserdata(L, 1);
    if (b->ev) {
        sf_art_free_events(b->ev, b->n);
        free(b->ev);
        b->ev = NULL;
    }
    return 0;
}

/* sflex.art(pot, atoms [, opts]) -> result */
static int l_art(lua_State *L)
{
    lua_settop(L, 3);
    sf_atoms *a0 = sfl_check_atoms(L, 2);
    sf_art_params par;
    read_params(L, 3, &par, "sflex.art", art_keys);
    int *map;
    const sf_eam *p = sfl_potential_map(L, 1, a0, &map); /* map userdata at 4 */
    int nev = 30, threads = 0, configs = 0, minimize = 1;
    double mftol = 0.1 * par.min_force_tol;
    size_t nc = a0->n, *centers;
    if (lua_istable(L, 3)) {
        if (lua_getfield(L, 3, "events") != LUA_TNIL)
            nev = (int)luaL_checkinteger(L, -1);
        if (lua_getfield(L, 3, "threads") != LUA_TNIL)
            threads = (int)luaL_checkinteger(L, -1);
        if (lua_getfield(L, 3, "configs") != LUA_TNIL)
            configs = lua_toboolean(L, -1);
        if (lua_getfield(L, 3, "minimize") != LUA_TNIL)
            minimize = lua_toboolean(L, -1);
        if (lua_getfield(L, 3, "minimize_ftol") != LUA_TNIL)
            mftol = luaL_checknumber(L, -1);
        lua_pop(L, 5);
    }
    if (nev < 0)
        return luaL_error(L, "sflex.art: events must be >= 0");
    if (!(mftol > 0))
        return luaL_error(L, "sflex.art: minimize_ftol must be positive");
    /* centres: 1-based indices (table or Vector), default every atom */
    if (lua_istable(L, 3) && lua_getfield(L, 3, "centers") != LUA_TNIL) {
        int pushed;
        sfl_array *v = sfl_opt_vector_arg(L, lua_gettop(L), &pushed);
        nc = v->rows;
        centers = lua_newuserdatauv(L, (nc ? nc : 1) * sizeof *centers, 0);
        for (size_t k = 0; k < nc; k++) {
            double d = v->data[k];
            if (!(d >= 1 && d <= (double)a0->n && d == floor(d)))
                return luaL_error(L, "sflex.art: centers[%d] = %f is not an atom index 1..%d",
                                  (int)k + 1, d, (int)a0->n);
            centers[k] = (size_t)d - 1;
        }
    } else {
        centers = lua_newuserdatauv(L, (nc ? nc : 1) * sizeof *centers, 0);
        for (size_t k = 0; k < nc; k++)
            centers[k] = k;
    }
    /* the minimum x0: a copy of the atoms, relaxed */
    sfl_push_atoms(L, sf_atoms_copy(a0));
    int amin = lua_gettop(L);
    sf_atoms *a = sfl_check_atoms(L, amin);
    double e0 = NAN;
    int steps = 0;
    if (minimize) {
        if (sf_art_minimize(p, a, map, &par, mftol, 100000, &e0, &steps))
            return sfl_core_error(L);
    }
    size_t total = nc * (size_t)nev;
    evbox *box = lua_newuserdatauv(L, sizeof *box, 0);
    box->ev = NULL;
    box->n = 0;
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, evbox_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    box->ev = calloc(total ? total : 1, sizeof *box->ev);
    if (!box->ev)
        return luaL_error(L, "sflex.art: out of memory for %d events", (int)total);
    box->n = total;
    if (sf_art_run(p, a, map, &par, centers, nc, nev, configs, threads, box->ev))
        return sfl_core_error(L);
    /* result */
    lua_createtable(L, 0, 8);
    int res = lua_gettop(L);
    if (!minimize) {
        double e;
        if (sf_eam_compute(p, a, map, &e, NULL, NULL, NULL))
            return sfl_core_error(L);
        e0 = e;
    }
    set_num(L, "e0", e0);
    set_int(L, "minimize_steps", steps);
    lua_pushvalue(L, amin);
    lua_setfield(L, res, "minimum");
    lua_createtable(L, (int)total, 0);
    long calls = 0;
    double secs = 0;
    long count[5] = {0};
    for (size_t t = 0; t < total; t++) {
        const sf_art_event *e = box->ev + t;
        lua_createtable(L, 0, 30);
        set_int(L, "center", (lua_Integer)e->center + 1);
        set_int(L, "id", (lua_Integer)a->id[e->center]);
        set_int(L, "event", e->index + 1);
        lua_pushstring(L, sf_art_status_name(e->status));
        lua_setfield(L, -2, "status");
        if (e->why && *e->why) {
            lua_pushstring(L, e->why);
            lua_setfield(L, -2, "why");
        }
        set_num(L, "barrier", e->barrier);
        set_num(L, "relaxation", e->relaxation);
        set_num(L, "e_saddle", e->e_saddle);
        set_num(L, "e_final", e->e_final);
        set_num(L, "eigenvalue", e->eigenvalue);
        set_num(L, "saddle_force", e->saddle_force);
        set_num(L, "saddle_disp", e->saddle_disp);
        set_num(L, "max_disp", e->max_disp);
        set_int(L, "max_atom", (lua_Integer)e->max_atom + 1);
        set_num(L, "max_atom_dist", e->max_atom_dist);
        set_int(L, "ndisplaced", e->ndisplaced);
        set_int(L, "nmobile", e->nmobile);
        set_int(L, "force_calls", e->force_calls);
        set_int(L, "calls_lanczos", e->calls_lanczos);
        set_int(L, "calls_escape", e->calls_escape);
        set_int(L, "calls_activation", e->calls_activation);
        set_int(L, "calls_relax", e->calls_relax);
        set_int(L, "calls_refine", e->calls_refine);
        set_num(L, "local_barrier", e->local_barrier);
        set_int(L, "nrefine", e->nrefine);
        set_int(L, "iterations", e->iterations);
        set_int(L, "escapes", e->escapes);
        set_int(L, "lost", e->lost);
        set_int(L, "builds", e->builds);
        set_num(L, "seconds", e->seconds);
        if (e->x_saddle) {
            push_positions(L, a, e->x_saddle);
            lua_setfield(L, -2, "saddle");
        }
        if (e->x_final) {
            push_positions(L, a, e->x_final);
            lua_setfield(L, -2, "final");
        }
        lua_rawseti(L, -2, (lua_Integer)t + 1);
        calls += e->force_calls;
        secs += e->seconds;
        if (e->status >= 0 && e->status < 5)
            count[e->status]++;
    }
    lua_setfield(L, res, "events");
    lua_createtable(L, 0, 5);
    for (int s = 0; s < 5; s++)
        set_int(L, sf_art_status_name(s), count[s]);
    lua_setfield(L, res, "counts");
    set_int(L, "force_calls", calls);
    set_num(L, "event_seconds", secs);
    lua_pushvalue(L, res);
    return 1;
}

/* sflex.minimize(pot, atoms [, opts]) -> Atoms, E, steps */
static int l_minimize(lua_State *L)
{
    lua_settop(L, 3);
    sf_atoms *a0 = sfl_check_atoms(L, 2);
    static const char *const keys[] = {"ftol", "max_steps", NULL};
    sf_art_params par;
    read_params(L, 3, &par, "sflex.minimize", keys);
    double ftol = 1e-3;
    int maxsteps = 100000;
    if (lua_istable(L, 3)) {
        if (lua_getfield(L, 3, "ftol") != LUA_TNIL)
            ftol = luaL_checknumber(L, -1);
        if (lua_getfield(L, 3, "max_steps") != LUA_TNIL)
            maxsteps = (int)luaL_checkinteger(L, -1);
        lua_pop(L, 2);
    }
    if (!(ftol > 0) || maxsteps < 1)
        return luaL_error(L, "sflex.minimize: ftol and max_steps must be positive");
    int *map;
    const sf_eam *p = sfl_potential_map(L, 1, a0, &map);
    sfl_push_atoms(L, sf_atoms_copy(a0));
    sf_atoms *a = sfl_check_atoms(L, -1);
    double e;
    int steps;
    if (sf_art_minimize(p, a, map, &par, ftol, maxsteps, &e, &steps))
        return sfl_core_error(L);
    lua_pushnumber(L, e);
    lua_pushinteger(L, steps);
    return 3;
}

static const luaL_Reg funcs[] = {
    {"art", l_art},
    {"minimize", l_minimize},
    {NULL, NULL},
};
static const char *const func_docs[] = {
    "sflex.art(pot, atoms [, opts]) -> result\n"
    "  Thermally activated events by ART nouveau (see doc/activation.md).  The atoms\n"
    "  are first relaxed to a minimum x0 (FIRE to |F| < minimize_ftol, default\n"
    "  min_force_tol/10; minimize=false: use them as they are); then `events` searches\n"
    "  on each centre: kick the centre and its neighbours within init_radius by\n"
    "  init_disp, push until the Lanczos lowest curvature < eig_threshold, climb to\n"
    "  |F| < force_tol, relax into the next minimum.\n"
    "  opts: centers (1-based atom indices; default all), events = 30, threads (0 =\n"
    "  OpenMP default; results do not depend on it), configs = false (store saddle and\n"
    "  final Atoms per event), minimize = true, minimize_ftol, and the parameters\n"
    "  init_disp = 0.5, init_radius = 3.5, eig_threshold = -0.01, force_tol = 0.05,\n"
    "  min_force_tol = 0.01, push_step = 0.2, max_escape = 150, perp_steps = 4,\n"
    "  act_steps = 12, max_activation = 300, max_lost = 0 (no limit), follow_mode = true\n"
    "  (once the curvature was lost, push along the last negative mode), lanczos_h = 0.01,\n"
    "  lanczos_max = 20, lanczos_tol = 1e-2, max_move = 0.1, fire_dt = 0.1,\n"
    "  max_min_steps = 5000, relax_push = 0.2, return_tol = 0.1, deloc_radius = 8,\n"
    "  max_energy = 10, local_radius = 0 (0: all atoms move; r: only atoms within r\n"
    "  of the centre), skin = 0.5, check_connect = false, refine = false (with\n"
    "  local_radius: converge the local saddle again with the atoms within\n"
    "  refine_radius free, then relax there), refine_radius = 0 (all atoms), seed = 1\n"
    "  (lengths in A, energies\n"
    "  in eV, curvatures in eV/A^2, forces as total norms in eV/A).\n"
    "  result: e0, minimum (Atoms x0), minimize_steps, counts {new_minimum, returned,\n"
    "  delocalised, failed, disconnected}, force_calls, event_seconds, and events[k] =\n"
    "  {center, id, event, status, why (failed), barrier = E_saddle - E0, relaxation =\n"
    "  E_final - E0, e_saddle, e_final, eigenvalue (at the saddle), saddle_force,\n"
    "  saddle_disp, max_disp (final vs x0), max_atom (moved most at the saddle),\n"
    "  max_atom_dist (its distance from the centre), ndisplaced (> return_tol), nmobile,\n"
    "  force_calls = calls_lanczos + calls_escape + calls_activation + calls_relax +\n"
    "  calls_refine, local_barrier (refine: the barrier before refinement), nrefine,\n"
    "  iterations (Lanczos computations), escapes (pushes along x - x0), builds,\n"
    "  seconds, saddle, final}.  Only status 'new_minimum' events\n"
    "  are barriers; 'returned', 'delocalised', 'failed', 'disconnected' are reported.",
    "sflex.minimize(pot, atoms [, {ftol = 1e-3, max_steps = 100000, max_move, fire_dt,\n"
    "               skin}]) -> Atoms, E, steps\n"
    "  FIRE energy minimisation (all atoms, fixed box) to a total force norm < ftol\n"
    "  (eV/A); a new Atoms.  Raises if not converged.",
    NULL,
};

void sfl_open_art(lua_State *L)
{
    sfl_register(L, funcs, func_docs);
}
