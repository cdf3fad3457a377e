/* fuzz_lua.c - libFuzzer harness for the parsers written in Lua: the model
 * loader of lua/sflex/learn.lua (learn.parse_model, on top of the C parser)
 * and the package manifest parser of lua/sflex/package.lua.  Built once per
 * target with FUZZ_LUA_TARGET = "model" or "manifest" (fuzz/CMakeLists.txt).
 *
 * One Lua state lives for the whole run.  The target function gets the
 * input as a string; it must either return or raise an error whose message
 * names the input ("NAME:LINE: problem", possibly after the position of the
 * Lua caller that luaL_error adds) -- any other error, such as "attempt to
 * index a nil value", is a bug in the parser and aborts. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "fuzz.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_LUA_TARGET
#error "define FUZZ_LUA_TARGET"
#endif
#ifndef SFLEX_LUA_DIR
#error "SFLEX_LUA_DIR is defined by the build"
#endif

int luaopen_sflex_core(lua_State *L); /* src/lua/l_sflex.c */

/* Each chunk returns function(text) and the name it puts in messages. */
static const struct {
    const char *target, *chunk;
} targets[] = {
    {"model",
     "local learn = require('sflex.learn').learn\n"
     "return function(text) return learn.parse_model(text, 'fuzz.sfmodel') end, 'fuzz.sfmodel'\n"},
    {"manifest",
     "local package = require('sflex.package')\n"
     "local function clean(e) return type(e) == 'string' and e:find('^MANIFEST:%d+:') end\n"
     "return function(text)\n"
     "  local ok, e = pcall(package.parse_sha256sums, text, 'MANIFEST')\n"
     "  if not ok and not clean(e) then error('parse_sha256sums: ' .. tostring(e), 0) end\n"
     "  local m = package.parse_manifest(text, 'MANIFEST')\n"
     "  local t1 = package.format_manifest(m)\n"
     "  local again = package.parse_manifest(t1, 'formatted')\n"
     "  assert(package.format_manifest(again) == t1,\n"
     "         'format_manifest(parse_manifest(x)) is not a fixed point')\n"
     "  package.parse_sha256sums(package.format_sha256sums(m, ('0'):rep(64)), 'sums')\n"
     "end, 'MANIFEST'\n"},
};

static lua_State *L;
static const char *name;
static int fn_ref;
static unsigned long runs;

static void close_state(void)
{
    if (L)
        lua_close(L);
    L = NULL;
}

static void setup(void)
{
    L = luaL_newstate();
    luaL_openlibs(L);
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "preload");
    lua_pushcfunction(L, luaopen_sflex_core);
    lua_setfield(L, -2, "sflex_core");
    lua_pop(L, 1);
    lua_pushstring(L, SFLEX_LUA_DIR "/?.lua;" SFLEX_LUA_DIR "/?/init.lua");
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);
    const char *chunk = NULL;
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
        if (!strcmp(targets[i].target, FUZZ_LUA_TARGET))
            chunk = targets[i].chunk;
    if (!chunk || luaL_loadstring(L, chunk) != LUA_OK || lua_pcall(L, 0, 2, 0) != LUA_OK) {
        fprintf(stderr, "fuzz_lua: cannot set up target %s: %s\n", FUZZ_LUA_TARGET,
                chunk ? lua_tostring(L, -1) : "unknown target");
        abort();
    }
    name = strdup(lua_tostring(L, -1));
    lua_pop(L, 1);
    fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    atexit(close_state);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!L)
        setup();
    lua_rawgeti(L, LUA_REGISTRYINDEX, fn_ref);
    lua_pushlstring(L, (const char *)data, size);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        char want[256];
        snprintf(want, sizeof want, "%s:", name);
        const char *at = msg ? strstr(msg, want) : NULL;
        const char *nl = msg ? strchr(msg, '\n') : NULL;
        if (!at || (nl && nl < at) || at[strlen(want)] < '0' || at[strlen(want)] > '9') {
            fprintf(stderr, "fuzz_lua(%s): unclean error: %s\n", FUZZ_LUA_TARGET,
                    msg ? msg : "(not a string)");
            lua_settop(L, 0);
            FUZZ_ABORT();
        }
        lua_pop(L, 1);
    }
    if (++runs % 256 == 0)
        lua_gc(L, LUA_GCCOLLECT);
    return 0;
}
