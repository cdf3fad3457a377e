/* l_io.c - reading and writing configurations: sflex.read, sflex.write,
 * sflex.frames (a constant-memory iterator over the frames of one or more
 * files). */
#include "l_sflex.h"
#include "sf_io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SFL_FRAMES "sflex.Frames"

/* ---- options ------------------------------------------------------------------ */

/* Options shared by read and frames.  Strings stay valid while the options
 * table (and the helper table pushed by get_read_opts) is on the stack. */
typedef struct lread_opts {
    sf_read_opts o;
    const char *names[SF_MAX_TYPES];
} lread_opts;

static void check_keys(lua_State *L, int idx, const char *fname,
                       const char *const *allowed)
{
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        int ok = 0;
        if (lua_type(L, -1) == LUA_TSTRING)
            for (int i = 0; allowed[i]; i++)
                ok |= strcmp(lua_tostring(L, -1), allowed[i]) == 0;
        if (!ok) {
            char msg[512];
            size_t n = (size_t)snprintf(msg, sizeof msg,
                                        "%s: unknown option '%s' (options:",
                                        fname, luaL_tolstring(L, -1, NULL));
            for (int i = 0; allowed[i] && n < sizeof msg; i++)
                n += (size_t)snprintf(msg + n, sizeof msg - n, " %s",
                                      allowed[i]);
            luaL_error(L, "%s)", msg);
        }
    }
}

/* Fill o from the table at idx (absent/nil: defaults).  Pushes one helper
 * table (kept on the stack by the caller) that anchors split names. */
static void get_read_opts(lua_State *L, int idx, const char *fname,
                          lread_opts *lo, int allow_frame)
{
    static const char *const keys_read[] = {"elements", "frame", "format",
                                            "atom_style", NULL};
    static const char *const keys_frames[] = {"elements", "format",
                                              "atom_style", NULL};
    sf_read_opts_init(&lo->o);
    lua_newtable(L); /* anchor */
    int anchor = lua_gettop(L);
    if (lua_isnoneornil(L, idx))
        return;
    luaL_checktype(L, idx, LUA_TTABLE);
    idx = lua_absindex(L, idx);
    check_keys(L, idx, fname, allow_frame ? keys_read : keys_frames);

    /* elements = {"Cu", "Zr"} or "Cu Zr" */
    int t = lua_getfield(L, idx, "elements");
    if (t == LUA_TSTRING) {
        const char *s = lua_tostring(L, -1);
        int n = 0;
        while (*s) {
            while (*s == ' ' || *s == '\t' || *s == ',')
                s++;
            const char *e = s;
            while (*e && *e != ' ' && *e != '\t' && *e != ',')
                e++;
            if (e > s) {
                if (n == SF_MAX_TYPES)
                    luaL_error(L, "%s: too many elements", fname);
                lua_pushlstring(L, s, (size_t)(e - s));
                lo->names[n++] = lua_tostring(L, -1);
                lua_rawseti(L, anchor, n);
            }
            s = e;
        }
        lo->o.elements = lo->names;
        lo->o.nelements = n;
    } else if (t == LUA_TTABLE) {
        lua_Integer n = luaL_len(L, -1);
        if (n > SF_MAX_TYPES)
            luaL_error(L, "%s: too many elements", fname);
        for (lua_Integer i = 1; i <= n; i++) {
            if (lua_rawgeti(L, -1, i) != LUA_TSTRING)
                luaL_error(L, "%s: elements[%d] is not a string", fname,
                           (int)i);
            lo->names[i - 1] = lua_tostring(L, -1);
            lua_rawseti(L, anchor, (lua_Integer)i); /* anchor the string */
        }
        lo->o.elements = lo->names;
        lo->o.nelements = (int)n;
    } else if (t != LUA_TNIL) {
        luaL_error(L, "%s: elements must be a table of names or a string",
                   fname);
    }
    lua_pop(L, 1);

    /* frame = 1 (first, default) | N | -1 | "first" | "last" */
    if (allow_frame) {
        t = lua_getfield(L, idx, "frame");
        if (t == LUA_TSTRING) {
            const char *s = lua_tostring(L, -1);
            if (!strcmp(s, "last"))
                lo->o.frame = SF_FRAME_LAST;
            else if (!strcmp(s, "first"))
                lo->o.frame = 0;
            else
                luaL_error(L, "%s: frame must be a number, \"first\" or "
                              "\"last\" (got \"%s\")",
                           fname, s);
        } else if (t == LUA_TNUMBER) {
            int isint;
            lua_Integer f = lua_tointegerx(L, -1, &isint);
            if (!isint || f == 0)
                luaL_error(L, "%s: frame must be a non-zero integer (1 is the "
                              "first frame, -1 the last)",
                           fname);
            lo->o.frame = f > 0 ? (long long)f - 1 : (long long)f;
        } else if (t != LUA_TNIL) {
            luaL_error(L, "%s: frame must be a number, \"first\" or \"last\"",
                       fname);
        }
        lua_pop(L, 1);
    }

    if (lua_getfield(L, idx, "format") != LUA_TNIL) {
        const char *s = luaL_checkstring(L, -1);
        if ((lo->o.format = sf_format_from_name(s)) == SF_FORMAT_AUTO)
            luaL_error(L, "%s: unknown format '%s' (dump, data or xyz)", fname,
                       s);
    }
    lua_pop(L, 1);
    if (lua_getfield(L, idx, "atom_style") != LUA_TNIL) {
        lo->o.atom_style = luaL_checkstring(L, -1);
        lua_rawseti(L, anchor, SF_MAX_TYPES + 1);
    } else {
        lua_pop(L, 1);
    }
}

/* ---- sflex.read ------------------------------------------------------------------ */

static int l_read(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    lua_settop(L, 2);
    lread_opts *lo = lua_newuserdatauv(L, sizeof *lo, 0);
    get_read_opts(L, 2, "sflex.read", lo, 1);
    sfl_push_atoms(L, sf_read(path, &lo->o));
    return 1;
}

/* ---- sflex.write ----------------------------------------------------------------- */

static int l_write(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    lua_settop(L, 3);
    int nframes = 1;
    int list = lua_type(L, 2) == LUA_TTABLE;
    if (list) {
        nframes = (int)luaL_len(L, 2);
        if (nframes < 1)
            return luaL_argerror(L, 2, "empty list of Atoms");
        for (int i = 1; i <= nframes; i++) {
            lua_rawgeti(L, 2, i);
            if (!luaL_testudata(L, -1, SFL_ATOMS))
                return luaL_error(L, "sflex.write: element %d of the list is "
                                     "not an Atoms object",
                                  i);
            lua_pop(L, 1);
        }
    } else {
        sfl_check_atoms(L, 2);
    }
    sf_format format = SF_FORMAT_AUTO;
    const char **columns = NULL;
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        static const char *const keys[] = {"format", "columns", NULL};
        check_keys(L, 3, "sflex.write", keys);
        if (lua_getfield(L, 3, "format") != LUA_TNIL) {
            const char *s = luaL_checkstring(L, -1);
            if ((format = sf_format_from_name(s)) == SF_FORMAT_AUTO)
                return luaL_error(L, "sflex.write: unknown format '%s' (dump, "
                                     "data or xyz)",
                                  s);
        }
        lua_pop(L, 1);
        if (lua_getfield(L, 3, "columns") != LUA_TNIL) {
            luaL_checktype(L, -1, LUA_TTABLE);
            lua_Integer n = luaL_len(L, -1);
            columns = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *columns, 0);
            for (lua_Integer i = 1; i <= n; i++) {
                if (lua_rawgeti(L, -2, i) != LUA_TSTRING)
                    return luaL_error(L, "sflex.write: columns[%d] is not a "
                                         "string",
                                      (int)i);
                columns[i - 1] = lua_tostring(L, -1); /* anchored by table */
                lua_pop(L, 1);
            }
            columns[n] = NULL;
        }
        /* the columns table and the pointer block stay on the stack */
    }
    sf_writer *w = sf_writer_open(path, format);
    if (!w)
        return sfl_core_error(L);
    for (int i = 1; i <= nframes; i++) {
        const sf_atoms *a;
        if (list) {
            lua_rawgeti(L, 2, i);
            a = sfl_check_atoms(L, -1);
            lua_pop(L, 1); /* still referenced by the list */
        } else {
            a = sfl_check_atoms(L, 2);
        }
        if (sf_writer_frame(w, a, columns)) {
            sf_writer_abort(w);
            return sfl_core_error(L);
        }
    }
    if (sf_writer_commit(w))
        return sfl_core_error(L);
    return 0;
}

/* ---- sflex.frames ------------------------------------------------------------------ */

typedef struct lframes {
    sf_dump_reader *r;
    char **paths;      /* NULL-terminated, owned */
    size_t npaths, cur;
    sf_read_opts o;
    char **names;      /* owned copies of the element names */
    char *atom_style;
    long long count;   /* frames returned */
    int done;
} lframes;

static void frames_release(lframes *f)
{
    sf_dump_close(f->r);
    f->r = NULL;
    sf_io_free_paths(f->paths);
    f->paths = NULL;
    if (f->names) {
        for (int i = 0; i < f->o.nelements; i++)
            free(f->names[i]);
        free(f->names);
        f->names = NULL;
    }
    free(f->atom_style);
    f->atom_style = NULL;
    f->done = 1;
}

static int frames_gc(lua_State *L)
{
    lframes *f = luaL_checkudata(L, 1, SFL_FRAMES);
    frames_release(f); /* safe to run twice */
    return 0;
}

static int frames_iter(lua_State *L)
{
    lframes *f = luaL_checkudata(L, lua_upvalueindex(1), SFL_FRAMES);
    while (!f->done) {
        if (!f->r) {
            if (f->cur >= f->npaths) {
                frames_release(f);
                break;
            }
            f->r = sf_dump_open(f->paths[f->cur], &f->o);
            if (!f->r) {
                frames_release(f);
                return sfl_core_error(L);
            }
        }
        sf_atoms *a = NULL;
        int rc = sf_dump_next(f->r, &a);
        if (rc < 0) {
            frames_release(f);
            return sfl_core_error(L);
        }
        if (rc == 1) {
            f->count++;
            sfl_push_atoms(L, a);
            lua_pushinteger(L, (lua_Integer)f->count);
            lua_pushstring(L, sf_dump_path(f->r));
            return 3;
        }
        sf_dump_close(f->r); /* this file is done: on to the next */
        f->r = NULL;
        f->cur++;
    }
    lua_pushnil(L);
    return 1;
}

static int frames_tostring(lua_State *L)
{
    lframes *f = luaL_checkudata(L, 1, SFL_FRAMES);
    if (f->done)
        lua_pushfstring(L, "Frames(finished, %d frames)", (int)f->count);
    else
        lua_pushfstring(L, "Frames(%d file%s, %d frames read)", (int)f->npaths,
                        f->npaths == 1 ? "" : "s", (int)f->count);
    return 1;
}

static char *dup_or_die(lua_State *L, const char *s)
{
    char *p = strdup(s);
    if (!p)
        luaL_error(L, "out of memory");
    return p;
}

static int l_frames(lua_State *L)
{
    lua_settop(L, 2);
    lread_opts *lo = lua_newuserdatauv(L, sizeof *lo, 0);
    get_read_opts(L, 2, "sflex.frames", lo, 0);
    lframes *f = lua_newuserdatauv(L, sizeof *f, 0);
    memset(f, 0, sizeof *f);
    luaL_setmetatable(L, SFL_FRAMES);
    int fidx = lua_gettop(L);
    f->o = lo->o;
    f->o.elements = NULL;
    if (lo->o.nelements > 0) {
        f->names = calloc((size_t)lo->o.nelements, sizeof *f->names);
        if (!f->names)
            return luaL_error(L, "out of memory");
        f->o.nelements = lo->o.nelements; /* frames_release frees these */
        for (int i = 0; i < lo->o.nelements; i++)
            f->names[i] = dup_or_die(L, lo->names[i]);
        f->o.elements = (const char *const *)f->names;
    }
    if (lo->o.atom_style) {
        f->atom_style = dup_or_die(L, lo->o.atom_style);
        f->o.atom_style = f->atom_style;
    }
    if (lua_type(L, 1) == LUA_TTABLE) {
        lua_Integer n = luaL_len(L, 1);
        if (n < 1)
            return luaL_argerror(L, 1, "empty list of paths");
        f->paths = calloc((size_t)n + 1, sizeof *f->paths);
        if (!f->paths)
            return luaL_error(L, "out of memory");
        for (lua_Integer i = 1; i <= n; i++) {
            if (lua_rawgeti(L, 1, i) != LUA_TSTRING)
                return luaL_error(L, "sflex.frames: paths[%d] is not a string",
                                  (int)i);
            f->paths[i - 1] = dup_or_die(L, lua_tostring(L, -1));
            f->npaths = (size_t)i;
            lua_pop(L, 1);
        }
    } else {
        const char *p = luaL_checkstring(L, 1);
        /* an existing file is taken literally, even with * in its name */
        if (access(p, F_OK) == 0) {
            f->paths = calloc(2, sizeof *f->paths);
            if (!f->paths)
                return luaL_error(L, "out of memory");
            f->paths[0] = dup_or_die(L, p);
            f->npaths = 1;
        } else if (!(f->paths = sf_io_expand(p, &f->npaths))) {
            return sfl_core_error(L);
        }
    }
    lua_pushvalue(L, fidx);
    lua_pushcclosure(L, frames_iter, 1);
    lua_pushnil(L);
    lua_pushnil(L);
    lua_pushvalue(L, fidx); /* to-be-closed value of the generic for */
    return 4;
}

/* ---- sflex.detect_format / sflex.expand ------------------------------------------- */

static int l_detect_format(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    sf_format f = sf_format_detect(path);
    if (f == SF_FORMAT_AUTO)
        return sfl_core_error(L);
    lua_pushstring(L, sf_format_name(f));
    return 1;
}

static int l_expand(lua_State *L)
{
    const char *pattern = luaL_checkstring(L, 1);
    size_t n;
    char **paths = sf_io_expand(pattern, &n);
    if (!paths)
        return sfl_core_error(L);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, paths[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    sf_io_free_paths(paths);
    return 1;
}

static const luaL_Reg funcs[] = {
    {"read", l_read},
    {"write", l_write},
    {"frames", l_frames},
    {"detect_format", l_detect_format},
    {"expand", l_expand},
    {NULL, NULL},
};

static const char *const docs[] = {
    "sflex.read(path [, {elements = {\"Cu\", \"Zr\"} | \"Cu Zr\", frame = 1 | -1 | \"last\",\n"
    "                     format = \"dump\"|\"data\"|\"xyz\", atom_style = \"atomic\"}]) -> Atoms\n"
    "Read a LAMMPS text dump (plain or .gz, any frame), a LAMMPS data file or an\n"
    "(extended) XYZ file; the format is detected from the content.  elements names\n"
    "types 1..k the way pair_coeff does.  frame counts from 1; negative counts from\n"
    "the end.  Errors name the file, the line and the problem.  See doc/formats.md.",
    "sflex.write(path, atoms | {atoms, ...} [, {format = \"dump\"|\"data\"|\"xyz\",\n"
    "                                          columns = {\"id\", \"type\", \"x\", ...}}])\n"
    "Write a configuration (a list of Atoms: one frame each, dump and xyz only).\n"
    "The format comes from the extension (.dump .lammpstrj / .data .lmp / .xyz\n"
    ".extxyz, optionally + .gz).  The file appears complete or not at all (a\n"
    "temporary file is renamed into place).  columns selects dump columns: id type\n"
    "element mass x y z xs ys zs xu yu zu xsu ysu zsu ix iy iz vx vy vz or any named\n"
    "per-atom column.",
    "sflex.frames(path | pattern | {path, ...} [, {elements =, format =, atom_style =}])\n"
    "  -> iterator: for atoms, i, path in sflex.frames(\"dump.*.gz\") do ... end\n"
    "One frame at a time in constant memory, across all files in order (a pattern\n"
    "with * ? [..] is expanded and sorted by the numbers in the names).",
    "sflex.detect_format(path) -> \"dump\" | \"data\" | \"xyz\"",
    "sflex.expand(pattern) -> {paths}: file names matching a * ? [..] pattern,\n"
    "sorted so that dump.9 comes before dump.10.",
    NULL,
};

static const luaL_Reg frames_meta[] = {
    {"__gc", frames_gc},
    {"__close", frames_gc},
    {"__tostring", frames_tostring},
    {NULL, NULL},
};

void sfl_open_io(lua_State *L)
{
    sfl_new_class(L, SFL_FRAMES, NULL, NULL, frames_meta,
                  "Frames: the state of an sflex.frames iteration (closed at the end of the\n"
                  "loop, or when collected).");
    lua_pop(L, 1);
    sfl_register(L, funcs, docs);
}
