/* sandbox.c - the C half of safe mode (see sandbox.h, doc/sandbox.md).
 *
 * Limits.  The Lua heap goes through a counting allocator with a cap: an
 * allocation that would pass it fails (Lua raises "not enough memory"),
 * after which the script may use a small grace (for the error message and
 * traceback) until it is back under the cap.  C-side arrays (Vector, Matrix,
 * neighbour lists) are malloc'd outside the Lua heap: they are bounded by
 * the process data limit (RLIMIT_DATA = data size at start + the cap; not
 * under AddressSanitizer, whose shadow memory it would break).  Lua VM
 * instructions are counted by a count hook every HOOK_STEP instructions;
 * past the limit the hook raises an error, and from then on raises again at
 * every instruction, so pcall cannot swallow it.  Both limits end the run
 * with a message saying which limit, its value and the option that
 * raises it.
 *
 * The module sflex_sandbox (package.preload) gives lua/sflex/sandbox.lua and
 * lua/sflex/package.lua the system calls plain Lua lacks. */
#include "sandbox.h"
#include "sh.h"

#include <dirent.h>
#include <errno.h>
#include <lauxlib.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define SB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SB_ASAN 1
#endif
#endif
#ifndef SB_ASAN
#define SB_ASAN 0
#endif

/* LAPACK's version routine (OpenBLAS and reference LAPACK have it). */
extern void ilaver_(int *major, int *minor, int *patch) __attribute__((weak));

enum { HOOK_STEP = 1000 };
#define GRACE_BYTES ((size_t)4 << 20)

typedef enum { TRIP_NONE = 0, TRIP_INSTRUCTIONS, TRIP_MEMORY, TRIP_DATA } trip_kind;

static struct {
    int enabled;
    const char *output;         /* --output-dir (NULL: current directory) */
    long long max_instructions; /* 0: unlimited */
    size_t max_memory;          /* 0: unlimited */
    int have_instr, have_mem;   /* given on the command line */
    /* while running */
    int armed;
    long long used;     /* instructions counted so far */
    size_t heap;        /* bytes in the Lua heap */
    size_t grace;       /* extra bytes allowed after a failed allocation */
    unsigned long mem_failures;  /* allocations refused by the cap */
    unsigned long data_failures; /* allocations the system refused */
    size_t data_limit;           /* RLIMIT_DATA set (0: none) */
    trip_kind tripped;
    lua_State *L;       /* the main thread, for the hook */
} sb;

int sb_enabled(void) { return sb.enabled; }

const char *sb_stray_option(void)
{
    if (sb.enabled)
        return NULL;
    if (sb.output)
        return "--output-dir";
    if (sb.have_instr)
        return "--max-instructions";
    if (sb.have_mem)
        return "--max-memory";
    return NULL;
}

/* ---- options ------------------------------------------------------------------- */

/* "123", "1e9", "0" */
static int parse_count(const char *s, long long *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || v < 0 || v > 9.0e18 || v != (double)(long long)v)
        return -1;
    *out = (long long)v;
    return 0;
}

/* "1048576", "512K", "64M", "2G", "1T", optional "iB"/"B" */
static int parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || v < 0)
        return -1;
    double mult = 1;
    switch (*end) {
    case 'k': case 'K': mult = 1024.0; end++; break;
    case 'm': case 'M': mult = 1024.0 * 1024; end++; break;
    case 'g': case 'G': mult = 1024.0 * 1024 * 1024; end++; break;
    case 't': case 'T': mult = 1024.0 * 1024 * 1024 * 1024; end++; break;
    default: break;
    }
    if (mult > 1 && (!strcmp(end, "iB") || !strcmp(end, "B")))
        end += strlen(end);
    if (*end || v * mult > (double)SIZE_MAX / 2)
        return -1;
    *out = (size_t)(v * mult);
    return 0;
}

/* --name VALUE or --name=VALUE; *value NULL when absent. */
static int match_opt(char **argv, int *i, const char *name, const char **value)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *value = a + n + 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    *value = argv[*i + 1];
    if (*value)
        (*i)++;
    return 1;
}

static int bad_value(const char *opt, const char *value, const char *want)
{
    fprintf(stderr, "%s: %s: %s '%s' (expected %s)\n", sh_progname, opt,
            value ? "bad value" : "missing value", value ? value : "", want);
    fflush(stderr);
    return -1;
}

int sb_option(char **argv, int *i)
{
    const char *v = NULL;
    if (!strcmp(argv[*i], "--sandbox")) {
        sb.enabled = 1;
        return 1;
    }
    if (match_opt(argv, i, "--output-dir", &v)) {
        if (!v || !*v)
            return bad_value("--output-dir", v, "a directory");
        sb.output = v;
        return 1;
    }
    if (match_opt(argv, i, "--max-instructions", &v)) {
        if (!v || parse_count(v, &sb.max_instructions))
            return bad_value("--max-instructions", v, "a count such as 1e9; 0 = no limit");
        sb.have_instr = 1;
        return 1;
    }
    if (match_opt(argv, i, "--max-memory", &v)) {
        if (!v || parse_size(v, &sb.max_memory))
            return bad_value("--max-memory", v, "a size such as 512M or 2G; 0 = no limit");
        sb.have_mem = 1;
        return 1;
    }
    return 0;
}

/* ---- limits -------------------------------------------------------------------- */

static void count_hook(lua_State *L, lua_Debug *ar);

/* From now on every Lua instruction (of any coroutine that runs next)
 * raises the limit error. */
static void trip(trip_kind k)
{
    if (!sb.tripped)
        sb.tripped = k;
    if (sb.L && sb.armed)
        lua_sethook(sb.L, count_hook, LUA_MASKCOUNT, 1);
}

static const char *mib(size_t bytes, char *buf, size_t n)
{
    if (bytes % ((size_t)1 << 30) == 0)
        snprintf(buf, n, "%zu GiB", bytes >> 30);
    else if (bytes % ((size_t)1 << 20) == 0)
        snprintf(buf, n, "%zu MiB", bytes >> 20);
    else
        snprintf(buf, n, "%zu bytes", bytes);
    return buf;
}

static const char *trip_message(char *buf, size_t n)
{
    char size[64];
    if (sb.tripped == TRIP_MEMORY)
        snprintf(buf, n,
                 "sandbox: memory limit exceeded: the Lua heap reached the cap of %s "
                 "(raise it with --max-memory SIZE; 0 = no limit)",
                 mib(sb.max_memory, size, sizeof size));
    else if (sb.tripped == TRIP_DATA)
        snprintf(buf, n,
                 "sandbox: memory limit exceeded: the process reached its data limit "
                 "(twice --max-memory %s beyond its size at start; raise it with "
                 "--max-memory SIZE; 0 = no limit)",
                 mib(sb.max_memory, size, sizeof size));
    else
        snprintf(buf, n,
                 "sandbox: instruction limit exceeded: the script ran %lld Lua "
                 "instructions (raise it with --max-instructions N; 0 = no limit)",
                 sb.max_instructions);
    return buf;
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    char msg[256];
    if (!sb.tripped) {
        sb.used += HOOK_STEP;
        if (sb.max_instructions && sb.used < sb.max_instructions)
            return;
        if (!sb.max_instructions)
            return;
        trip(TRIP_INSTRUCTIONS);
    }
    luaL_error(L, "%s", trip_message(msg, sizeof msg));
}

static void *sb_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        sb.heap -= old;
        if (sb.heap < sb.max_memory)
            sb.grace = 0;
        return NULL;
    }
    if (sb.max_memory && nsize > old) {
        size_t grow = nsize - old;
        if (sb.heap + grow > sb.max_memory + sb.grace) {
            sb.mem_failures++;
            if (!sb.grace)
                sb.grace = GRACE_BYTES;
            return NULL; /* Lua collects garbage, retries, then raises */
        }
    }
    void *p = realloc(ptr, nsize);
    if (!p) {
        sb.data_failures++;
        return NULL;
    }
    sb.heap = sb.heap - old + nsize;
    if (sb.heap < sb.max_memory)
        sb.grace = 0;
    return p;
}

/* VmData of this process in bytes (0 if unknown). */
static size_t data_size(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    char line[256];
    size_t kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmData: %zu kB", &kb) == 1)
            break;
    fclose(f);
    return kb * 1024;
}

static void install_limits(lua_State *L)
{
    if (!sb.have_instr)
        sb.max_instructions = SB_DEFAULT_MAX_INSTRUCTIONS;
    if (!sb.have_mem)
        sb.max_memory = SB_DEFAULT_MAX_MEMORY;
    sb.L = L;
    sb.heap = (size_t)lua_gc(L, LUA_GCCOUNT, 0) * 1024 + (size_t)lua_gc(L, LUA_GCCOUNTB, 0);
    lua_setallocf(L, sb_alloc, NULL);
    if (sb.max_memory && !SB_ASAN) {
        struct rlimit rl;
        size_t start = data_size();
        if (start && getrlimit(RLIMIT_DATA, &rl) == 0) {
            /* room for the Lua heap and as much again for C arrays */
            rlim_t want = (rlim_t)(start + 2 * sb.max_memory);
            if (rl.rlim_max == RLIM_INFINITY || want < rl.rlim_max) {
                rl.rlim_cur = want;
                if (setrlimit(RLIMIT_DATA, &rl) == 0)
                    sb.data_limit = (size_t)want;
            }
        }
    }
}

static void arm(lua_State *L)
{
    sb.armed = 1;
    sb.used = 0;
    if (sb.max_instructions || sb.tripped)
        lua_sethook(L, count_hook, LUA_MASKCOUNT, sb.tripped ? 1 : HOOK_STEP);
}

static void disarm(lua_State *L)
{
    sb.armed = 0;
    if (lua_gethook(L) == count_hook)
        lua_sethook(L, NULL, 0, 0);
}

/* ---- the sflex_sandbox module ------------------------------------------------- */

static int push_errno(lua_State *L, const char *what)
{
    lua_pushnil(L);
    lua_pushfstring(L, "%s: %s", what, strerror(errno));
    return 2;
}

/* realpath(path) -> absolute path with symlinks, . and .. resolved | nil, msg */
static int l_realpath(lua_State *L)
{
    const char *p = luaL_checkstring(L, 1);
    char *r = realpath(p, NULL);
    if (!r)
        return push_errno(L, p);
    lua_pushstring(L, r);
    free(r);
    return 1;
}

static const char *type_name(mode_t m)
{
    if (S_ISREG(m)) return "file";
    if (S_ISDIR(m)) return "dir";
    if (S_ISLNK(m)) return "link";
    return "other";
}

/* lstat(path) -> "file" | "dir" | "link" | "other", size | nil, msg */
static int l_lstat(lua_State *L)
{
    const char *p = luaL_checkstring(L, 1);
    struct stat st;
    if (lstat(p, &st) != 0)
        return push_errno(L, p);
    lua_pushstring(L, type_name(st.st_mode));
    lua_pushinteger(L, (lua_Integer)st.st_size);
    return 2;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* listdir(path) -> {names sorted bytewise, without . and ..} | nil, msg */
static int l_listdir(lua_State *L)
{
    const char *p = luaL_checkstring(L, 1);
    DIR *d = opendir(p);
    if (!d)
        return push_errno(L, p);
    size_t n = 0, cap = 16;
    char **names = malloc(cap * sizeof *names);
    struct dirent *e;
    int oom = !names;
    while (!oom && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (n == cap) {
            char **bigger = realloc(names, 2 * cap * sizeof *names);
            if (!bigger) {
                oom = 1;
                break;
            }
            names = bigger;
            cap *= 2;
        }
        if (!(names[n] = strdup(e->d_name)))
            oom = 1;
        else
            n++;
    }
    closedir(d);
    if (!oom)
        qsort(names, n, sizeof *names, cmp_str);
    if (!oom)
        lua_createtable(L, (int)n, 0);
    for (size_t k = 0; k < n; k++) {
        if (!oom) {
            lua_pushstring(L, names[k]);
            lua_rawseti(L, -2, (lua_Integer)k + 1);
        }
        free(names[k]);
    }
    free(names);
    if (oom)
        return luaL_error(L, "listdir %s: out of memory", p);
    return 1;
}

static int l_getcwd(lua_State *L)
{
    char buf[PATH_MAX];
    if (!getcwd(buf, sizeof buf))
        return push_errno(L, "getcwd");
    lua_pushstring(L, buf);
    return 1;
}

/* exe() -> path of the running sflex executable */
static int l_exe(lua_State *L)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0)
        return push_errno(L, "/proc/self/exe");
    buf[n] = '\0';
    lua_pushstring(L, buf);
    return 1;
}

/* lapack_version() -> "3.11.0" | nil */
static int l_lapack_version(lua_State *L)
{
    if (!ilaver_)
        return 0;
    int a = 0, b = 0, c = 0;
    ilaver_(&a, &b, &c);
    lua_pushfstring(L, "%d.%d.%d", a, b, c);
    return 1;
}

/* settings() -> {enabled, output, max_instructions, max_memory,
 *                instructions, heap} (the limits in force) */
static int l_settings(lua_State *L)
{
    lua_createtable(L, 0, 6);
    lua_pushboolean(L, sb.enabled);
    lua_setfield(L, -2, "enabled");
    if (sb.output) {
        lua_pushstring(L, sb.output);
        lua_setfield(L, -2, "output");
    }
    lua_pushinteger(L, (lua_Integer)(sb.have_instr || sb.armed ? sb.max_instructions
                                                                : SB_DEFAULT_MAX_INSTRUCTIONS));
    lua_setfield(L, -2, "max_instructions");
    lua_pushinteger(L, (lua_Integer)(sb.have_mem || sb.armed ? sb.max_memory
                                                              : SB_DEFAULT_MAX_MEMORY));
    lua_setfield(L, -2, "max_memory");
    lua_pushinteger(L, (lua_Integer)sb.used);
    lua_setfield(L, -2, "instructions");
    lua_pushinteger(L, (lua_Integer)sb.heap);
    lua_setfield(L, -2, "heap");
    return 1;
}

static const luaL_Reg sandbox_funcs[] = {
    {"realpath", l_realpath},
    {"lstat", l_lstat},
    {"listdir", l_listdir},
    {"getcwd", l_getcwd},
    {"exe", l_exe},
    {"lapack_version", l_lapack_version},
    {"settings", l_settings},
    {NULL, NULL},
};

static int open_sandbox(lua_State *L)
{
    luaL_newlib(L, sandbox_funcs);
    return 1;
}

void sb_preload(lua_State *L)
{
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "preload");
    lua_pushcfunction(L, open_sandbox);
    lua_setfield(L, -2, "sflex_sandbox");
    lua_pop(L, 2);
}

/* ---- running a script ------------------------------------------------------------ */

/* sflex.sandbox.prepare{script =, output =} -> the script's function with
 * the sandbox environment. */
static int prepare(lua_State *L)
{
    const char *script = lua_touserdata(L, 1);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "sflex.sandbox");
    lua_call(L, 1, 1);
    lua_getfield(L, -1, "prepare");
    lua_createtable(L, 0, 2);
    lua_pushstring(L, script);
    lua_setfield(L, -2, "script");
    if (sb.output) {
        lua_pushstring(L, sb.output);
        lua_setfield(L, -2, "output");
    }
    lua_call(L, 1, 1);
    return 1;
}

int sb_run_script(lua_State *L, char **argv)
{
    char msg[256];
    lua_pushcfunction(L, prepare);
    lua_pushlightuserdata(L, argv[0]);
    int status = sh_docall(L, 1, 1);
    if (status != LUA_OK)
        return sh_report(L, status);
    int n = 0;
    for (char **a = argv + 1; *a; a++, n++) {
        luaL_checkstack(L, 2, "too many arguments to script");
        lua_pushstring(L, *a);
    }
    install_limits(L);
    arm(L);
    status = sh_docall(L, n, 0);
    disarm(L);
    if (status != LUA_OK && !sb.tripped && sb.max_memory &&
        (sb.mem_failures || (sb.data_failures && sb.data_limit)) &&
        (status == LUA_ERRMEM || status == LUA_ERRERR ||
         (lua_tostring(L, -1) && strstr(lua_tostring(L, -1), "not enough memory"))))
        sb.tripped = sb.mem_failures ? TRIP_MEMORY : TRIP_DATA;
    if (status != LUA_OK && sb.tripped) {
        /* the limit speaks for itself: no traceback of the re-raised errors */
        lua_pop(L, 1);
        lua_pushstring(L, trip_message(msg, sizeof msg));
    }
    /* what remains (garbage collection, __gc of LAMMPS objects at exit)
     * may use memory again */
    sb.max_memory = 0;
    return sh_report(L, status);
}
