/* repl.c - the read-eval-print loop.
 *
 * Input: GNU readline in callback mode when stdin is a terminal (so that
 * Ctrl-C at the prompt can discard the line cleanly), plain lines otherwise.
 * Each chunk is first compiled as "return <chunk>" (an expression: its values
 * are printed), then as a statement; while either reading ends in a syntax
 * error at "<eof>" the chunk is incomplete and a continuation line is read.
 * A complete chunk is one history entry, multi-line entries included
 * (readline writes them with timestamps, so they read back whole). */
#include "sh.h"

#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

enum { HISTORY_ENTRIES = 1000, HISTORY_FILE_LINES = 5000 };

static const char PROMPT[] = "sflex> ";
static const char PROMPT2[] = "  ...> ";
static const char EOF_MARK[] = "<eof>";

typedef enum { READ_OK, READ_EOF, READ_INTERRUPTED } read_status;
typedef enum { CHUNK_OK, CHUNK_SKIP, CHUNK_EOF } chunk_status;

static volatile sig_atomic_t got_sigint = 0, got_sigwinch = 0, got_sigcont = 0;
static int use_readline = 0;
static char *history_path = NULL;

/* The thread that reads the terminal.  A signal sent to the process may be
 * delivered to any thread that does not block it, such as the worker threads
 * that OpenBLAS and OpenMP start before main; the handlers pass it on to the
 * REPL's thread, whose pselect or read must see EINTR. */
static pthread_t repl_thread;

static int forwarded(int sig)
{
    if (pthread_equal(pthread_self(), repl_thread))
        return 0;
    pthread_kill(repl_thread, sig);
    return 1;
}

static void on_sigint(int sig)
{
    if (!forwarded(sig))
        got_sigint = 1;
}

static void on_sigwinch(int sig)
{
    if (!forwarded(sig))
        got_sigwinch = 1;
}

static void on_sigcont(int sig)
{
    if (!forwarded(sig))
        got_sigcont = 1;
}

/* ---- reading one line ------------------------------------------------------------ */

static char *rl_line;
static int rl_line_done;
static sigset_t waiting_mask; /* the signal mask while waiting for a key */

static void line_handler(char *line)
{
    rl_line = line;
    rl_line_done = 1;
    /* or readline would prepare the next line and print the prompt again */
    rl_callback_handler_remove();
}

/* readline's getc.  SIGINT, SIGWINCH and SIGCONT are blocked except while
 * waiting in pselect, and the read itself never blocks: a Ctrl-C that
 * flushes the terminal's input queue between the wait and the read cannot
 * leave us stuck in read().  After a SIGINT it returns EOF, which makes
 * readline stop whatever it is reading (a key sequence, a bracketed paste).
 * After Ctrl-Z and fg (SIGCONT) the shell has put the terminal back in its
 * own mode: readline's is set again and the line redrawn. */
static int getc_interruptible(FILE *stream)
{
    int fd = fileno(stream);
    for (;;) {
        if (got_sigint)
            return EOF;
        if (got_sigcont) {
            got_sigcont = 0;
            rl_deprep_terminal();
            rl_prep_terminal(1);
            rl_forced_update_display();
        }
        if (got_sigwinch) {
            got_sigwinch = 0;
            rl_resize_terminal();
        }
        unsigned char c;
        int flags = fcntl(fd, F_GETFL);
        if (flags >= 0)
            fcntl(fd, F_SETFL, flags | O_NONBLOCK);
        ssize_t n = read(fd, &c, 1);
        int err = errno;
        if (flags >= 0)
            fcntl(fd, F_SETFL, flags);
        if (n == 1)
            return c;
        if (n == 0 || (err != EAGAIN && err != EWOULDBLOCK && err != EINTR))
            return EOF;
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(fd, &fds);
        if (pselect(fd + 1, &fds, NULL, NULL, NULL, &waiting_mask) < 0 && errno != EINTR)
            return EOF;
    }
}

static read_status read_line_readline(const char *prompt, char **out)
{
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGWINCH);
    sigaddset(&block, SIGCONT);
    pthread_sigmask(SIG_BLOCK, &block, &waiting_mask);
    got_sigint = 0;
    got_sigcont = 0;

    rl_line = NULL;
    rl_line_done = 0;
    rl_callback_handler_install(prompt, line_handler);
    while (!rl_line_done && !got_sigint)
        rl_callback_read_char();
    read_status st = READ_OK;
    if (got_sigint) { /* Ctrl-C: discard the line, fresh prompt */
        got_sigint = 0;
        if (rl_line_done)
            free(rl_line);
        else {
            rl_free_line_state();
            rl_callback_sigcleanup();
            rl_cleanup_after_signal();
            rl_callback_handler_remove();
        }
        FILE *o = rl_outstream ? rl_outstream : stdout;
        rl_echo_signal_char(SIGINT);
        fputc('\n', o);
        fflush(o);
        st = READ_INTERRUPTED;
    } else if (!rl_line)
        st = READ_EOF;
    else
        *out = rl_line;
    pthread_sigmask(SIG_SETMASK, &waiting_mask, NULL);
    return st;
}

static read_status read_line_plain(const char *prompt, char **out)
{
    fputs(prompt, stdout);
    fflush(stdout);
    got_sigint = 0;
    char *line = NULL;
    size_t cap = 0;
    errno = 0;
    ssize_t len = getline(&line, &cap, stdin);
    if (len < 0) {
        free(line);
        if (errno == EINTR && got_sigint) {
            clearerr(stdin);
            fputc('\n', stdout);
            return READ_INTERRUPTED;
        }
        return READ_EOF;
    }
    if (len > 0 && line[len - 1] == '\n')
        line[len - 1] = '\0';
    *out = line;
    return READ_OK;
}

/* Read a line with the prompt from global _PROMPT / _PROMPT2 when it is a
 * string (like lua), else the default.  *out is malloc'ed. */
static read_status read_line(lua_State *L, int first, char **out)
{
    lua_pushglobaltable(L); /* raw: a strict-mode _G must not break the loop */
    lua_pushstring(L, first ? "_PROMPT" : "_PROMPT2");
    lua_rawget(L, -2);
    lua_remove(L, -2);
    const char *prompt = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    if (!prompt)
        prompt = first ? PROMPT : PROMPT2;
    read_status st = use_readline ? read_line_readline(prompt, out)
                                  : read_line_plain(prompt, out);
    lua_pop(L, 1);
    return st;
}

/* ---- history ----------------------------------------------------------------------- */

static void history_open(void)
{
    const char *env = getenv("SFLEX_HISTORY");
    const char *home = getenv("HOME");
    if (env)
        history_path = *env ? strdup(env) : NULL; /* "" disables the file */
    else if (home && *home) {
        size_t n = strlen(home) + sizeof "/.sflex_history";
        history_path = malloc(n);
        if (history_path)
            snprintf(history_path, n, "%s/.sflex_history", home);
    }
    using_history();
    stifle_history(HISTORY_ENTRIES);
    history_comment_char = '#';
    history_write_timestamps = 1;
    if (history_path)
        read_history(history_path); /* a missing file is no error */
}

static void history_save(const char *chunk)
{
    if (!use_readline || !*chunk)
        return;
    HIST_ENTRY *last = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
    if (last && !strcmp(last->line, chunk))
        return;
    add_history(chunk);
    if (history_path) {
        /* append_history needs an existing file */
        int fd = open(history_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            close(fd);
            append_history(1, history_path);
        }
    }
}

static void history_close(void)
{
    if (history_path)
        history_truncate_file(history_path, HISTORY_FILE_LINES);
    free(history_path);
    history_path = NULL;
}

/* ---- reading one chunk ------------------------------------------------------------ */

/* A syntax error at "<eof>" means that more input could complete the chunk;
 * except "syntax error near <eof>", which comes from an expression used as a
 * statement ("x = 1; x"): reported at once rather than waiting for a
 * continuation line that nobody means to type. */
static int incomplete(lua_State *L, int status)
{
    static const char not_call[] = "syntax error near <eof>";
    if (status != LUA_ERRSYNTAX)
        return 0;
    size_t len;
    const char *msg = lua_tolstring(L, -1, &len);
    size_t mlen = sizeof EOF_MARK - 1, nlen = sizeof not_call - 1;
    if (!msg || len < mlen || strcmp(msg + len - mlen, EOF_MARK) != 0)
        return 0;
    return !(len >= nlen && !strcmp(msg + len - nlen, not_call));
}

static int blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return 0;
    return 1;
}

/* Read and compile one chunk.  CHUNK_OK: the function is pushed. */
static chunk_status load_chunk(lua_State *L)
{
    int base = lua_gettop(L);
    char *line;
    read_status rs = read_line(L, 1, &line);
    if (rs == READ_EOF)
        return CHUNK_EOF;
    if (rs == READ_INTERRUPTED)
        return CHUNK_SKIP;
    int empty = blank(line);
    lua_pushstring(L, line);
    free(line);
    if (empty) {
        lua_settop(L, base);
        return CHUNK_SKIP;
    }
    int buf = base + 1;
    for (;;) {
        size_t len;
        const char *code = lua_tolstring(L, buf, &len);
        /* as an expression */
        const char *expr = lua_pushfstring(L, "return %s", code);
        int st = luaL_loadbuffer(L, expr, strlen(expr), "=stdin");
        if (st == LUA_OK) {
            history_save(code);
            lua_replace(L, buf);
            lua_settop(L, buf);
            return CHUNK_OK;
        }
        int expr_incomplete = incomplete(L, st);
        lua_pop(L, 2);
        /* as a statement */
        st = luaL_loadbuffer(L, code, len, "=stdin");
        if (st == LUA_OK) {
            history_save(code);
            lua_replace(L, buf);
            lua_settop(L, buf);
            return CHUNK_OK;
        }
        if (!incomplete(L, st) && !expr_incomplete) {
            history_save(code);
            sh_report(L, st);
            lua_settop(L, base);
            return CHUNK_SKIP;
        }
        /* incomplete: one more line */
        rs = read_line(L, 0, &line);
        if (rs == READ_INTERRUPTED) {
            lua_settop(L, base);
            return CHUNK_SKIP;
        }
        if (rs == READ_EOF) { /* report what is missing, then go on */
            history_save(code);
            sh_report(L, st);
            lua_settop(L, base);
            return CHUNK_SKIP;
        }
        lua_pop(L, 1); /* the syntax error */
        lua_pushliteral(L, "\n");
        lua_pushstring(L, line);
        free(line);
        lua_concat(L, 3);
    }
}

/* ---- printing results ------------------------------------------------------------- */

static int render_all(lua_State *L)
{
    int n = lua_gettop(L);
    luaL_checkstack(L, 2 * n + 8, "too many results to print");
    for (int i = 1; i <= n; i++) {
        sh_pretty_push(L, i);
        if (i < n)
            lua_pushliteral(L, "\t");
    }
    lua_concat(L, 2 * n - 1);
    return 1;
}

static void print_results(lua_State *L, int base)
{
    int n = lua_gettop(L) - base;
    if (n <= 0)
        return;
    lua_pushcfunction(L, render_all);
    lua_insert(L, base + 1);
    if (lua_pcall(L, n, 1, 0) != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        fprintf(stderr, "error printing result: %s\n", msg ? msg : "?");
        fflush(stderr);
    } else {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        fwrite(s, 1, len, stdout);
        fputc('\n', stdout);
        fflush(stdout);
    }
    lua_settop(L, base);
}

/* ---- the loop ------------------------------------------------------------------------ */

void sh_repl(lua_State *L)
{
    const char *saved_progname = sh_progname;
    sh_progname = NULL; /* messages at the prompt need no prefix */
    use_readline = isatty(STDIN_FILENO);
    repl_thread = pthread_self();

    struct sigaction sa, old_int, old_winch, old_cont;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_sigint; /* no SA_RESTART: reads must see EINTR */
    sigaction(SIGINT, &sa, &old_int);
    sa.sa_handler = on_sigwinch;
    sigaction(SIGWINCH, &sa, &old_winch);
    sa.sa_handler = on_sigcont;
    sigaction(SIGCONT, &sa, &old_cont);

    if (use_readline) {
        rl_readline_name = "sflex";
        rl_catch_signals = 0;
        rl_catch_sigwinch = 0;
        rl_getc_function = getc_interruptible;
        sh_complete_init(L);
        history_open();
    }

    printf("sflex %s (%s)  help() for help, Ctrl-D to quit\n", SFLEX_VERSION, LUA_RELEASE);
    fflush(stdout);

    int base = lua_gettop(L);
    for (;;) {
        chunk_status cs = load_chunk(L);
        if (cs == CHUNK_EOF)
            break;
        if (cs == CHUNK_SKIP)
            continue;
        int status = sh_docall(L, 0, LUA_MULTRET);
        if (status == LUA_OK)
            print_results(L, base);
        else
            sh_report(L, status);
        lua_settop(L, base);
    }
    fputc('\n', stdout);
    fflush(stdout);

    if (use_readline)
        history_close();
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGWINCH, &old_winch, NULL);
    sigaction(SIGCONT, &old_cont, NULL);
    sh_progname = saved_progname;
}
