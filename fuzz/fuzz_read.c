/* fuzz_read.c - libFuzzer harness for the configuration readers of
 * src/core/sf_io.h.  Built three times (fuzz/CMakeLists.txt) with
 * FUZZ_FORMAT = SF_FORMAT_DUMP, SF_FORMAT_DATA or SF_FORMAT_XYZ.
 *
 * The input is the file's content (plain or gzip: the reader detects gzip
 * by content), held in a memfd and read through /proc/self/fd/N, so no disk
 * is touched.  Invariants checked (a violation aborts, which libFuzzer
 * reports as a crash; ASan/UBSan report memory and undefined behaviour):
 *   - a failed read sets a non-empty error message that names the file;
 *   - a successful read passes sf_atoms_validate;
 *   - dumps and XYZ: the streaming reader (next and skip) agrees with it;
 *   - what was read can be written in the same format and read back with
 *     the same number of atoms and types (the writers' output is readable).
 * The read options vary with the input length (length % 4: 0 none, 1 two
 * element names, 2 the last frame and atom style full, 3 three names and
 * the second frame), so every input is also tried with names and, for data
 * files, another atom style; a regression input must have the length that
 * selects the options it needs. */
#include "sf_atoms.h"
#include "sf_error.h"
#include "sf_io.h"

#include "fuzz.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef FUZZ_FORMAT
#error "define FUZZ_FORMAT"
#endif

static int mem_fd = -1;
static char mem_path[64];
static char out_path[256];

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_read: invariant violated: %s\n  last error: %s\n", what,
            sf_error_message() ? sf_error_message() : "(none)");
    FUZZ_ABORT();
}

static void setup(void)
{
    mem_fd = memfd_create("sflex-fuzz", 0);
    if (mem_fd < 0) {
        perror("memfd_create");
        abort();
    }
    snprintf(mem_path, sizeof mem_path, "/proc/self/fd/%d", mem_fd);
    const char *dir = getenv("SFLEX_FUZZ_TMP");
    if (!dir || !*dir)
        dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    static const char *const ext[] = {"", ".dump", ".data", ".xyz"};
    snprintf(out_path, sizeof out_path, "%s/sflex-fuzz-%ld%s", dir, (long)getpid(),
             ext[FUZZ_FORMAT]);
}

/* The error of a failed call must exist and name the file. */
static void check_error(const char *path)
{
    const char *msg = sf_error_message();
    if (!msg || !*msg)
        fail("failure without an error message");
    if (!strstr(msg, path))
        fail("error message does not name the file");
}

static void check_stream(const sf_read_opts *o, const sf_atoms *first)
{
    sf_dump_reader *r = sf_dump_open(mem_path, o);
    if (!r) {
        check_error(mem_path);
        fail("sf_read succeeded but sf_dump_open failed");
    }
    long long frames = 0;
    for (int k = 0; k < 10000; k++) {
        sf_atoms *a = NULL;
        int st = (k % 2 && k > 0) ? sf_dump_skip(r) : sf_dump_next(r, &a);
        if (st == SF_ERR) {
            check_error(mem_path);
            sf_error_clear();
            break;
        }
        if (st == 0)
            break;
        frames++;
        if (a) {
            if (k == 0 && (a->n != first->n || a->ntypes != first->ntypes))
                fail("streamed first frame differs from sf_read");
            if (sf_atoms_validate(a, "stream") != 0)
                fail("streamed frame fails validation");
            sf_atoms_free(a);
        }
    }
    if (frames != sf_dump_frames(r))
        fail("sf_dump_frames disagrees with the frames returned");
    sf_dump_close(r);
}

static void check_roundtrip(const sf_atoms *a)
{
    if (sf_write(out_path, a, FUZZ_FORMAT, NULL) != 0) {
        /* writers may refuse what they cannot represent, with a message */
        const char *msg = sf_error_message();
        if (!msg || !*msg)
            fail("write failed without an error message");
        sf_error_clear();
        return;
    }
    sf_read_opts o;
    sf_read_opts_init(&o);
    o.format = FUZZ_FORMAT;
    sf_atoms *b = sf_read(out_path, &o);
    unlink(out_path);
    if (!b) {
        fprintf(stderr, "fuzz_read: re-read error: %s\n", sf_error_message());
        fail("what the writer wrote cannot be read back");
    }
    if (b->n != a->n)
        fail("round trip changed the number of atoms");
    sf_atoms_free(b);
}

/* With FUZZ_SKIP_KNOWN=1 in the environment, inputs that hit a bug already
 * reported (fuzz/regressions/<format>/README.md) are skipped, so that a long
 * campaign looks for new ones.  XYZ, on the second line: a column count of
 * 100 or more (written back as one property per column, more than the
 * reader takes), or a name of 100 characters or more (NAME[k] too long to
 * read back).  (Filters of bugs since fixed are removed.) */
static int known_bug(const uint8_t *data, size_t size)
{
    static int skip = -1;
    if (skip < 0) {
        const char *e = getenv("FUZZ_SKIP_KNOWN");
        skip = e && *e == '1';
    }
    if (!skip || FUZZ_FORMAT != SF_FORMAT_XYZ)
        return 0;
    size_t i = 0, run = 0;
    while (i < size && data[i] != '\n')
        i++;
    for (i++; i < size && data[i] != '\n'; i++) {
        if (data[i] != ':' && data[i] != '=' && data[i] != ' ' && data[i] != '\t') {
            if (++run >= 100)
                return 1;
            continue;
        }
        run = 0;
        if (data[i] == ':') {
            size_t j = i + 1, digits = 0;
            while (j < size && data[j] == '0')
                j++;
            while (j < size && data[j] >= '0' && data[j] <= '9')
                j++, digits++;
            if (digits >= 3)
                return 1;
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (known_bug(data, size))
        return 0;
    if (mem_fd < 0)
        setup();
    if (ftruncate(mem_fd, 0) != 0 || (size && pwrite(mem_fd, data, size, 0) != (ssize_t)size))
        abort();

    static const char *const elements[] = {"Cu", "Zr", "Al"};
    sf_read_opts o;
    sf_read_opts_init(&o);
    o.format = FUZZ_FORMAT;
    switch (size % 4) {
    case 1:
        o.elements = elements;
        o.nelements = 2;
        break;
    case 2:
        o.frame = SF_FRAME_LAST;
        o.atom_style = "full";
        break;
    case 3:
        o.elements = elements;
        o.nelements = 3;
        o.frame = 1;
        break;
    default:
        break;
    }

    sf_error_clear();
    sf_atoms *a = sf_read(mem_path, &o);
    if (!a) {
        check_error(mem_path);
        return 0;
    }
    if (sf_atoms_validate(a, "fuzz") != 0)
        fail("sf_read returned atoms that fail sf_atoms_validate");
    if (FUZZ_FORMAT != SF_FORMAT_DATA && o.frame == 0)
        check_stream(&o, a);
    check_roundtrip(a);
    sf_atoms_free(a);
    sf_error_clear();
    return 0;
}
