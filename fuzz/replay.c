/* replay.c - run a harness over files without libFuzzer: the ctest targets
 * fuzz.replay_<target> feed it the seed corpus and the regression inputs
 * (fuzz/regressions/<target>/, inputs that once broke an invariant or
 * crashed).  Built with every harness source and FUZZ_REPLAY, so that a
 * violated invariant returns here instead of aborting.
 *
 *   fuzz_replay_dump DIR_OR_FILE...
 *
 * Prints one line per failing input; exit status 1 if any failed, 77
 * (skipped) if there was nothing to run.  (After a failure the harness's
 * allocations are abandoned by the longjmp; the exit then skips the
 * LeakSanitizer check, which would report only those.) */
#include "fuzz.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static jmp_buf back;

_Noreturn void fuzz_replay_fail(void)
{
    longjmp(back, 1);
}

static int run_file(const char *path, int *failed)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        (*failed)++;
        return 0;
    }
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *b = realloc(buf, cap *= 2);
            if (!b) {
                free(buf);
                buf = NULL;
            }
            buf = b;
        }
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "replay: out of memory reading %s\n", path);
        (*failed)++;
        return 0;
    }
    /* a private copy of exactly n bytes, so that ASan sees overreads */
    unsigned char *data = malloc(n ? n : 1);
    memcpy(data, buf, n);
    free(buf);
    if (setjmp(back) == 0) {
        LLVMFuzzerTestOneInput(data, n);
    } else {
        fprintf(stderr, "replay: FAILED on %s (the invariant is named above)\n", path);
        (*failed)++;
    }
    free(data);
    return 1;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_path(const char *path, int *failed)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    if (!S_ISDIR(st.st_mode))
        return run_file(path, failed);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !strcmp(e->d_name, "README.md"))
            continue;
        names = realloc(names, (n + 1) * sizeof *names);
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp);
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        char full[4096];
        snprintf(full, sizeof full, "%s/%s", path, names[i]);
        count += run_path(full, failed);
        free(names[i]);
    }
    free(names);
    return count;
}

int main(int argc, char **argv)
{
    int failed = 0, count = 0;
    for (int i = 1; i < argc; i++)
        count += run_path(argv[i], &failed);
    printf("replay: %d inputs, %d failed\n", count, failed);
    fflush(stdout);
    if (count == 0)
        return 77;
    /* after a failure the harness's allocations were abandoned by longjmp:
     * leave without LeakSanitizer's exit check, which would only report
     * them */
    if (failed)
        _exit(1);
    return 0;
}
