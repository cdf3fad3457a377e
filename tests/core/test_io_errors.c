/* Bad input: every case must fail with a message that names the file, the
 * line and the problem (and never crash or allocate what a header claims). */
#include "sf_error.h"
#include "sf_io.h"
#include "sf_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char tmpdir[256];

static const char *write_tmp(const char *name, const char *text, int gz)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    if (gz) {
        gzFile g = gzopen(path, "wb");
        gzwrite(g, text, (unsigned)strlen(text));
        gzclose(g);
    } else {
        FILE *f = fopen(path, "wb");
        fputs(text, f);
        fclose(f);
    }
    return path;
}

/* Read text as file `name`; expect failure with "name:line:" (line > 0) or
 * "name:" and the substring `problem` in the message. */
static void expect_error_opts(const char *name, const char *text, int line,
                              const char *problem, const sf_read_opts *o)
{
    const char *path = write_tmp(name, text, 0);
    sf_atoms *a = sf_read(path, o);
    const char *msg = sf_error_message();
    char where[600];
    if (line > 0)
        snprintf(where, sizeof where, "%s:%d: ", path, line);
    else
        snprintf(where, sizeof where, "%s: ", path);
    CHECK_MSG(a == NULL, "%s: read succeeded", name);
    CHECK_MSG(a == NULL && strstr(msg, where) == msg && strstr(msg, problem),
              "%s: want '%s...%s', got '%s'", name, where, problem, msg);
    sf_atoms_free(a);
}

static void expect_error(const char *name, const char *text, int line,
                         const char *problem)
{
    expect_error_opts(name, text, line, problem, NULL);
}

#define DUMP_HEAD(n)                                                          \
    "ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n" n "\nITEM: BOX BOUNDS pp "  \
    "pp pp\n0 10\n0 10\n0 10\n"

static void test_dump(void)
{
    /* lines: 1 TIMESTEP, 2 value, 3 NUMBER, 4 n, 5 BOX, 6-8 bounds, 9 ATOMS,
     * 10.. atoms */
    expect_error("trunc.dump",
                 DUMP_HEAD("3") "ITEM: ATOMS id type x y z\n1 1 0 0 0\n"
                                "2 1 1 1 1\n",
                 11, "unexpected end of file: frame declares 3 atoms but has "
                     "only 2");
    expect_error("trunc_header.dump", DUMP_HEAD("3"), 8, "no 'ITEM: ATOMS'");
    expect_error("trunc_value.dump", "ITEM: TIMESTEP\n", 1,
                 "no value after 'ITEM: TIMESTEP'");
    expect_error("count.dump",
                 DUMP_HEAD("3") "ITEM: ATOMS id type x y z\n1 1 0 0 0\n"
                                "2 1 1 1 1\n" DUMP_HEAD("3"),
                 12, "frame declares 3 atoms but has only 2 atom lines");
    expect_error("extra.dump",
                 DUMP_HEAD("1") "ITEM: ATOMS id type x y z\n1 1 0 0 0\n"
                                "2 1 1 1 1\n",
                 11, "more atom lines than the frame declares");
    expect_error("nonnum.dump",
                 DUMP_HEAD("2") "ITEM: ATOMS id type x y z\n1 1 0 0 0\n"
                                "2 1 1 abc 1\n",
                 11, "column 'y': bad number 'abc'");
    expect_error("nan.dump",
                 DUMP_HEAD("2") "ITEM: ATOMS id type x y z\n1 1 0 0 0\n"
                                "2 1 1 1 nan\n",
                 11, "column 'z': non-finite number 'nan'");
    expect_error("inf.dump",
                 DUMP_HEAD("2") "ITEM: ATOMS id type x y z c_pe\n"
                                "1 1 0 0 0 -Inf\n2 1 1 1 1 0\n",
                 10, "column 'c_pe': non-finite number '-Inf'");
    expect_error("badint.dump",
                 DUMP_HEAD("1") "ITEM: ATOMS id type x y z\n1.5 1 0 0 0\n", 10,
                 "column 'id': bad integer '1.5'");
    expect_error("dup.dump",
                 DUMP_HEAD("3") "ITEM: ATOMS id type x y z\n5 1 0 0 0\n"
                                "7 1 1 1 1\n5 1 2 2 2\n",
                 12, "duplicate atom id 5 (also on line 10)");
    expect_error("zeroid.dump",
                 DUMP_HEAD("2") "ITEM: ATOMS id type x y z\n1 1 0 0 0\n"
                                "0 1 1 1 1\n",
                 11, "non-positive atom id 0");
    expect_error("negid.dump",
                 DUMP_HEAD("1") "ITEM: ATOMS id type x y z\n-4 1 0 0 0\n", 10,
                 "non-positive atom id -4");
    expect_error("type0.dump",
                 DUMP_HEAD("1") "ITEM: ATOMS id type x y z\n1 0 0 0 0\n", 10,
                 "atom type 0 out of range");
    static const char *const cuzr[] = {"Cu", "Zr"};
    sf_read_opts o;
    sf_read_opts_init(&o);
    o.elements = cuzr;
    o.nelements = 2;
    expect_error_opts("type3.dump",
                      DUMP_HEAD("2") "ITEM: ATOMS id type x y z\n1 1 0 0 0\n"
                                     "2 3 0 0 0\n",
                      11, "atom type 3 out of range: the elements option "
                          "names 2 types",
                      &o);
    expect_error_opts("elem.dump",
                      DUMP_HEAD("2") "ITEM: ATOMS id element x y z\n"
                                     "1 Cu 0 0 0\n2 Al 0 0 0\n",
                      11, "element 'Al' is not in the elements option (Cu Zr)",
                      &o);
    expect_error("elemconflict.dump",
                 DUMP_HEAD("2") "ITEM: ATOMS id type element x y z\n"
                                "1 1 Cu 0 0 0\n2 1 Zr 0 0 0\n",
                 11, "type 1 is element 'Cu' but this atom says 'Zr'");
    expect_error("nocoord.dump",
                 DUMP_HEAD("1") "ITEM: ATOMS id type x y\n1 1 0 0\n", 9,
                 "missing coordinate columns");
    expect_error("mixedcoord.dump",
                 DUMP_HEAD("1") "ITEM: ATOMS id type x ys z\n1 1 0 0 0\n", 9,
                 "missing coordinate columns");
    expect_error("fewcols.dump",
                 DUMP_HEAD("1") "ITEM: ATOMS id type x y z\n1 1 0 0\n", 10,
                 "atom line has 4 columns, 'ITEM: ATOMS' lists 5");
    expect_error("manycols.dump",
                 DUMP_HEAD("1") "ITEM: ATOMS id type x y z\n1 1 0 0 0 9\n", 10,
                 "more than the 5 columns");
    expect_error("dupcol.dump",
                 DUMP_HEAD("1") "ITEM: ATOMS id type x y z x\n1 1 0 0 0 0\n", 9,
                 "column 'x' appears twice");
    expect_error("zerobox.dump",
                 "ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n0\n"
                 "ITEM: BOX BOUNDS pp pp pp\n0 10\n5 5\n0 10\n"
                 "ITEM: ATOMS id type x y z\n",
                 8, "zero or negative length along y");
    expect_error("negbox.dump",
                 "ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n0\n"
                 "ITEM: BOX BOUNDS pp pp pp\n0 10\n0 10\n3 -3\n"
                 "ITEM: ATOMS id type x y z\n",
                 8, "zero or negative length along z");
    expect_error("nanbox.dump",
                 "ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n0\n"
                 "ITEM: BOX BOUNDS pp pp pp\n0 10\n0 nan\n0 10\n"
                 "ITEM: ATOMS id type x y z\n",
                 7, "box bounds along y: non-finite");
    expect_error("unknown.dump", "ITEM: TIMESTEP\n0\nITEM: ENTRIES c_1\n", 3,
                 "unknown item 'ITEM: ENTRIES c_1'");
    expect_error("badflag.dump",
                 "ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n0\n"
                 "ITEM: BOX BOUNDS pp qq pp\n0 10\n0 10\n0 10\n",
                 5, "bad boundary flag 'qq'");
    expect_error("general.dump",
                 "ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n0\n"
                 "ITEM: BOX BOUNDS abc origin pp pp pp\n",
                 5, "general triclinic");
    expect_error("negcount.dump", DUMP_HEAD("-5"), 4, "negative number");
    expect_error("badts.dump", "ITEM: TIMESTEP\nfoo\n", 2,
                 "bad integer 'foo'");
    /* a header that claims 10^15 atoms in a 150-byte file: an error at
     * once, with memory limited so a real allocation attempt would fail */
    expect_error("huge.dump",
                 DUMP_HEAD("1000000000000000") "ITEM: ATOMS id type x y z\n"
                                               "1 1 0 0 0\n",
                 4, "frame declares 1000000000000000 atoms, more than a file");
    /* the same inside gzip, where the file size bounds less: incremental
     * growth, then the end of the data */
    const char *gz = write_tmp(
        "huge.dump.gz",
        DUMP_HEAD("10000000000") "ITEM: ATOMS id type x y z\n1 1 0 0 0\n", 1);
    sf_atoms *a = sf_read(gz, NULL);
    CHECK_MSG(a == NULL && strstr(sf_error_message(), "huge.dump.gz:4:") &&
                  strstr(sf_error_message(), "declares 10000000000 atoms, "
                                             "more than a file"),
              "%s", sf_error_message());
    gz = write_tmp("big.dump.gz",
                   DUMP_HEAD("10000") "ITEM: ATOMS id type x y z\n1 1 0 0 0\n",
                   1);
    a = sf_read(gz, NULL);
    CHECK_MSG(a == NULL && strstr(sf_error_message(), "big.dump.gz:10:") &&
                  strstr(sf_error_message(), "declares 10000 atoms but has "
                                             "only 1"),
              "%s", sf_error_message());
    /* a truncated gzip dump: an error, not a short read */
    char big[200000];
    size_t k = (size_t)snprintf(big, sizeof big,
                                DUMP_HEAD("5000") "ITEM: ATOMS id type x y z\n");
    for (int i = 1; i <= 5000; i++)
        k += (size_t)snprintf(big + k, sizeof big - k, "%d 1 %d.25 1.5 2.5\n",
                              i, i % 10);
    gz = write_tmp("cut.dump.gz", big, 1);
    FILE *f = fopen(gz, "rb");
    char buf[200000];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    f = fopen(gz, "wb");
    fwrite(buf, 1, n * 2 / 3, f);
    fclose(f);
    a = sf_read(gz, NULL);
    CHECK_MSG(a == NULL && strstr(sf_error_message(), "cut.dump.gz") &&
                  strstr(sf_error_message(), "truncated gzip"),
              "%s", sf_error_message());
}

#define DATA_HEAD(n)                                                          \
    "title line\n\n" n " atoms\n2 atom types\n\n0 10 xlo xhi\n0 10 ylo yhi\n"  \
    "0 10 zlo zhi\n\nAtoms # atomic\n\n"
/* lines: 1 title, 3 atoms, 4 types, 6-8 box, 10 Atoms, 12.. atoms */

static void test_data(void)
{
    expect_error("trunc.data", DATA_HEAD("3") "1 1 0 0 0\n2 1 1 1 1\n", 13,
                 "unexpected end of file in the 'Atoms' section (2 of 3");
    expect_error("count.data",
                 DATA_HEAD("3") "1 1 0 0 0\n2 1 1 1 1\n\nVelocities\n\n"
                                "1 0 0 0\n2 0 0 0\n3 0 0 0\n",
                 14, "blank line in the 'Atoms' section after 2 of 3");
    expect_error("count2.data",
                 DATA_HEAD("3") "1 1 0 0 0\n2 1 1 1 1\nVelocities\n\n"
                                "1 0 0 0\n",
                 14, "the 'Atoms' section ends after 2 entries but the "
                     "header declares 3");
    expect_error("more.data",
                 DATA_HEAD("2") "1 1 0 0 0\n2 1 1 1 1\n3 1 2 2 2\n", 14,
                 "more atom lines than the 2 atoms");
    expect_error("nonnum.data", DATA_HEAD("1") "1 1 0 x 0\n", 12,
                 "coordinate y: bad number 'x'");
    expect_error("nan.data", DATA_HEAD("1") "1 1 0 0 NaN\n", 12,
                 "coordinate z: non-finite number 'NaN'");
    expect_error("inf.data", DATA_HEAD("1") "1 1 inf 0 0\n", 12,
                 "non-finite number 'inf'");
    expect_error("dup.data", DATA_HEAD("3") "4 1 0 0 0\n9 1 1 1 1\n4 2 2 2 2\n",
                 14, "duplicate atom id 4 (also on line 12)");
    expect_error("zeroid.data", DATA_HEAD("1") "0 1 0 0 0\n", 12,
                 "non-positive atom id 0");
    expect_error("type.data", DATA_HEAD("2") "1 1 0 0 0\n2 3 0 0 0\n", 13,
                 "atom type 3 out of range 1..2");
    expect_error("type0.data", DATA_HEAD("1") "1 0 0 0 0\n", 12,
                 "atom type 0 out of range");
    expect_error("fields.data", DATA_HEAD("1") "1 1 0 0 0 0\n", 12,
                 "atom style atomic expects 5 or 8 fields per atom line, "
                 "found 6");
    expect_error("fields2.data", DATA_HEAD("2") "1 1 0 0 0\n2 1 0 0 0 0 0 0\n",
                 13, "atom line has 8 fields, the first atom line has 5");
    expect_error("zerobox.data",
                 "t\n\n1 atoms\n1 atom types\n5 5 xlo xhi\n\nAtoms\n\n"
                 "1 1 5 5 5\n",
                 0, "zero or negative length along x");
    expect_error("negbox.data",
                 "t\n\n1 atoms\n1 atom types\n0 -1 zlo zhi\n\nAtoms\n\n"
                 "1 1 5 5 5\n",
                 0, "zero or negative length along z");
    expect_error("huge.data",
                 "t\n\n1000000000000000 atoms\n1 atom types\n\nAtoms\n\n"
                 "1 1 0 0 0\n",
                 0, "declares 1000000000000000 atoms, more than a file");
    expect_error("noatoms.data", "t\n\n1 atom types\n\nAtoms\n\n1 1 0 0 0\n",
                 5, "the header has no 'atoms' line");
    expect_error("nosection.data", "t\n\n2 atoms\n1 atom types\n", 0,
                 "declares 2 atoms but there is no Atoms section");
    expect_error("header.data", "t\n\n2 atoms\n1 atom types\n2 widgets\n", 5,
                 "unrecognized header line");
    expect_error("style.data",
                 "t\n\n1 atoms\n1 atom types\n\nAtoms # sphere\n\n"
                 "1 1 1 1 0 0 0\n",
                 6, "atom style 'sphere' is not supported");
    expect_error("vel.data",
                 DATA_HEAD("1") "1 1 0 0 0\n\nVelocities\n\n7 0 0 0\n", 16,
                 "velocity for atom id 7, which is not in the Atoms section");
    expect_error("vel2.data",
                 DATA_HEAD("2") "1 1 0 0 0\n2 1 0 0 0\n\nVelocities\n\n"
                                "1 0 0 0\n1 0 0 0\n",
                 18, "second velocity for atom id 1");
    expect_error("vel3.data",
                 DATA_HEAD("1") "1 1 0 0 0\n\nVelocities\n\n1 0 nan 0\n", 16,
                 "non-finite");
    expect_error("mass.data",
                 "t\n\n1 atoms\n1 atom types\n\nMasses\n\n1 -2\n\nAtoms\n\n"
                 "1 1 0 0 0\n",
                 8, "mass of type 1 is not positive");
    expect_error("section2.data",
                 DATA_HEAD("1") "1 1 0 0 0\n\nAtoms\n\n1 1 0 0 0\n", 14,
                 "second 'Atoms' section");
    expect_error("velfirst.data",
                 "t\n\n1 atoms\n1 atom types\n\nVelocities\n\n1 0 0 0\n", 6,
                 "'Velocities' section before the 'Atoms' section");
    static const char *const cuzrx[] = {"Cu", "Zr", "Al"};
    sf_read_opts o;
    sf_read_opts_init(&o);
    o.elements = cuzrx;
    o.nelements = 3;
    expect_error_opts("nel.data", DATA_HEAD("1") "1 1 0 0 0\n", 0,
                      "elements option names 3 types but the file has 2",
                      &o);
    expect_error("empty.data", "", 0, "empty file");
}

#define XYZ_HEAD(n)                                                           \
    n "\nLattice=\"10 0 0 0 10 0 0 0 10\" Properties=species:S:1:pos:R:3:"    \
      "id:I:1 pbc=\"T T T\"\n"

static void test_xyz(void)
{
    expect_error("trunc.xyz", XYZ_HEAD("3") "Cu 0 0 0 1\nZr 1 1 1 2\n", 4,
                 "frame declares 3 atoms but has only 2");
    expect_error("extra.xyz", XYZ_HEAD("1") "Cu 0 0 0 1\nZr 1 1 1 2\n", 4,
                 "more atom lines than the frame declares");
    expect_error("nocomment.xyz", "1\n", 1, "no comment line");
    expect_error("count.xyz", "three\ncomment\n", 1,
                 "expected the number of atoms");
    expect_error("nonnum.xyz", XYZ_HEAD("1") "Cu 0 zero 0 1\n", 3,
                 "property 'pos': bad number 'zero'");
    expect_error("nan.xyz", XYZ_HEAD("1") "Cu 0 0 nan 1\n", 3,
                 "non-finite number 'nan'");
    expect_error("dup.xyz", XYZ_HEAD("2") "Cu 0 0 0 3\nZr 1 1 1 3\n", 4,
                 "duplicate atom id 3 (also on line 3)");
    expect_error("zeroid.xyz", XYZ_HEAD("1") "Cu 0 0 0 0\n", 3,
                 "non-positive atom id 0");
    expect_error("cols.xyz", XYZ_HEAD("1") "Cu 0 0 0\n", 3,
                 "atom line has 4 columns, Properties lists 5");
    expect_error("props.xyz",
                 "1\nProperties=species:S:1:pos:R\nCu 0 0 0\n", 2,
                 "name:type:columns triples");
    expect_error("props2.xyz",
                 "1\nProperties=species:S:1:pos:Q:3\nCu 0 0 0\n", 2,
                 "has type 'Q'");
    expect_error("nopos.xyz", "1\nProperties=species:S:1:x:R:3\nCu 0 0 0\n",
                 2, "no pos:R:3 column");
    expect_error("lefthanded.xyz",
                 "1\nLattice=\"10 0 0 0 10 0 0 0 -10\"\nCu 0 0 0\n", 2,
                 "left-handed");
    expect_error("flat.xyz", "1\nLattice=\"10 0 0 0 10 0 0 0 0\"\nCu 0 0 0\n",
                 2, "zero volume");
    expect_error("lattice.xyz", "1\nLattice=\"10 0 0 0 10\"\nCu 0 0 0\n", 2,
                 "Lattice: expected 9 numbers, found 5");
    expect_error("quote.xyz", "1\nLattice=\"10 0 0\nCu 0 0 0\n", 2,
                 "unterminated quote");
    expect_error("pbc.xyz", "1\npbc=\"T T T\"\nCu 0 0 0\n", 2,
                 "pbc is true but there is no Lattice");
    expect_error("huge.xyz", "1000000000000000\ncomment\nCu 0 0 0\n", 1,
                 "more than a file");
    static const char *const cuzr[] = {"Cu", "Zr"};
    sf_read_opts o;
    sf_read_opts_init(&o);
    o.elements = cuzr;
    o.nelements = 2;
    expect_error_opts("elem.xyz", XYZ_HEAD("1") "Ni 0 0 0 1\n", 3,
                      "element 'Ni' is not in the elements option", &o);
}

static void test_misc(void)
{
    CHECK(sf_read("/nonexistent/dir/file.dump", NULL) == NULL &&
          strstr(sf_error_message(), "/nonexistent/dir/file.dump: cannot "
                                     "open"));
    const char *p = write_tmp("binary.dump", "ab\0cd", 0);
    FILE *f = fopen(p, "wb");
    fwrite("ab\0cd\n", 1, 6, f);
    fclose(f);
    CHECK(sf_read(p, NULL) == NULL &&
          strstr(sf_error_message(), "not a text file"));
    /* frames beyond the end name the count */
    p = write_tmp("one.dump", DUMP_HEAD("1") "ITEM: ATOMS id type x y z\n"
                                             "1 1 0 0 0\n",
                  0);
    sf_read_opts o;
    sf_read_opts_init(&o);
    o.frame = 5;
    CHECK(sf_read(p, &o) == NULL &&
          strstr(sf_error_message(), "frame 5 requested but the file has "
                                     "only 1 frame"));
}

int main(void)
{
    /* bound the address space: an attempt to allocate for 10^15 atoms
     * would fail loudly instead of silently over-committing */
#if !defined(__SANITIZE_ADDRESS__)
    struct rlimit rl = {(rlim_t)4 << 30, (rlim_t)4 << 30};
    setrlimit(RLIMIT_AS, &rl);
#endif
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sflex_test_io_err_%ld",
             (long)getpid());
    mkdir(tmpdir, 0700);
    test_dump();
    test_data();
    test_xyz();
    test_misc();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        return 1;
    return sf_test_summary();
}
