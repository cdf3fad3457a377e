/* sh_run.c - protected calls with a traceback, and Ctrl-C interruption.
 *
 * Like lua.c: while Lua code runs, SIGINT installs a count hook on the
 * running state; the hook raises the error "interrupted!" at the next Lua
 * instruction, call or return, so the computation unwinds to the prompt (or
 * to the script's top level) with the state intact.  A long C routine cannot
 * be stopped in the middle; the error fires when it returns.  While the first
 * interrupt is pending, a second SIGINT kills the process. */
#include "sh.h"

#include <lauxlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

const char *sh_progname = "sflex";

static lua_State *volatile running_L = NULL;
static volatile sig_atomic_t got_interrupt = 0;

void sh_message(const char *progname, const char *msg)
{
    if (progname)
        fprintf(stderr, "%s: ", progname);
    fprintf(stderr, "%s\n", msg);
    fflush(stderr);
}

int sh_report(lua_State *L, int status)
{
    if (status != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        sh_message(sh_progname, msg ? msg : "(error object is not a string)");
        lua_pop(L, 1);
    }
    return status;
}

/* Message handler: turn any error object into a string with a traceback. */
static int traceback_handler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (!msg) {
        /* an error object with __tostring speaks for itself */
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)",
                              luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

static void stop_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    lua_sethook(L, NULL, 0, 0);
    luaL_error(L, "interrupted!");
}

static void on_interrupt(int sig)
{
    /* The next SIGINT takes the default action (terminate). */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
    got_interrupt = 1;
    if (running_L)
        lua_sethook(running_L, stop_hook,
                    LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT, 1);
}

int sh_interrupted(void)
{
    return got_interrupt;
}

int sh_docall(lua_State *L, int narg, int nres)
{
    int base = lua_gettop(L) - narg;
    lua_pushcfunction(L, traceback_handler);
    lua_insert(L, base);

    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    got_interrupt = 0;
    running_L = L;
    sigaction(SIGINT, &sa, &old);
    int status = lua_pcall(L, narg, nres, base);
    sigaction(SIGINT, &old, NULL);
    running_L = NULL;
    /* An interrupt that came after the last instruction would leave the
     * hook armed and spoil the next call: disarm it. */
    if (lua_gethook(L) == stop_hook)
        lua_sethook(L, NULL, 0, 0);

    lua_remove(L, base);
    return status;
}
