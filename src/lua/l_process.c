/* l_process.c - sflex.Process: a child process with pipes, plus the
 * temporary-directory helpers a driver of external programs needs.
 *
 *   local p = sflex.spawn({"lmp", "-log", "none"}, {stderr = "merge"})
 *   p:write("print hello\n")
 *   local line, why = p:read_line(10)   -- nil, "timeout" | "eof"
 *   p:close()
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "l_sflex.h"
#include "sf_process.h"

#define SFL_PROCESS "sflex.Process"

typedef struct sfl_process {
    sf_process *p;
    int status; /* exit status once closed, -1 while unknown */
} sfl_process;

static sfl_process *check_process(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, SFL_PROCESS);
}

static sf_process *check_open(lua_State *L, int idx)
{
    sfl_process *u = check_process(L, idx);
    if (!u->p)
        luaL_error(L, "Process is closed");
    return u->p;
}

/* sflex.spawn(argv [, {cwd=, stderr="merge"|"inherit"|"null"}]) */
static int l_spawn(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 1);
    luaL_argcheck(L, n >= 1, 1, "empty command");
    const char *cwd = NULL;
    enum sf_process_stderr err = SF_PROCESS_STDERR_MERGE;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        if (lua_getfield(L, 2, "cwd") != LUA_TNIL)
            cwd = luaL_checkstring(L, -1); /* kept alive by the table */
        lua_pop(L, 1);
        if (lua_getfield(L, 2, "stderr") != LUA_TNIL) {
            static const char *const names[] = {"merge", "inherit", "null",
                                                NULL};
            const char *s = lua_tostring(L, -1);
            int k = -1;
            for (int i = 0; s && names[i]; i++)
                if (strcmp(s, names[i]) == 0)
                    k = i;
            if (k < 0)
                return luaL_argerror(
                    L, 2, "stderr must be \"merge\", \"inherit\" or \"null\"");
            err = (enum sf_process_stderr)k;
        }
        lua_pop(L, 1);
    }
    const char **argv = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *argv, 0);
    lua_newtable(L); /* keeps the converted strings alive */
    int keep = lua_gettop(L);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, 1, i);
        if (!lua_isstring(L, -1))
            return luaL_argerror(L, 1, "command words must be strings");
        argv[i - 1] = lua_tostring(L, -1);
        lua_rawseti(L, keep, i);
    }
    argv[n] = NULL;
    sfl_process *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->p = NULL;
    u->status = -1;
    luaL_setmetatable(L, SFL_PROCESS);
    u->p = sf_process_spawn(argv, cwd, err);
    if (!u->p)
        return sfl_core_error(L);
    return 1;
}

static int p_write(lua_State *L)
{
    sf_process *p = check_open(L, 1);
    int top = lua_gettop(L);
    for (int i = 2; i <= top; i++) {
        size_t n;
        const char *s = luaL_checklstring(L, i, &n);
        if (sf_process_write(p, s, n) != SF_OK) {
            luaL_pushfail(L);
            lua_pushstring(L, sf_error_message());
            return 2;
        }
    }
    lua_settop(L, 1);
    return 1;
}

static int p_read_line(lua_State *L)
{
    sf_process *p = check_open(L, 1);
    double timeout = luaL_optnumber(L, 2, -1);
    const char *line;
    size_t len;
    int r = sf_process_read_line(p, timeout, &line, &len);
    if (r == 1) {
        lua_pushlstring(L, line, len);
        return 1;
    }
    luaL_pushfail(L);
    if (r == 0)
        lua_pushliteral(L, "eof");
    else if (r == 2)
        lua_pushliteral(L, "timeout");
    else
        lua_pushstring(L, sf_error_message());
    return 2;
}

static int p_close_input(lua_State *L)
{
    sf_process_close_input(check_open(L, 1));
    return 0;
}

static int signal_arg(lua_State *L, int idx)
{
    static const char *const names[] = {"TERM", "KILL", "INT", "HUP", NULL};
    static const int sigs[] = {SIGTERM, SIGKILL, SIGINT, SIGHUP};
    if (lua_isnoneornil(L, idx))
        return SIGTERM;
    if (lua_type(L, idx) == LUA_TNUMBER)
        return (int)luaL_checkinteger(L, idx);
    const char *s = luaL_checkstring(L, idx);
    if (strncmp(s, "SIG", 3) == 0)
        s += 3;
    for (int i = 0; names[i]; i++)
        if (strcmp(s, names[i]) == 0)
            return sigs[i];
    return luaL_argerror(L, idx, "unknown signal (TERM, KILL, INT, HUP)");
}

static int p_kill(lua_State *L)
{
    sf_process *p = check_open(L, 1);
    if (sf_process_kill(p, signal_arg(L, 2)) != SF_OK)
        return sfl_core_error(L);
    return 0;
}

static int p_wait(lua_State *L)
{
    sfl_process *u = check_process(L, 1);
    if (!u->p) {
        lua_pushinteger(L, u->status);
        return 1;
    }
    double timeout = luaL_optnumber(L, 2, -1);
    int status;
    int r = sf_process_wait(u->p, timeout, &status);
    if (r == SF_ERR)
        return sfl_core_error(L);
    if (r == 0) {
        luaL_pushfail(L);
        lua_pushliteral(L, "timeout");
        return 2;
    }
    u->status = status;
    lua_pushinteger(L, status);
    return 1;
}

static int p_running(lua_State *L)
{
    sfl_process *u = check_process(L, 1);
    lua_pushboolean(L, u->p && sf_process_running(u->p));
    return 1;
}

static int p_pid(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)sf_process_pid(check_open(L, 1)));
    return 1;
}

/* close([grace]): stdin closed, grace seconds to exit, then TERM, KILL. */
static int p_close(lua_State *L)
{
    sfl_process *u = check_process(L, 1);
    if (u->p) {
        double grace = luaL_optnumber(L, 2, 5.0);
        int status;
        sf_process_close(u->p, grace, &status);
        u->p = NULL;
        u->status = status;
    }
    lua_pushinteger(L, u->status);
    return 1;
}

static int p_gc(lua_State *L)
{
    sfl_process *u = check_process(L, 1);
    if (u->p) {
        sf_process_free(u->p, 1.0);
        u->p = NULL;
    }
    return 0;
}

static int p_tostring(lua_State *L)
{
    sfl_process *u = check_process(L, 1);
    if (!u->p)
        lua_pushfstring(L, "Process(closed, status=%d)", u->status);
    else if (sf_process_running(u->p))
        lua_pushfstring(L, "Process(pid=%d, running)",
                        (int)sf_process_pid(u->p));
    else {
        int st = 0;
        sf_process_wait(u->p, 0, &st);
        lua_pushfstring(L, "Process(pid=%d, exited, status=%d)",
                        (int)sf_process_pid(u->p), st);
    }
    return 1;
}

static int l_mkdtemp(lua_State *L)
{
    const char *prefix = luaL_optstring(L, 1, "sflex-");
    const char *base = luaL_optstring(L, 2, NULL);
    char *path = sf_process_mkdtemp(base, prefix);
    if (!path)
        return sfl_core_error(L);
    lua_pushstring(L, path);
    free(path);
    return 1;
}

static int l_remove_tree(lua_State *L)
{
    if (sf_process_remove_tree(luaL_checkstring(L, 1)) != SF_OK)
        return sfl_core_error(L);
    return 0;
}

static int l_which(lua_State *L)
{
    char *path = sf_process_which(luaL_checkstring(L, 1));
    if (!path) {
        luaL_pushfail(L);
        lua_pushstring(L, sf_error_message());
        return 2;
    }
    lua_pushstring(L, path);
    free(path);
    return 1;
}

static int l_make_dirs(lua_State *L)
{
    if (sf_process_make_dirs(luaL_checkstring(L, 1)) != SF_OK)
        return sfl_core_error(L);
    return 0;
}

static int l_now(lua_State *L)
{
    lua_pushnumber(L, sf_process_now());
    return 1;
}

static const luaL_Reg methods[] = {
    {"write", p_write},     {"read_line", p_read_line},
    {"close_input", p_close_input}, {"kill", p_kill},
    {"wait", p_wait},       {"running", p_running},
    {"pid", p_pid},         {"close", p_close},
    {NULL, NULL},
};

static const char *const method_docs[] = {
    "p:write(s, ...) -> p | nil, msg\n"
    "  Write the strings to the child's stdin; nil and a message when the\n"
    "  child has exited.",
    "p:read_line([timeout]) -> line | nil, \"eof\" | \"timeout\" | msg\n"
    "  One line of the child's output without the newline.  timeout in\n"
    "  seconds (default: wait forever).",
    "p:close_input()\n  Close the child's stdin (it sees end of input).",
    "p:kill([sig])\n"
    "  Signal the child's process group: \"TERM\" (default), \"KILL\",\n"
    "  \"INT\", \"HUP\" or a number.",
    "p:wait([timeout]) -> status | nil, \"timeout\"\n"
    "  Wait for the child to exit; status is the exit code, or 128 + signal.",
    "p:running() -> boolean",
    "p:pid() -> integer  (also the id of the child's process group)",
    "p:close([grace=5]) -> status\n"
    "  Close stdin, wait up to grace seconds, then TERM and KILL the group.\n"
    "  Also done by the garbage collector.",
    NULL,
};

static const luaL_Reg meta[] = {
    {"__gc", p_gc},
    {"__close", p_gc},
    {"__tostring", p_tostring},
    {NULL, NULL},
};

static const luaL_Reg funcs[] = {
    {"spawn", l_spawn},
    {"mkdtemp", l_mkdtemp},
    {"remove_tree", l_remove_tree},
    {"which", l_which},
    {"make_dirs", l_make_dirs},
    {"now", l_now},
    {NULL, NULL},
};

static const char *const func_docs[] = {
    "sflex.spawn(argv [, {cwd=DIR, stderr=\"merge\"|\"inherit\"|\"null\"}])\n"
    "  -> Process\n"
    "  Start argv[1] (searched in PATH) with pipes to its stdin and stdout,\n"
    "  in its own process group.  stderr defaults to \"merge\" (into the\n"
    "  stdout pipe).  Errors when the program cannot be started.",
    "sflex.mkdtemp([prefix=\"sflex-\" [, base=$TMPDIR or /tmp]]) -> path\n"
    "  Create a new private (0700) directory and return its path.",
    "sflex.remove_tree(path)\n"
    "  Remove path and everything below it (links are not followed); a\n"
    "  missing path is not an error.",
    "sflex.which(name) -> path | nil, msg\n"
    "  The executable that name resolves to through PATH.",
    "sflex.make_dirs(path)\n"
    "  Create a directory and its missing parents (like mkdir -p).",
    "sflex.now() -> seconds on a monotonic clock (for timings)",
    NULL,
};

void sfl_open_process(lua_State *L)
{
    sfl_new_class(L, SFL_PROCESS, methods, method_docs, meta,
                  "Process: a child process with pipes (sflex.spawn).");
    lua_pop(L, 1);
    sfl_register(L, funcs, func_docs);
}
