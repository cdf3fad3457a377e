/* sf_process.h - a child process with pipes to its stdin and stdout.
 *
 * The handle follows a spawn / write / read_line / wait / free life cycle.
 * The child runs in its own process group, so that killing it also kills
 * whatever it started (an MPI launcher and its ranks).  Writes never raise
 * SIGPIPE in the caller: a child that went away is an error return.
 *
 * Also here: the small filesystem helpers a driver of external programs
 * needs (private temporary directories, their removal, a PATH lookup). */
#ifndef SF_PROCESS_H
#define SF_PROCESS_H

#include <stddef.h>
#include <sys/types.h>

typedef struct sf_process sf_process;

/* What happens to the child's stderr. */
enum sf_process_stderr {
    SF_PROCESS_STDERR_MERGE = 0, /* into the stdout pipe (read_line sees it) */
    SF_PROCESS_STDERR_INHERIT,   /* the caller's stderr */
    SF_PROCESS_STDERR_NULL       /* /dev/null */
};

/* Start argv[0] (searched in PATH) with argv, in directory cwd (NULL: the
 * caller's).  Returns NULL and sets an error when the program cannot be
 * started (not found, not executable, no resources). */
sf_process *sf_process_spawn(const char *const argv[], const char *cwd,
                             enum sf_process_stderr err);

/* Write all n bytes to the child's stdin.  SF_ERR when the child closed it
 * (exited) or stdin was already closed. */
int sf_process_write(sf_process *p, const char *buf, size_t n);
/* Close the child's stdin (it sees end of input). */
void sf_process_close_input(sf_process *p);

/* Read one line of the child's output, without the newline (a '\r' before
 * it is kept).  timeout < 0 waits forever.  Returns 1 with *line (owned by
 * p, valid until the next call) and *len set; 0 at end of output; 2 on
 * timeout (nothing consumed is lost: a later call goes on); SF_ERR on a
 * read error.  A last line without a newline is returned at end of output. */
int sf_process_read_line(sf_process *p, double timeout, const char **line,
                         size_t *len);

/* Send signal sig to the child's process group (no-op once reaped). */
int sf_process_kill(sf_process *p, int sig);
/* Wait for the child to exit.  timeout < 0 waits forever.  Returns 1 and
 * sets *status (exit code, or 128 + signal number) when it exited, 0 on
 * timeout, SF_ERR on error.  Safe to call again after it returned 1. */
int sf_process_wait(sf_process *p, double timeout, int *status);
/* 1 while the child has not been reaped (it may already be a zombie). */
int sf_process_running(sf_process *p);
pid_t sf_process_pid(const sf_process *p);

/* Close stdin, give the child grace seconds to exit, then SIGTERM its group,
 * then SIGKILL; kill what is left of its process group, reap it and free
 * everything.  *status (may be NULL) gets the exit status as for
 * sf_process_wait.  NULL is a no-op. */
int sf_process_close(sf_process *p, double grace, int *status);
/* sf_process_close without the status. */
void sf_process_free(sf_process *p, double grace);

/* A new private directory (mode 0700) named <base>/<prefix>XXXXXX, where
 * base is $TMPDIR or /tmp when base is NULL.  Returns a malloc'd path or
 * NULL with an error. */
char *sf_process_mkdtemp(const char *base, const char *prefix);
/* Remove path and everything below it (symbolic links are removed, never
 * followed).  A missing path is not an error. */
int sf_process_remove_tree(const char *path);
/* Full path of an executable found in PATH (or name itself when it
 * contains a '/' and is executable); malloc'd, NULL with an error. */
char *sf_process_which(const char *name);

/* Create directory path and its missing parents (mode 0777 & ~umask);
 * an existing directory is not an error. */
int sf_process_make_dirs(const char *path);
/* Seconds on a monotonic clock (for timings). */
double sf_process_now(void);

#endif
