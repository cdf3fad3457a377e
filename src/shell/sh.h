/* sh.h - the sflex executable: declarations shared by the files of src/shell.
 *
 *   main.c      command line (lua.c compatible), start-up, subcommands, versions
 *   sh_run.c    protected calls with traceback and Ctrl-C interruption
 *   repl.c      the interactive loop: readline, history, multi-line input
 *   complete.c  tab completion of globals, fields and methods
 *   pretty.c    how the REPL prints values */
#ifndef SFLEX_SH_H
#define SFLEX_SH_H

#include <lua.h>

/* Name used as the prefix of messages ("sflex"). */
extern const char *sh_progname;

/* Print "progname: msg" on stderr (progname omitted when NULL). */
void sh_message(const char *progname, const char *msg);
/* If status is not LUA_OK, print the error message on the top of the stack
 * to stderr and pop it.  Returns status. */
int sh_report(lua_State *L, int status);
/* Call the function below the narg arguments on the top of the stack in
 * protected mode, with a traceback message handler.  While the call runs, a
 * SIGINT stops it with the error "interrupted!" (a second SIGINT kills the
 * process).  The handler of SIGINT in effect before the call is restored
 * afterwards.  Returns the lua_pcall status. */
int sh_docall(lua_State *L, int narg, int nres);
/* Nonzero if a SIGINT arrived during the last sh_docall. */
int sh_interrupted(void);

/* Run the read-eval-print loop until end of input. */
void sh_repl(lua_State *L);

/* The reserved words of Lua 5.4, NULL-terminated. */
extern const char *const sh_lua_keywords[];

/* Completion: install the readline completer working on state L. */
void sh_complete_init(lua_State *L);
/* Push a sorted sequence of the completions of text (an expression tail
 * such as "string.fo", "atoms:se", "pri"); never raises. */
void sh_complete_push(lua_State *L, const char *text);

/* Render the value at index idx for the REPL: strings raw at top level,
 * tables as a short pretty-print, __tostring honoured.  Pushes the string.
 * May raise an error (from a __tostring metamethod). */
void sh_pretty_push(lua_State *L, int idx);

#endif
