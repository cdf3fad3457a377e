/* complete.c - tab completion for the REPL.
 *
 * The word before the cursor is read as an expression tail: a chain of names
 * separated by '.', optionally ending with ':' and a partial method name
 * (sflex.re, atoms:se, string.fo, pri).  The chain is resolved from the
 * globals without running Lua code: raw field access, then the metatable's
 * __index when it is a table (followed along chains).  Userdata of sflex
 * (metatable __name "sflex.*") are the exception: their field getters are
 * side-effect free, so atoms.box:wi<TAB> calls the getter for "box".
 * Candidates are the string keys found along the way, plus the keys of a
 * metatable's __methods table and the names in its __fields sequence (the
 * sflex binding convention), plus the Lua keywords at top level.  After ':'
 * only functions are offered.  Names starting with '_' are offered only when
 * the partial name starts with '_'.  Inside a string literal, readline's
 * file name completion takes over. */
#include "sh.h"

#include <lauxlib.h>
#include <lualib.h>
#include <readline/readline.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const sh_lua_keywords[] = {
    "and", "break", "do", "else", "elseif", "end", "false", "for",
    "function", "goto", "if", "in", "local", "nil", "not", "or",
    "repeat", "return", "then", "true", "until", "while", NULL,
};

enum { MAX_HOPS = 32 };

static int name_char(char c)
{
    return c == '_' || (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
}

static int is_sflex_object(lua_State *L, int idx)
{
    if (lua_type(L, idx) != LUA_TUSERDATA)
        return 0;
    int ok = 0;
    if (luaL_getmetafield(L, idx, "__name") != LUA_TNIL) {
        const char *name = lua_tostring(L, -1);
        ok = name && !strncmp(name, "sflex.", 6);
        lua_pop(L, 1);
    }
    return ok;
}

static int index_getter(lua_State *L)
{
    lua_gettable(L, 1);
    return 1;
}

/* Push the field name of the value at idx, or nil when it cannot be found
 * without running arbitrary code. */
static void lookup(lua_State *L, int idx, const char *name)
{
    idx = lua_absindex(L, idx);
    if (is_sflex_object(L, idx)) {
        lua_pushcfunction(L, index_getter);
        lua_pushvalue(L, idx);
        lua_pushstring(L, name);
        if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
            lua_pop(L, 1);
            lua_pushnil(L);
        }
        return;
    }
    lua_pushvalue(L, idx);
    for (int hop = 0; hop < MAX_HOPS; hop++) {
        int cur = lua_gettop(L);
        if (lua_istable(L, cur)) {
            lua_pushstring(L, name);
            if (lua_rawget(L, cur) != LUA_TNIL) {
                lua_replace(L, cur);
                return;
            }
            lua_pop(L, 1);
        }
        if (!lua_getmetatable(L, cur))
            break;
        lua_pushliteral(L, "__methods");
        if (lua_rawget(L, -2) == LUA_TTABLE) {
            lua_pushstring(L, name);
            if (lua_rawget(L, -2) != LUA_TNIL) {
                lua_replace(L, cur);
                lua_settop(L, cur);
                return;
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
        lua_pushliteral(L, "__index");
        if (lua_rawget(L, -2) != LUA_TTABLE)
            break;
        lua_replace(L, cur); /* continue with the __index table */
        lua_settop(L, cur);
    }
    lua_settop(L, idx);
    lua_pushnil(L);
}

typedef struct want {
    const char *prefix; /* text before the partial name, e.g. "string." */
    const char *partial;
    size_t plen;
    int methods_only;
    int set; /* stack index of the result set */
} want;

static void offer(lua_State *L, const want *w, const char *key, size_t klen)
{
    if (klen < w->plen || memcmp(key, w->partial, w->plen) != 0)
        return;
    if (key[0] == '_' && w->partial[0] != '_')
        return;
    for (size_t i = 0; i < klen; i++)
        if (!name_char(key[i]) || (i == 0 && key[0] >= '0' && key[0] <= '9'))
            return;
    lua_pushfstring(L, "%s%s", w->prefix, key);
    lua_pushboolean(L, 1);
    lua_rawset(L, w->set);
}

/* Offer the string keys of the table at idx. */
static void offer_keys(lua_State *L, const want *w, int idx)
{
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) == LUA_TSTRING &&
            (!w->methods_only || lua_type(L, -1) == LUA_TFUNCTION)) {
            size_t len;
            const char *key = lua_tolstring(L, -2, &len);
            offer(L, w, key, len);
        }
        lua_pop(L, 1);
    }
}

static void offer_fields_of(lua_State *L, const want *w, int idx)
{
    lua_pushvalue(L, idx);
    for (int hop = 0; hop < MAX_HOPS; hop++) {
        luaL_checkstack(L, 8, NULL);
        int cur = lua_gettop(L);
        if (lua_istable(L, cur))
            offer_keys(L, w, cur);
        if (!lua_getmetatable(L, cur))
            break;
        int mt = lua_gettop(L);
        lua_pushliteral(L, "__methods");
        if (lua_rawget(L, mt) == LUA_TTABLE)
            offer_keys(L, w, mt + 1);
        lua_settop(L, mt);
        lua_pushliteral(L, "__fields");
        if (!w->methods_only && lua_rawget(L, mt) == LUA_TTABLE) {
            for (lua_Integer i = 1; lua_rawgeti(L, mt + 1, i) == LUA_TSTRING; i++) {
                size_t len;
                const char *key = lua_tolstring(L, -1, &len);
                offer(L, w, key, len);
                lua_pop(L, 1);
            }
        }
        lua_settop(L, mt);
        lua_pushliteral(L, "__index");
        if (lua_rawget(L, mt) != LUA_TTABLE || lua_rawequal(L, -1, cur))
            break;
    }
}

static int complete(lua_State *L)
{
    const char *text = luaL_checkstring(L, 1);
    size_t len = strlen(text);
    lua_newtable(L);
    int set = lua_gettop(L);

    /* split into the chain and the partial name after the last separator */
    size_t cut = len;
    while (cut > 0 && name_char(text[cut - 1]))
        cut--;
    want w = {NULL, text + cut, len - cut, 0, set};
    lua_pushlstring(L, text, cut);
    w.prefix = lua_tostring(L, -1);

    if (cut == 0) {
        lua_pushglobaltable(L);
        offer_fields_of(L, &w, lua_gettop(L));
        for (int k = 0; sh_lua_keywords[k]; k++)
            offer(L, &w, sh_lua_keywords[k], strlen(sh_lua_keywords[k]));
    } else {
        char sep = text[cut - 1];
        if ((sep != '.' && sep != ':') || cut < 2)
            goto done;
        w.methods_only = sep == ':';
        lua_pushglobaltable(L);
        size_t i = 0;
        while (i < cut - 1) {
            luaL_checkstack(L, 8, NULL);
            size_t j = i;
            while (j < cut - 1 && name_char(text[j]))
                j++;
            if (j == i || (text[i] >= '0' && text[i] <= '9'))
                goto done;
            if (j < cut - 1 && text[j] != '.')
                goto done; /* ':' only as the last separator */
            lua_pushlstring(L, text + i, j - i);
            lookup(L, -2, lua_tostring(L, -1));
            if (lua_isnil(L, -1))
                goto done;
            i = j + 1;
        }
        offer_fields_of(L, &w, lua_gettop(L));
    }

done:
    lua_newtable(L);
    int list = lua_gettop(L);
    lua_Integer n = 0;
    lua_pushnil(L);
    while (lua_next(L, set)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_rawseti(L, list, ++n);
    }
    lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    if (lua_getfield(L, -1, LUA_TABLIBNAME) == LUA_TTABLE &&
        lua_getfield(L, -1, "sort") == LUA_TFUNCTION) {
        lua_pushvalue(L, list);
        lua_call(L, 1, 0);
    }
    lua_pushvalue(L, list);
    return 1;
}

void sh_complete_push(lua_State *L, const char *text)
{
    lua_pushcfunction(L, complete);
    lua_pushstring(L, text);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
        lua_pop(L, 1);
        lua_newtable(L);
    }
}

/* ---- readline glue ------------------------------------------------------------ */

static lua_State *complete_L;
static int list_idx;
static lua_Integer list_next, list_len;

/* Where the text before position end stands: 0 code, '"' or '\'' inside a
 * string literal, '-' inside a comment. */
static int lexical_state(const char *line, int end)
{
    int state = 0;
    for (int i = 0; i < end; i++) {
        char c = line[i];
        if (state == 0) {
            if (c == '"' || c == '\'')
                state = c;
            else if (c == '-' && i + 1 < end && line[i + 1] == '-')
                return '-';
        } else if (c == '\\')
            i++;
        else if (c == state)
            state = 0;
    }
    return state;
}

static char *generator(const char *text, int state)
{
    (void)text;
    if (state == 0)
        list_next = 1;
    if (list_next > list_len)
        return NULL;
    lua_rawgeti(complete_L, list_idx, list_next++);
    char *s = strdup(lua_tostring(complete_L, -1));
    lua_pop(complete_L, 1);
    return s;
}

static char **attempt(const char *text, int start, int end)
{
    (void)end;
    rl_completion_append_character = '\0';
    int state = lexical_state(rl_line_buffer, start);
    if (state == '"' || state == '\'') {
        rl_attempted_completion_over = 0; /* file names */
        return NULL;
    }
    rl_attempted_completion_over = 1;
    if (state == '-')
        return NULL;
    lua_State *L = complete_L;
    int top = lua_gettop(L);
    sh_complete_push(L, text);
    list_idx = lua_gettop(L);
    list_len = (lua_Integer)lua_rawlen(L, list_idx);
    char **matches = list_len ? rl_completion_matches(text, generator) : NULL;
    lua_settop(L, top);
    return matches;
}

/* Inside a string, only the quote breaks a word (so that file names with
 * '-' or '/' complete whole); in code, '.' and ':' join names. */
static char *word_breaks(void)
{
    static char code[] = " \t\n\"'`@$><=;|&{}()[],+-*/%^~#";
    static char string[] = "\"'";
    int state = lexical_state(rl_line_buffer, rl_point);
    return state == '"' || state == '\'' ? string : code;
}

void sh_complete_init(lua_State *L)
{
    complete_L = L;
    rl_attempted_completion_function = attempt;
    rl_completion_word_break_hook = word_breaks;
    rl_basic_word_break_characters = " \t\n\"'`@$><=;|&{}()[],+-*/%^~#";
}
