/* sf_process.c - a child process with pipes (see sf_process.h). */
#include "sf_process.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sf_error.h"

extern char **environ;

struct sf_process {
    pid_t pid;
    int in;       /* write end of the child's stdin, -1 when closed */
    int out;      /* read end of the child's stdout, -1 when closed */
    int reaped;   /* waitpid has collected the child */
    int status;   /* exit code or 128 + signal, once reaped */
    int eof;      /* the stdout pipe reached end of file */
    char *buf;    /* unread output: buf[start..end) */
    size_t start, end, cap;
    char *name;   /* argv[0], for messages */
};

static double now_seconds(void) { return sf_process_now(); }

double sf_process_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

sf_process *sf_process_spawn(const char *const argv[], const char *cwd,
                             enum sf_process_stderr err)
{
    if (!argv || !argv[0] || !argv[0][0]) {
        sf_error("sf_process_spawn: empty command");
        return NULL;
    }
    sf_process *p = sf_calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->in = p->out = -1;
    p->name = sf_strdup(argv[0]);
    if (!p->name) {
        free(p);
        return NULL;
    }
    int pin[2] = {-1, -1}, pout[2] = {-1, -1};
    if (pipe2(pin, O_CLOEXEC) != 0 || pipe2(pout, O_CLOEXEC) != 0) {
        sf_error("spawn %s: pipe: %s", argv[0], strerror(errno));
        goto fail;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    /* dup2 clears FD_CLOEXEC on the new descriptors 0, 1 (and 2) */
    posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
    posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
    if (err == SF_PROCESS_STDERR_MERGE)
        posix_spawn_file_actions_adddup2(&fa, pout[1], 2);
    else if (err == SF_PROCESS_STDERR_NULL)
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    if (cwd)
        posix_spawn_file_actions_addchdir_np(&fa, cwd);
    /* own process group; default signal dispositions and an empty mask */
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
    int rc = posix_spawnp(&p->pid, argv[0], &fa, &attr, (char *const *)argv,
                          environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        if (cwd && rc == ENOENT && access(cwd, X_OK) != 0)
            sf_error("spawn %s: directory %s: %s", argv[0], cwd, strerror(rc));
        else
            sf_error("spawn %s: %s", argv[0], strerror(rc));
        goto fail;
    }
    close(pin[0]);
    close(pout[1]);
    p->in = pin[1];
    p->out = pout[0];
    return p;
fail:
    for (int i = 0; i < 2; i++) {
        if (pin[i] >= 0)
            close(pin[i]);
        if (pout[i] >= 0)
            close(pout[i]);
    }
    free(p->name);
    free(p);
    return NULL;
}

int sf_process_write(sf_process *p, const char *buf, size_t n)
{
    if (p->in < 0)
        return sf_error("write to %s: input already closed", p->name);
    /* A child that exited turns write() into SIGPIPE; block it for the
     * duration and swallow a pending one, so the caller only sees EPIPE. */
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    int result = SF_OK;
    while (n > 0) {
        ssize_t w = write(p->in, buf, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            result = sf_error("write to %s (pid %ld): %s", p->name,
                              (long)p->pid, errno == EPIPE
                                  ? "the process has exited"
                                  : strerror(errno));
            break;
        }
        buf += w;
        n -= (size_t)w;
    }
    if (result != SF_OK && !sigismember(&old, SIGPIPE)) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) > 0) {
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return result;
}

void sf_process_close_input(sf_process *p) { close_fd(&p->in); }

/* Make room for at least 4096 more bytes after buf[end]. */
static int grow(sf_process *p)
{
    if (p->start > 0 && p->start == p->end)
        p->start = p->end = 0;
    if (p->cap - p->end >= 4096)
        return SF_OK;
    if (p->start > 0) {
        memmove(p->buf, p->buf + p->start, p->end - p->start);
        p->end -= p->start;
        p->start = 0;
        if (p->cap - p->end >= 4096)
            return SF_OK;
    }
    size_t cap = p->cap ? 2 * p->cap : 8192;
    char *b = sf_realloc(p->buf, cap + 1);
    if (!b)
        return SF_ERR;
    p->buf = b;
    p->cap = cap;
    return SF_OK;
}

int sf_process_read_line(sf_process *p, double timeout, const char **line,
                         size_t *len)
{
    double deadline = timeout >= 0 ? now_seconds() + timeout : 0;
    for (;;) {
        char *nl = p->end > p->start
                       ? memchr(p->buf + p->start, '\n', p->end - p->start)
                       : NULL;
        if (nl) {
            size_t n = (size_t)(nl - (p->buf + p->start));
            *nl = '\0';
            *line = p->buf + p->start;
            *len = n;
            p->start += n + 1;
            return 1;
        }
        if (p->eof || p->out < 0) {
            if (p->end > p->start) { /* last line without a newline */
                p->buf[p->end] = '\0';
                *line = p->buf + p->start;
                *len = p->end - p->start;
                p->start = p->end;
                return 1;
            }
            return 0;
        }
        int wait_ms = -1;
        if (timeout >= 0) {
            double left = deadline - now_seconds();
            if (left <= 0)
                return 2;
            wait_ms = left > 1e6 ? 1000000000 : (int)(left * 1000.0) + 1;
        }
        struct pollfd pfd = {.fd = p->out, .events = POLLIN};
        int r = poll(&pfd, 1, wait_ms);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return sf_error("read from %s: poll: %s", p->name, strerror(errno));
        }
        if (r == 0)
            continue; /* the deadline check above decides */
        if (grow(p) != SF_OK)
            return SF_ERR;
        ssize_t got = read(p->out, p->buf + p->end, p->cap - p->end);
        if (got < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return sf_error("read from %s: %s", p->name, strerror(errno));
        }
        if (got == 0)
            p->eof = 1;
        p->end += (size_t)got;
    }
}

static void set_status(sf_process *p, int st)
{
    p->reaped = 1;
    if (WIFEXITED(st))
        p->status = WEXITSTATUS(st);
    else if (WIFSIGNALED(st))
        p->status = 128 + WTERMSIG(st);
    else
        p->status = 255;
}

int sf_process_kill(sf_process *p, int sig)
{
    if (p->reaped)
        return SF_OK;
    /* the whole group first (an MPI launcher and its ranks), then the
     * child itself in case it left the group */
    if (kill(-p->pid, sig) != 0 && errno != ESRCH)
        return sf_error("kill %s (pid %ld): %s", p->name, (long)p->pid,
                        strerror(errno));
    kill(p->pid, sig);
    return SF_OK;
}

int sf_process_wait(sf_process *p, double timeout, int *status)
{
    double deadline = timeout >= 0 ? now_seconds() + timeout : 0;
    while (!p->reaped) {
        int st;
        pid_t r = waitpid(p->pid, &st, timeout < 0 ? 0 : WNOHANG);
        if (r == p->pid) {
            set_status(p, st);
            break;
        }
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == ECHILD) { /* somebody else reaped it */
                p->reaped = 1;
                p->status = 255;
                break;
            }
            return sf_error("wait for %s (pid %ld): %s", p->name,
                            (long)p->pid, strerror(errno));
        }
        if (now_seconds() >= deadline)
            return 0;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (status)
        *status = p->status;
    return 1;
}

int sf_process_running(sf_process *p)
{
    if (!p->reaped) {
        int st;
        if (waitpid(p->pid, &st, WNOHANG) == p->pid)
            set_status(p, st);
    }
    return !p->reaped;
}

pid_t sf_process_pid(const sf_process *p) { return p->pid; }

/* Wait up to timeout seconds (< 0: forever) for the child to exit WITHOUT
 * reaping it: while the leader is a zombie its process group id cannot be
 * reused, so the group may still be signalled safely.  1 exited, 0 not. */
static int wait_exit_nowait(sf_process *p, double timeout)
{
    double deadline = timeout >= 0 ? now_seconds() + timeout : 0;
    for (;;) {
        siginfo_t info;
        memset(&info, 0, sizeof info);
        int r = waitid(P_PID, (id_t)p->pid, &info, WEXITED | WNOWAIT | WNOHANG);
        if (r == 0 && info.si_pid == p->pid)
            return 1;
        if (r < 0 && errno != EINTR)
            return 1; /* ECHILD: nothing left to wait for */
        if (timeout >= 0 && now_seconds() >= deadline)
            return 0;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

int sf_process_close(sf_process *p, double grace, int *status)
{
    int st = -1;
    if (!p) {
        if (status)
            *status = st;
        return SF_OK;
    }
    close_fd(&p->in);
    if (!p->reaped) {
        if (!wait_exit_nowait(p, grace > 0 ? grace : 0)) {
            kill(-p->pid, SIGTERM);
            kill(p->pid, SIGTERM);
            if (!wait_exit_nowait(p, 2.0)) {
                kill(-p->pid, SIGKILL);
                kill(p->pid, SIGKILL);
                wait_exit_nowait(p, -1);
            }
        }
        /* members of the group that outlived the leader (orphaned MPI
         * ranks, a grandchild): the zombie leader keeps the id reserved */
        kill(-p->pid, SIGKILL);
        sf_process_wait(p, -1, &st);
    } else {
        st = p->status;
    }
    if (status)
        *status = st;
    close_fd(&p->out);
    free(p->buf);
    free(p->name);
    free(p);
    return SF_OK;
}

void sf_process_free(sf_process *p, double grace)
{
    sf_process_close(p, grace, NULL);
}

char *sf_process_mkdtemp(const char *base, const char *prefix)
{
    if (!base || !*base) {
        base = getenv("TMPDIR");
        if (!base || !*base)
            base = "/tmp";
    }
    if (!prefix)
        prefix = "sflex-";
    if (strchr(prefix, '/')) {
        sf_error("temporary directory prefix '%s' contains '/'", prefix);
        return NULL;
    }
    size_t n = strlen(base) + strlen(prefix) + 8;
    char *path = sf_malloc(n + 1);
    if (!path)
        return NULL;
    snprintf(path, n + 1, "%s/%sXXXXXX", base, prefix);
    if (!mkdtemp(path)) {
        sf_error("cannot create a temporary directory in %s: %s", base,
                 strerror(errno));
        free(path);
        return NULL;
    }
    return path;
}

static int remove_one(const char *path, const struct stat *sb, int flag,
                      struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    int r = (flag == FTW_DP) ? rmdir(path) : unlink(path);
    if (r != 0 && errno != ENOENT) {
        sf_error("cannot remove %s: %s", path, strerror(errno));
        return 1;
    }
    return 0;
}

int sf_process_remove_tree(const char *path)
{
    if (!path || !*path || strcmp(path, "/") == 0)
        return sf_error("refusing to remove '%s'", path ? path : "(null)");
    struct stat sb;
    if (lstat(path, &sb) != 0) {
        if (errno == ENOENT)
            return SF_OK;
        return sf_error("cannot remove %s: %s", path, strerror(errno));
    }
    if (!S_ISDIR(sb.st_mode)) {
        if (unlink(path) != 0)
            return sf_error("cannot remove %s: %s", path, strerror(errno));
        return SF_OK;
    }
    sf_error_clear();
    int r = nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    if (r != 0) {
        if (r < 0)
            return sf_error("cannot remove %s: %s", path, strerror(errno));
        return SF_ERR; /* message set by remove_one */
    }
    return SF_OK;
}

static int is_executable(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
           access(path, X_OK) == 0;
}

char *sf_process_which(const char *name)
{
    if (!name || !*name) {
        sf_error("which: empty program name");
        return NULL;
    }
    if (strchr(name, '/')) {
        if (is_executable(name))
            return sf_strdup(name);
        sf_error("%s: %s", name,
                 access(name, F_OK) == 0 ? "not an executable file"
                                         : "no such file");
        return NULL;
    }
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    size_t nlen = strlen(name);
    const char *s = path;
    for (;;) {
        const char *colon = strchr(s, ':');
        size_t dlen = colon ? (size_t)(colon - s) : strlen(s);
        char *full = sf_malloc(dlen + nlen + 3);
        if (!full)
            return NULL;
        if (dlen == 0)
            snprintf(full, dlen + nlen + 3, "./%s", name);
        else
            snprintf(full, dlen + nlen + 3, "%.*s/%s", (int)dlen, s, name);
        if (is_executable(full))
            return full;
        free(full);
        if (!colon)
            break;
        s = colon + 1;
    }
    sf_error("program '%s' not found in PATH", name);
    return NULL;
}

int sf_process_make_dirs(const char *path)
{
    if (!path || !*path)
        return sf_error("make_dirs: empty path");
    char *p = sf_strdup(path);
    if (!p)
        return SF_ERR;
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = '\0';
    for (char *s = p + 1;; s++) {
        char c = *s;
        if (c == '/' || c == '\0') {
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                int e = errno;
                sf_error("cannot create directory %s: %s", p, strerror(e));
                free(p);
                return SF_ERR;
            }
            struct stat sb;
            if (stat(p, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
                sf_error("cannot create directory %s: a file of that name exists", p);
                free(p);
                return SF_ERR;
            }
            *s = c;
            if (c == '\0')
                break;
        }
    }
    free(p);
    return SF_OK;
}
