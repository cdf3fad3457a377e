/* sandbox.h - safe mode: run someone else's script with an allow-list
 * environment, no writes outside one output folder, and limits on Lua
 * instructions and memory (doc/sandbox.md).
 *
 *   sflex --sandbox [--output-dir DIR] [--max-instructions N]
 *         [--max-memory SIZE] script.lua [args]
 *
 * The C side (this file) owns what Lua cannot do for itself: the capped
 * allocator, the instruction-count hook, the process data limit, and the
 * small system helpers of the sflex_sandbox module (realpath, lstat,
 * directory listing, the executable's path).  The environment itself -- the
 * allow list, the path checks, the LAMMPS command checks -- is built by
 * lua/sflex/sandbox.lua. */
#ifndef SFLEX_SANDBOX_H
#define SFLEX_SANDBOX_H

#include <lua.h>
#include <stddef.h>

/* Defaults in sandbox mode (0 on the command line means "no limit"). */
#define SB_DEFAULT_MAX_INSTRUCTIONS 10000000000LL /* 1e10 VM instructions */
#define SB_DEFAULT_MAX_MEMORY ((size_t)4 << 30)   /* 4 GiB of Lua heap */

/* If argv[*i] is a sandbox option (--sandbox, --output-dir DIR,
 * --max-instructions N, --max-memory SIZE, or the --opt=value forms),
 * record it, advance *i past its value and return 1.  0: not a sandbox
 * option.  -1: a bad or missing value (a message has been printed). */
int sb_option(char **argv, int *i);
/* Nonzero when --sandbox was given. */
int sb_enabled(void);
/* The first sandbox setting given without --sandbox ("--max-memory", ...),
 * or NULL. */
const char *sb_stray_option(void);

/* Register the module sflex_sandbox in package.preload (always; the
 * package tools use its helpers outside the sandbox too). */
void sb_preload(lua_State *L);

/* Run argv[0] (the script) with arguments argv[1..] in the sandbox: install
 * the limits, build the environment (sflex.sandbox), load the script as
 * text, call it.  Reports errors on stderr (limits with a message of their
 * own) and returns the Lua status. */
int sb_run_script(lua_State *L, char **argv);

#endif
