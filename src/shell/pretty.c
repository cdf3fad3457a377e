/* pretty.c - how the REPL shows values.
 *
 *   strings (top level)   as they are, like print
 *   __tostring / __name   what luaL_tolstring says (Atoms(n=...), Vector(...))
 *   plain tables          {1, 2, x = 3, name = "Cu"}: the sequence part in
 *                         order, then the other keys sorted (numbers, strings,
 *                         booleans, the rest), nested tables to depth 3, long
 *                         tables cut with "... (N more)", cycles as <cycle>;
 *                         a table too wide for one line is wrapped over
 *                         several, indented; functions inside a table show
 *                         as "function"
 *
 * The text is built in a buffer held by a userdata on the Lua stack, so an
 * error raised by a __tostring metamethod leaks nothing. */
#include "sh.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <string.h>

enum {
    WIDTH = 100,         /* wrap a table wider than this */
    MAX_DEPTH = 3,       /* tables nested deeper show as {...} */
    TOP_ITEMS = 100,     /* entries shown of the outermost table */
    NESTED_ITEMS = 10,   /* entries shown of a nested table */
    NESTED_STRING = 60,  /* bytes shown of a string inside a table */
    SORT_LIMIT = 10000,  /* hash keys beyond this are shown unsorted */
    TOTAL_LIMIT = 20000, /* bytes of output at most */
};

typedef struct sbuf {
    lua_State *L;
    int slot;    /* stack index of the userdata that owns p */
    int visited; /* stack index of the set of tables being rendered */
    char *p;
    size_t n, cap;
    int full; /* TOTAL_LIMIT reached */
} sbuf;

static void sb_reserve(sbuf *b, size_t extra)
{
    if (b->n + extra <= b->cap)
        return;
    size_t cap = b->cap * 2;
    if (cap < b->n + extra + 64)
        cap = b->n + extra + 64;
    char *p = lua_newuserdatauv(b->L, cap, 0);
    memcpy(p, b->p, b->n);
    lua_replace(b->L, b->slot);
    b->p = p;
    b->cap = cap;
}

static void sb_addlen(sbuf *b, const char *s, size_t len)
{
    sb_reserve(b, len);
    memcpy(b->p + b->n, s, len);
    b->n += len;
}

static void sb_add(sbuf *b, const char *s)
{
    sb_addlen(b, s, strlen(s));
}

/* Insert s at byte offset pos. */
static void sb_insert(sbuf *b, size_t pos, const char *s)
{
    size_t len = strlen(s);
    sb_reserve(b, len);
    memmove(b->p + pos + len, b->p + pos, b->n - pos);
    memcpy(b->p + pos, s, len);
    b->n += len;
}

static int is_identifier(const char *s, size_t len)
{
    if (len == 0 || !(s[0] == '_' || ((s[0] | 32) >= 'a' && (s[0] | 32) <= 'z')))
        return 0;
    for (size_t i = 1; i < len; i++) {
        char c = s[i];
        if (!(c == '_' || (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z')))
            return 0;
    }
    for (int k = 0; sh_lua_keywords[k]; k++)
        if (strlen(sh_lua_keywords[k]) == len && !memcmp(sh_lua_keywords[k], s, len))
            return 0;
    return 1;
}

static void add_quoted(sbuf *b, const char *s, size_t len, size_t maxlen)
{
    size_t shown = len > maxlen ? maxlen : len;
    sb_add(b, "\"");
    for (size_t i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        switch (c) {
        case '"': sb_add(b, "\\\""); break;
        case '\\': sb_add(b, "\\\\"); break;
        case '\n': sb_add(b, "\\n"); break;
        case '\r': sb_add(b, "\\r"); break;
        case '\t': sb_add(b, "\\t"); break;
        default:
            if (c < 32 || c == 127) {
                snprintf(esc, sizeof esc, "\\%u", c);
                sb_add(b, esc);
            } else
                sb_addlen(b, (const char *)&c, 1);
        }
    }
    sb_add(b, shown < len ? "...\"" : "\"");
}

/* luaL_tolstring of the value at idx, appended. */
static void add_tostring(sbuf *b, int idx)
{
    size_t len;
    const char *s = luaL_tolstring(b->L, idx, &len);
    sb_addlen(b, s, len);
    lua_pop(b->L, 1);
}

static int has_custom_tostring(lua_State *L, int idx)
{
    int t = luaL_getmetafield(L, idx, "__tostring");
    if (t == LUA_TNIL)
        t = luaL_getmetafield(L, idx, "__name");
    if (t != LUA_TNIL) {
        lua_pop(L, 1);
        return 1;
    }
    return 0;
}

static int type_rank(int t)
{
    switch (t) {
    case LUA_TNUMBER: return 0;
    case LUA_TSTRING: return 1;
    case LUA_TBOOLEAN: return 2;
    default: return 3;
    }
}

/* Order of the keys of a table: a strict weak order on any values. */
static int key_less(lua_State *L)
{
    int ta = lua_type(L, 1), tb = lua_type(L, 2);
    int ra = type_rank(ta), rb = type_rank(tb);
    if (ra != rb)
        lua_pushboolean(L, ra < rb);
    else if (ta == LUA_TNUMBER || ta == LUA_TSTRING)
        lua_pushboolean(L, lua_compare(L, 1, 2, LUA_OPLT));
    else if (ta == LUA_TBOOLEAN)
        lua_pushboolean(L, !lua_toboolean(L, 1) && lua_toboolean(L, 2));
    else if (ta != tb)
        lua_pushboolean(L, ta < tb);
    else
        lua_pushboolean(L, (const char *)lua_topointer(L, 1) <
                               (const char *)lua_topointer(L, 2));
    return 1;
}

/* Sort the sequence at idx with key_less, using the standard table.sort. */
static void sort_keys(lua_State *L, int idx)
{
    lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_getfield(L, -1, LUA_TABLIBNAME);
    if (lua_istable(L, -1) && lua_getfield(L, -1, "sort") == LUA_TFUNCTION) {
        lua_pushvalue(L, idx);
        lua_pushcfunction(L, key_less);
        lua_call(L, 2, 0);
        lua_pop(L, 2);
    } else
        lua_pop(L, 3);
}

static void render(sbuf *b, int idx, int depth);

static void render_key(sbuf *b, int idx)
{
    lua_State *L = b->L;
    if (lua_type(L, idx) == LUA_TSTRING) {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        if (is_identifier(s, len)) {
            sb_addlen(b, s, len);
            return;
        }
    }
    sb_add(b, "[");
    render(b, idx, MAX_DEPTH); /* a table as key: never expanded */
    sb_add(b, "]");
}

/* Append one entry: key at kidx (0 in the sequence part) and value at vidx,
 * or the literal text when vidx is 0.  In wrapped mode, break the line
 * before the entry if it does not fit. */
static void render_entry(sbuf *b, int kidx, int vidx, const char *text,
                         int depth, int first, int wrapped, size_t *line_start)
{
    if (!first)
        sb_add(b, wrapped ? "," : ", ");
    size_t pos = b->n;
    if (wrapped && !first)
        sb_add(b, " ");
    if (kidx) {
        render_key(b, kidx);
        sb_add(b, " = ");
    }
    if (vidx)
        render(b, vidx, depth + 1);
    else
        sb_add(b, text);
    if (wrapped) {
        if (first || b->n - *line_start > WIDTH) {
            if (!first)
                memmove(b->p + pos, b->p + pos + 1, --b->n - pos); /* drop " " */
            sb_insert(b, pos, "\n  ");
            *line_start = pos + 1;
        }
    }
}

/* Render the plain table at idx (absolute).  Wrapped: over several lines. */
static void render_table_body(sbuf *b, int t, int depth, int wrapped)
{
    lua_State *L = b->L;
    int maxitems = depth == 0 ? TOP_ITEMS : NESTED_ITEMS;
    lua_Integer shown = 0, total = 0, seq = 0;
    size_t start = b->n, line_start = b->n;
    sb_add(b, "{");
#define ROOM (shown < maxitems && !b->full && (depth == 0 || b->n - start < WIDTH))

    /* the sequence part, 1..seq */
    for (lua_Integer i = 1;; i++) {
        if (lua_rawgeti(L, t, i) == LUA_TNIL) {
            lua_pop(L, 1);
            break;
        }
        seq = i;
        total++;
        if (ROOM) {
            render_entry(b, 0, lua_gettop(L), NULL, depth, shown == 0, wrapped,
                         &line_start);
            shown++;
        }
        lua_pop(L, 1);
    }

    /* the other keys, sorted */
    lua_newtable(L);
    int keys = lua_gettop(L);
    lua_Integer nkeys = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        if (lua_isinteger(L, -1)) {
            lua_Integer k = lua_tointeger(L, -1);
            if (k >= 1 && k <= seq)
                continue;
        }
        total++;
        if (nkeys < SORT_LIMIT || nkeys < maxitems) {
            lua_pushvalue(L, -1);
            lua_rawseti(L, keys, ++nkeys);
        }
    }
    if (nkeys <= SORT_LIMIT)
        sort_keys(L, keys);
    for (lua_Integer k = 1; k <= nkeys && ROOM; k++) {
        lua_rawgeti(L, keys, k);
        lua_pushvalue(L, -1);
        lua_rawget(L, t);
        render_entry(b, lua_gettop(L) - 1, lua_gettop(L), NULL, depth, shown == 0,
                     wrapped, &line_start);
        shown++;
        lua_pop(L, 2);
    }
    lua_pop(L, 1); /* keys */

    if (total > shown) {
        char more[64];
        snprintf(more, sizeof more, "... (%lld more)", (long long)(total - shown));
        render_entry(b, 0, 0, more, depth, shown == 0, wrapped, &line_start);
    }
    sb_add(b, wrapped ? "\n}" : "}");
#undef ROOM
}

static void render(sbuf *b, int idx, int depth)
{
    lua_State *L = b->L;
    if (b->full)
        return;
    if (b->n > TOTAL_LIMIT) {
        b->full = 1;
        sb_add(b, "...");
        return;
    }
    idx = lua_absindex(L, idx);
    luaL_checkstack(L, 8, "value too deeply nested");
    switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        add_quoted(b, s, len, NESTED_STRING);
        return;
    }
    case LUA_TTABLE:
        break;
    case LUA_TFUNCTION: /* the address says little inside a table */
        if (depth > 0) {
            sb_add(b, "function");
            return;
        }
        add_tostring(b, idx);
        return;
    default:
        add_tostring(b, idx);
        return;
    }
    if (has_custom_tostring(L, idx)) {
        add_tostring(b, idx);
        return;
    }
    if (depth >= MAX_DEPTH) {
        lua_pushnil(L);
        int empty = !lua_next(L, idx);
        if (!empty)
            lua_pop(L, 2);
        sb_add(b, empty ? "{}" : "{...}");
        return;
    }
    lua_pushvalue(L, idx);
    if (lua_rawget(L, b->visited) != LUA_TNIL) {
        lua_pop(L, 1);
        sb_add(b, "<cycle>");
        return;
    }
    lua_pop(L, 1);
    lua_pushvalue(L, idx);
    lua_pushboolean(L, 1);
    lua_rawset(L, b->visited);

    size_t start = b->n;
    render_table_body(b, idx, depth, 0);
    if (depth == 0 && b->n - start > WIDTH && !b->full) {
        b->n = start;
        render_table_body(b, idx, depth, 1);
    }

    lua_pushvalue(L, idx);
    lua_pushnil(L);
    lua_rawset(L, b->visited);
}

void sh_pretty_push(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) == LUA_TSTRING) {
        lua_pushvalue(L, idx);
        return;
    }
    sbuf b = {L, 0, 0, NULL, 0, 256, 0};
    b.p = lua_newuserdatauv(L, b.cap, 0);
    b.slot = lua_gettop(L);
    lua_newtable(L);
    b.visited = lua_gettop(L);
    render(&b, idx, 0);
    lua_pushlstring(L, b.p, b.n);
    lua_replace(L, b.slot);
    lua_settop(L, b.slot);
}
