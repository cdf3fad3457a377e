/* sf_io.h - reading and writing atomic configurations.
 *
 * Formats: LAMMPS text dumps (ITEM: ...; plain or gzip, one or many frames),
 * LAMMPS data files (atomic, charge, bond/angle/molecular and full styles),
 * and extended XYZ (as written by ASE and OVITO).  See doc/formats.md.
 *
 * Every reader reports problems as "path:line: problem" through sf_error and
 * returns SF_ERR / NULL; nothing is printed.  Writers write to a temporary
 * file next to the target and rename() it over the target only when the whole
 * file was written, so a failed write never leaves a partial output file.
 * A path ending in ".gz" is written gzip-compressed; reading detects gzip by
 * content.  Numbers are written so that they read back bit for bit, and the
 * same configuration always gives the same bytes. */
#ifndef SF_IO_H
#define SF_IO_H

#include <stddef.h>
#include <stdint.h>

#include "sf_atoms.h"

/* ---- formats ------------------------------------------------------------- */
typedef enum sf_format {
    SF_FORMAT_AUTO = 0, /* detect from content (and extension) */
    SF_FORMAT_DUMP,     /* LAMMPS text dump */
    SF_FORMAT_DATA,     /* LAMMPS data file */
    SF_FORMAT_XYZ       /* (extended) XYZ */
} sf_format;

/* "dump", "data", "xyz" (NULL for SF_FORMAT_AUTO). */
const char *sf_format_name(sf_format f);
/* Inverse of sf_format_name; also accepts "lammpstrj", "lammps-data",
 * "extxyz".  Returns SF_FORMAT_AUTO for an unknown name. */
sf_format sf_format_from_name(const char *name);
/* Format implied by a file name (".dump", ".lammpstrj", ".data", ".lmp",
 * ".xyz", ".extxyz", each optionally followed by ".gz"); AUTO if none. */
sf_format sf_format_from_path(const char *path);
/* Detect a file's format from its first lines (falls back to the
 * extension).  Returns SF_FORMAT_AUTO and sets an error on failure. */
sf_format sf_format_detect(const char *path);

/* ---- reading ------------------------------------------------------------- */
#define SF_FRAME_LAST (-1)

typedef struct sf_read_opts {
    /* Names of types 1..nelements, the way LAMMPS pair_coeff maps them
     * ("Cu Zr": type 1 is Cu).  For files that name species (dump element
     * column, XYZ species) the names select the type numbers. */
    const char *const *elements;
    int nelements;
    /* Frame of a multi-frame file: 0-based; negative counts from the end
     * (SF_FRAME_LAST = -1 is the last frame). */
    long long frame;
    sf_format format;       /* SF_FORMAT_AUTO: detect */
    const char *atom_style; /* data files whose Atoms line names no style:
                               "atomic" (default), "charge", "bond",
                               "angle", "molecular", "full" */
} sf_read_opts;

/* Defaults: no element names, first frame, detect format, atomic style. */
void sf_read_opts_init(sf_read_opts *o);

/* Read one configuration.  opts may be NULL.  Returns NULL and sets an
 * error ("path:line: problem") on failure. */
sf_atoms *sf_read(const char *path, const sf_read_opts *opts);

/* Streaming reader over the frames of a file: constant memory whatever the
 * number of frames.  Works for dumps and (multi-frame) XYZ; a data file has
 * one frame. */
typedef struct sf_dump_reader sf_dump_reader;

sf_dump_reader *sf_dump_open(const char *path, const sf_read_opts *opts);
/* Next frame into *out (caller frees it with sf_atoms_free).
 * Returns 1 (a frame), 0 (end of file) or SF_ERR. */
int sf_dump_next(sf_dump_reader *r, sf_atoms **out);
/* Skip the next frame without parsing its atom lines (the lines must exist).
 * Returns 1, 0 (end of file) or SF_ERR. */
int sf_dump_skip(sf_dump_reader *r);
/* Number of frames returned or skipped so far. */
long long sf_dump_frames(const sf_dump_reader *r);
const char *sf_dump_path(const sf_dump_reader *r);
void sf_dump_close(sf_dump_reader *r);

/* Expand a file-name pattern with * ? [..] into the matching paths, sorted
 * so that embedded numbers compare by value (dump.9.gz before dump.10.gz).
 * A path without pattern characters expands to itself.  Returns a
 * NULL-terminated array (free with sf_io_free_paths); NULL + error if
 * nothing matches. */
char **sf_io_expand(const char *pattern, size_t *count);
void sf_io_free_paths(char **paths);

/* ---- writing ------------------------------------------------------------- */
/* Write a LAMMPS text dump (one frame).  columns: NULL-terminated list of
 * column names, or NULL for the default "id type [element] x y z [ix iy iz]
 * [vx vy vz] [every named column]".  Known names: id type element mass
 * x y z xs ys zs xu yu zu xsu ysu zsu ix iy iz vx vy vz; any other name must
 * be a named per-atom column of the atoms. */
int sf_write_dump(const char *path, const sf_atoms *a,
                  const char *const *columns);
/* Write a LAMMPS data file, atom style atomic (image flags and a Velocities
 * section when the atoms have them; species names as Masses comments). */
int sf_write_data(const char *path, const sf_atoms *a);
/* Write extended XYZ: Lattice, Origin (when not zero), pbc, Time,
 * Properties=species:S:1:pos:R:3:id:I:1[:velo:R:3][:image:I:3][:col:R:1..]. */
int sf_write_xyz(const char *path, const sf_atoms *a);
/* Dispatch on format (SF_FORMAT_AUTO: from the extension). */
int sf_write(const char *path, const sf_atoms *a, sf_format format,
             const char *const *columns);

/* Append one frame to an open multi-frame output (dump or xyz): open with
 * sf_writer_open, add frames, then sf_writer_commit (renames into place) or
 * sf_writer_abort (removes the temporary file). */
typedef struct sf_writer sf_writer;
sf_writer *sf_writer_open(const char *path, sf_format format);
int sf_writer_frame(sf_writer *w, const sf_atoms *a,
                    const char *const *columns);
int sf_writer_commit(sf_writer *w);
void sf_writer_abort(sf_writer *w);

/* ---- low-level pieces (used by the readers; exposed for tests) ------------ */
/* Line reader over plain or gzip files.  Lines are returned without the
 * newline (and without a trailing '\r'); the pointer stays valid until the
 * next call.  A truncated or corrupt gzip stream is an error, not EOF. */
typedef struct sf_lines sf_lines;

sf_lines *sf_lines_open(const char *path);
/* Next line into *line (length in *len if not NULL): 1 line, 0 EOF, SF_ERR. */
int sf_lines_next(sf_lines *r, char **line, size_t *len);
/* Line number of the last line returned (1-based). */
long long sf_lines_lineno(const sf_lines *r);
const char *sf_lines_path(const sf_lines *r);
/* Byte offset (uncompressed) of the next line, and a seek back to such an
 * offset (with the line number it had). */
int64_t sf_lines_tell(const sf_lines *r);
int sf_lines_seek(sf_lines *r, int64_t offset, long long lineno);
/* Size of the file on disk (compressed size for gzip). */
int64_t sf_lines_file_size(const sf_lines *r);
int sf_lines_is_gzip(const sf_lines *r);
void sf_lines_close(sf_lines *r);

/* Locale-independent number parsing.  Accepts [+-]digits[.digits][(e|E|d|D)
 * [+-]digits] and the Fortran form 1.5-100; rejects nan/inf/hex.  *end is
 * set to the first character after the number.  Returns SF_OK, or SF_ERR
 * with a message ("bad number 'x'" / "number out of range 'x'") that the
 * caller prefixes with file and line. */
int sf_parse_double(const char *s, const char **end, double *out);
int sf_parse_int64(const char *s, const char **end, int64_t *out);
/* Shortest of %.15g/%.16g/%.17g that reads back exactly; returns length.
 * buf needs 32 bytes. */
int sf_format_double(char *buf, double v);

#endif
