/* l_sflex.c - the module opener: luaopen_sflex_core builds the table that
 * lua/sflex/init.lua wraps into the public `sflex` module. */
#include "l_sflex.h"

#include <string.h>

int sfl_core_error(lua_State *L)
{
    return luaL_error(L, "%s", sf_error_message());
}

/* docs live in a registry table with weak keys: value -> text */
static const char DOCS_KEY[] = "sflex.docs";

static void push_docs(lua_State *L)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, DOCS_KEY) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_newtable(L);
        lua_pushliteral(L, "k");
        lua_setfield(L, -2, "__mode");
        lua_setmetatable(L, -2);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, DOCS_KEY);
    }
}

void sfl_doc(lua_State *L, int idx, const char *text)
{
    if (!text)
        return;
    idx = lua_absindex(L, idx);
    push_docs(L);
    lua_pushvalue(L, idx);
    lua_pushstring(L, text);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

void sfl_register(lua_State *L, const luaL_Reg *l, const char *const *docs)
{
    for (int i = 0; l[i].name; i++) {
        lua_pushcfunction(L, l[i].func);
        if (docs && docs[i])
            sfl_doc(L, -1, docs[i]);
        lua_setfield(L, -2, l[i].name);
    }
}

void sfl_new_class(lua_State *L, const char *tname, const luaL_Reg *methods,
                   const char *const *docs, const luaL_Reg *meta,
                   const char *classdoc)
{
    luaL_newmetatable(L, tname);
    if (meta)
        luaL_setfuncs(L, meta, 0);
    lua_newtable(L);
    if (methods)
        sfl_register(L, methods, docs);
    if (classdoc)
        sfl_doc(L, -1, classdoc);
    lua_setfield(L, -2, "__index");
    if (classdoc)
        sfl_doc(L, -1, classdoc);
}

static int l_docs(lua_State *L)
{
    push_docs(L);
    return 1;
}

typedef void (*opener)(lua_State *L);

/* Every binding file's opener, in dependency order. */
static const opener openers[] = {
    sfl_open_array,
    sfl_open_atoms,
    sfl_open_io,
    sfl_open_process,
    sfl_open_voronoi,
    sfl_open_learn,
    sfl_open_eam,
    sfl_open_mech,
    sfl_open_neighbor,
    sfl_open_vacf,
    sfl_open_art,
    NULL,
};

int luaopen_sflex_core(lua_State *L)
{
    lua_newtable(L);
    for (int i = 0; openers[i]; i++)
        openers[i](L);
    lua_pushcfunction(L, l_docs);
    lua_setfield(L, -2, "_docs");
    lua_pushliteral(L, SFLEX_VERSION);
    lua_setfield(L, -2, "version");
    lua_pushliteral(L, SFLEX_LUA_DIR);
    lua_setfield(L, -2, "_luadir");
    return 1;
}
