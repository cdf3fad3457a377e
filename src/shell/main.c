/* main.c - the sflex executable: a Lua 5.4 interpreter with the sflex
 * modules built in.
 *
 * The command line is that of the standalone lua (same options, same global
 * `arg`, same `...`), plus --version, --help and subcommands that run a
 * script of scripts/ (sflex NAME args = sflex scripts/NAME.lua args).
 * Before anything runs: the standard libraries, package.preload.sflex_core,
 * SFLEX_LUA_DIR in front of package.path, and the globals `sflex` (the
 * module) and `help`. */
#include "sh.h"
#include "sandbox.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fftw3.h>
#include <linear.h>
#include <readline/readline.h>
#include <zlib.h>

int luaopen_sflex_core(lua_State *L); /* src/lua/l_sflex.c */
/* OpenBLAS only: absent (NULL) when linked with another BLAS */
extern char *openblas_get_config(void) __attribute__((weak));

#ifndef SFLEX_VERSION
#define SFLEX_VERSION "unknown"
#endif

/* ---- subcommands ------------------------------------------------------------------
 * sflex NAME args...  runs  SFLEX_LUA_DIR/../scripts/SCRIPT args...
 * with arg[0] = the script's path, exactly as if it had been named.  Add an
 * entry when the script exists. */
typedef struct subcommand {
    const char *name;
    const char *script; /* file name in scripts/ */
    const char *summary;
} subcommand;

static const subcommand subcommands[] = {
    {"pack", "pack.lua", "make a reproducibility package of a folder (doc/packages.md)"},
    {"verify", "verify.lua", "re-run a package in the sandbox and compare every file"},
    {NULL, NULL, NULL},
};

static const subcommand *find_subcommand(const char *name)
{
    for (const subcommand *s = subcommands; s->name; s++)
        if (!strcmp(s->name, name))
            return s;
    return NULL;
}

/* The directory of lua/sflex/: $SFLEX_LUA_DIR unless ignored, else the build's. */
static const char *lua_dir(int noenv)
{
    const char *dir = noenv ? NULL : getenv("SFLEX_LUA_DIR");
    return dir && *dir ? dir : SFLEX_LUA_DIR;
}

/* ---- versions --------------------------------------------------------------------- */

static const char *skip_prefix(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(s, prefix, n) ? s : s + n;
}

static const char *version_sflex(char *buf, size_t n)
{
    (void)buf, (void)n;
    return SFLEX_VERSION;
}

static const char *version_lua(char *buf, size_t n)
{
    (void)buf, (void)n;
    return skip_prefix(LUA_RELEASE, "Lua ");
}

static const char *version_liblinear(char *buf, size_t n)
{
    snprintf(buf, n, "%d.%d", liblinear_version / 100, liblinear_version % 100);
    return buf;
}

static const char *version_fftw(char *buf, size_t n)
{
    (void)buf, (void)n;
    return skip_prefix(fftw_version, "fftw-");
}

static const char *version_openblas(char *buf, size_t n)
{
    (void)buf, (void)n;
    return openblas_get_config ? skip_prefix(openblas_get_config(), "OpenBLAS ") : NULL;
}

static const char *version_zlib(char *buf, size_t n)
{
    (void)buf, (void)n;
    return zlibVersion();
}

static const char *version_readline(char *buf, size_t n)
{
    (void)buf, (void)n;
    return rl_library_version;
}

/* `lmp -h` (about 0.3 s), only for --version; omitted when lmp is not on
 * PATH or does not answer within 5 s. */
static const char *version_lammps(char *buf, size_t n)
{
    static const char banner[] = "Large-scale Atomic/Molecular Massively Parallel Simulator - ";
    const char *path = getenv("PATH");
    char exe[4096];
    int found = 0;
    while (path && *path && !found) {
        size_t len = strcspn(path, ":");
        if (len > 0 && (size_t)snprintf(exe, sizeof exe, "%.*s/lmp", (int)len, path) < sizeof exe)
            found = access(exe, X_OK) == 0 && !strchr(exe, '\'');
        path += len + (path[len] == ':');
    }
    if (!found)
        return NULL;
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "timeout 5 '%s' -h </dev/null 2>/dev/null", exe);
    fflush(stdout);
    FILE *p = popen(cmd, "r");
    if (!p)
        return NULL;
    char line[512];
    const char *result = NULL;
    while (!result && fgets(line, sizeof line, p)) {
        char *at = strstr(line, banner);
        if (at) {
            at += sizeof banner - 1;
            at[strcspn(at, "\r\n")] = '\0';
            snprintf(buf, n, "%s (%s)", at, exe);
            result = buf;
        }
    }
    pclose(p);
    return result;
}

typedef struct version_entry {
    const char *name;
    const char *(*get)(char *buf, size_t n); /* NULL: unknown, line omitted */
} version_entry;

static const version_entry versions[] = {
    {"sflex", version_sflex},
    {"Lua", version_lua},
    {"LIBLINEAR", version_liblinear},
    {"FFTW", version_fftw},
    {"OpenBLAS", version_openblas},
    {"zlib", version_zlib},
    {"readline", version_readline},
    {"LAMMPS", version_lammps},
    {NULL, NULL},
};

static void print_versions(void)
{
    char buf[512];
    for (const version_entry *v = versions; v->name; v++) {
        const char *s = v->get(buf, sizeof buf);
        if (s)
            printf("%s %s\n", v->name, s);
    }
    fflush(stdout);
}

/* ---- usage -------------------------------------------------------------------------- */

static void print_help(FILE *f)
{
    fprintf(f,
            "usage: sflex [options] [script [args]]\n"
            "       sflex COMMAND [args]\n"
            "Options:\n"
            "  -e stat    execute string 'stat' (may be repeated)\n"
            "  -i         enter the interactive shell after running script / -e\n"
            "  -l mod     require library 'mod' into global 'mod'\n"
            "  -l g=mod   require library 'mod' into global 'g'\n"
            "  -v         show the version\n"
            "  -E         ignore environment variables (LUA_PATH, LUA_CPATH, SFLEX_LUA_DIR)\n"
            "  -W         turn warnings on\n"
            "  --         stop handling options\n"
            "  -          run stdin as the script and stop handling options\n"
            "  --version  show the versions of sflex and of the libraries it uses\n"
            "  -h, --help show this help\n"
            "Safe mode, for scripts you did not write (doc/sandbox.md):\n"
            "  --sandbox              run the script with an allow-list environment:\n"
            "                         no programs, no binary chunks, no debug library,\n"
            "                         writes only inside the output folder\n"
            "  --output-dir DIR       the folder the script may write (default: .)\n"
            "  --max-instructions N   stop after N Lua instructions (default 1e10; 0: none)\n"
            "  --max-memory SIZE      cap the Lua heap, e.g. 512M (default 4G; 0: none)\n"
            "Without script, -e or -v: the interactive shell if stdin is a terminal,\n"
            "else stdin is run as the script.  In the script, arg[0] is its name,\n"
            "arg[1..n] and ... its arguments.\n"
            "Environment: SFLEX_LUA_DIR (the lua/ directory), SFLEX_HISTORY (shell\n"
            "history file, default ~/.sflex_history; empty: none), LUA_PATH, LUA_CPATH.\n");
    if (subcommands[0].name) {
        fprintf(f, "Commands (scripts in %s/../scripts):\n", lua_dir(0));
        for (const subcommand *s = subcommands; s->name; s++)
            fprintf(f, "  %-10s %s\n", s->name, s->summary);
    }
    fflush(f);
}

static void print_usage(const char *badoption)
{
    if (badoption[1] == 'e' || badoption[1] == 'l')
        fprintf(stderr, "%s: '%s' needs argument\n", sh_progname, badoption);
    else
        fprintf(stderr, "%s: unrecognized option '%s'\n", sh_progname, badoption);
    fprintf(stderr, "usage: sflex [options] [script [args]]  (sflex -h for help)\n");
    fflush(stderr);
}

/* ---- the command line --------------------------------------------------------------- */

enum {
    ARGS_ERROR = 1,
    ARGS_I = 2,
    ARGS_V = 4,
    ARGS_E = 8,
    ARGS_NOENV = 16,
    ARGS_HELP = 32,
    ARGS_VERSIONS = 64,
    ARGS_BADVALUE = 128, /* a sandbox option with a bad value (reported) */
};

/* Scan the options.  *script: index of the script name (or of "-"), argc
 * when there is none; on error, the index of the bad option. */
static int collect_args(char **argv, int *script)
{
    int args = 0;
    int i;
    for (i = 1; argv[i]; i++) {
        *script = i;
        const char *a = argv[i];
        if (a[0] != '-')
            return args; /* the script */
        switch (a[1]) {
        case '\0': /* "-": stdin */
            return args;
        case '-':
            if (a[2] == '\0') {
                *script = i + 1;
                return args;
            }
            if (!strcmp(a, "--version"))
                return args | ARGS_VERSIONS;
            if (!strcmp(a, "--help"))
                return args | ARGS_HELP;
            switch (sb_option(argv, &i)) {
            case 1:
                continue; /* --sandbox and its settings */
            case 0:
                return ARGS_ERROR;
            default:
                *script = i;
                return ARGS_BADVALUE;
            }
        case 'h':
            if (a[2])
                return ARGS_ERROR;
            return args | ARGS_HELP;
        case 'E':
            if (a[2])
                return ARGS_ERROR;
            args |= ARGS_NOENV;
            break;
        case 'W':
            if (a[2])
                return ARGS_ERROR;
            break;
        case 'i':
            if (a[2])
                return ARGS_ERROR;
            args |= ARGS_I;
            break;
        case 'v':
            if (a[2])
                return ARGS_ERROR;
            args |= ARGS_V;
            break;
        case 'e':
            args |= ARGS_E;
            /* fall through */
        case 'l':
            if (a[2] == '\0' && argv[++i] == NULL) {
                *script = i - 1;
                return ARGS_ERROR;
            }
            break;
        default:
            return ARGS_ERROR;
        }
    }
    *script = i;
    return args;
}

/* A sandbox option (and its value) at argv[*i]: step over it. */
static int skip_sandbox_option(char **argv, int *i)
{
    int j = *i;
    if (argv[j][0] != '-' || argv[j][1] != '-' || sb_option(argv, &j) != 1)
        return 0;
    *i = j;
    return 1;
}

/* Is there a -l option before the script? */
static int has_library_option(char **argv, int script)
{
    for (int i = 1; i < script; i++)
        if (!skip_sandbox_option(argv, &i) && argv[i][0] == '-' && argv[i][1] == 'l')
            return 1;
    return 0;
}

/* The global `arg`: arg[0] the script, arg[1..] its arguments, negative
 * indices the interpreter and its options (arg[0] = interpreter when there
 * is no script). */
static void create_arg_table(lua_State *L, char **argv, int argc, int script)
{
    if (script == argc)
        script = 0;
    int narg = argc - (script + 1);
    lua_createtable(L, narg > 0 ? narg : 0, script + 1);
    for (int i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i - script);
    }
    lua_setglobal(L, "arg");
}

static int run_chunk(lua_State *L, int status)
{
    if (status == LUA_OK)
        status = sh_docall(L, 0, 0);
    return sh_report(L, status);
}

static int run_string(lua_State *L, const char *s, const char *name)
{
    return run_chunk(L, luaL_loadbuffer(L, s, strlen(s), name));
}

/* -l mod / -l g=mod */
static int run_library(lua_State *L, const char *spec)
{
    const char *eq = strchr(spec, '=');
    const char *mod = eq ? eq + 1 : spec;
    lua_getglobal(L, "require");
    lua_pushstring(L, mod);
    int status = sh_docall(L, 1, 1);
    if (status == LUA_OK) {
        if (eq)
            lua_pushlstring(L, spec, (size_t)(eq - spec));
        else
            lua_pushstring(L, spec);
        lua_insert(L, -2);
        lua_setglobal(L, lua_tostring(L, -2));
        lua_pop(L, 1);
    }
    return sh_report(L, status);
}

/* -e, -l and -W in order of appearance, up to the script. */
static int run_options(lua_State *L, char **argv, int upto)
{
    for (int i = 1; i < upto; i++) {
        char opt = argv[i][1];
        int status = LUA_OK;
        if (skip_sandbox_option(argv, &i))
            continue;
        if (opt == 'e' || opt == 'l') {
            const char *extra = argv[i] + 2;
            if (*extra == '\0')
                extra = argv[++i];
            status = opt == 'e' ? run_string(L, extra, "=(command line)")
                                : run_library(L, extra);
        } else if (opt == 'W')
            lua_warning(L, "@on", 0);
        if (status != LUA_OK)
            return 0;
    }
    return 1;
}

/* Push arg[1..n] as the script's varargs. */
static int push_script_args(lua_State *L)
{
    if (lua_getglobal(L, "arg") != LUA_TTABLE)
        luaL_error(L, "'arg' is not a table");
    int n = (int)luaL_len(L, -1);
    luaL_checkstack(L, n + 3, "too many arguments to script");
    for (int i = 1; i <= n; i++)
        lua_rawgeti(L, -i, i);
    lua_remove(L, -n - 1);
    return n;
}

static int run_script(lua_State *L, char **argv)
{
    const char *fname = argv[0];
    if (!strcmp(fname, "-") && strcmp(argv[-1], "--") != 0)
        fname = NULL; /* stdin */
    int status = luaL_loadfile(L, fname);
    if (status == LUA_OK) {
        int n = push_script_args(L);
        status = sh_docall(L, n, LUA_MULTRET);
    }
    return sh_report(L, status);
}

/* Preload sflex_core, put the Lua layer on package.path and set the globals
 * sflex and help. */
static int load_sflex(lua_State *L, int noenv)
{
    const char *dir = lua_dir(noenv);
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "preload");
    lua_pushcfunction(L, luaopen_sflex_core);
    lua_setfield(L, -2, "sflex_core");
    lua_pop(L, 1);
    lua_getfield(L, -1, "path");
    lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;%s", dir, dir, lua_tostring(L, -1));
    lua_setfield(L, -3, "path");
    lua_pop(L, 2);

    static const struct {
        const char *global, *module, *field;
    } loads[] = {
        {"sflex", "sflex", NULL},
        {"help", "sflex.help", "help"},
    };
    for (size_t k = 0; k < sizeof loads / sizeof loads[0]; k++) {
        lua_getglobal(L, "require");
        lua_pushstring(L, loads[k].module);
        int status = sh_docall(L, 1, 1);
        if (status != LUA_OK) {
            const char *msg = lua_tostring(L, -1);
            int missing = msg && !strncmp(msg, "module '", 8) && strstr(msg, "' not found");
            lua_pushfstring(L, "cannot load the Lua module '%s' from %s%s:\n%s",
                            loads[k].module, dir,
                            missing ? " (set SFLEX_LUA_DIR to the directory holding sflex/init.lua)" : "",
                            msg ? msg : "?");
            lua_remove(L, -2);
            sh_report(L, status);
            return 0;
        }
        if (loads[k].field) {
            lua_getfield(L, -1, loads[k].field);
            lua_remove(L, -2);
        }
        lua_setglobal(L, loads[k].global);
    }
    return 1;
}

static int pmain(lua_State *L)
{
    int argc = (int)lua_tointeger(L, 1);
    char **argv = lua_touserdata(L, 2);
    int script = argc;
    int args = collect_args(argv, &script);
    luaL_checkversion(L);
    if (args == ARGS_ERROR) {
        print_usage(argv[script]);
        return 0;
    }
    if (args == ARGS_BADVALUE)
        return 0;
    if (sb_stray_option()) {
        lua_pushfstring(L, "%s works only with --sandbox", sb_stray_option());
        sh_report(L, LUA_ERRRUN);
        return 0;
    }
    if (sb_enabled() && (script == argc || (args & (ARGS_I | ARGS_E)) ||
                         !strcmp(argv[script], "-") || has_library_option(argv, script))) {
        sh_message(sh_progname, "--sandbox runs one script file: give its name, "
                                "without -e, -l, -i or stdin");
        return 0;
    }
    if (args & ARGS_HELP) {
        print_help(stdout);
        lua_pushboolean(L, 1);
        return 1;
    }
    if (args & ARGS_VERSIONS) {
        print_versions();
        lua_pushboolean(L, 1);
        return 1;
    }
    if (args & ARGS_NOENV) {
        lua_pushboolean(L, 1);
        lua_setfield(L, LUA_REGISTRYINDEX, "LUA_NOENV");
    }
    luaL_openlibs(L);
    sb_preload(L);
    create_arg_table(L, argv, argc, script);
    lua_gc(L, LUA_GCGEN, 0, 0);
    if (!load_sflex(L, args & ARGS_NOENV))
        return 0;
    if (args & ARGS_V) {
        printf("sflex %s (%s)\n", SFLEX_VERSION, LUA_RELEASE);
        fflush(stdout);
    }
    if (!run_options(L, argv, script))
        return 0;
    if (sb_enabled()) {
        if (sb_run_script(L, argv + script) != LUA_OK)
            return 0;
    } else if (script < argc && run_script(L, argv + script) != LUA_OK)
        return 0;
    if (args & ARGS_I)
        sh_repl(L);
    else if (script == argc && !(args & (ARGS_E | ARGS_V))) {
        if (isatty(STDIN_FILENO))
            sh_repl(L);
        else if (run_chunk(L, luaL_loadfile(L, NULL)) != LUA_OK)
            return 0;
    }
    lua_pushboolean(L, 1);
    return 1;
}

int main(int argc, char **argv)
{
    static char *no_argv[] = {"sflex", NULL};
    if (argc < 1) {
        argc = 1;
        argv = no_argv;
    }
    /* sflex NAME args -> sflex DIR/../scripts/SCRIPT args */
    char **args = argv;
    char *path = NULL;
    const subcommand *sub = argc >= 2 ? find_subcommand(argv[1]) : NULL;
    if (sub) {
        const char *dir = lua_dir(0);
        size_t n = strlen(dir) + strlen(sub->script) + sizeof "/../scripts/";
        path = malloc(n);
        args = malloc((size_t)(argc + 1) * sizeof *args);
        if (!path || !args) {
            sh_message(sh_progname, "not enough memory");
            return EXIT_FAILURE;
        }
        snprintf(path, n, "%s/../scripts/%s", dir, sub->script);
        args[0] = argv[0];
        args[1] = path;
        for (int i = 2; i <= argc; i++)
            args[i] = argv[i];
    }

    lua_State *L = luaL_newstate();
    if (!L) {
        sh_message(sh_progname, "cannot create state: not enough memory");
        return EXIT_FAILURE;
    }
    lua_pushcfunction(L, pmain);
    lua_pushinteger(L, argc);
    lua_pushlightuserdata(L, args);
    int status = lua_pcall(L, 2, 1, 0);
    int ok = lua_toboolean(L, -1);
    sh_report(L, status);
    lua_close(L);
    if (sub) {
        free(path);
        free(args);
    }
    if (status == LUA_OK && ok)
        return EXIT_SUCCESS;
    return sh_interrupted() ? 130 : EXIT_FAILURE;
}
