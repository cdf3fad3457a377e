/* sf_io_internal.h - pieces shared by the sf_io_*.c readers and writers.
 * Not part of the public API (see sf_io.h). */
#ifndef SF_IO_INTERNAL_H
#define SF_IO_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "sf_atoms.h"
#include "sf_error.h"
#include "sf_io.h"

/* Largest atom count any reader accepts (sf_atoms_new's own limit). */
#define SF_IO_MAX_ATOMS ((int64_t)1 << 40)

/* "path:line: message" (line <= 0: "path: message"); returns SF_ERR. */
int sf_io_error(const sf_lines *r, const char *fmt, ...) SF_PRINTF(2, 3);
/* Prefix the current sf_error message with "path:line: ". */
int sf_io_error_here(const sf_lines *r);

/* ---- tokenizing --------------------------------------------------------- */
static inline int sf_io_isspace(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}
static inline const char *sf_io_skip(const char *p)
{
    while (sf_io_isspace(*p))
        p++;
    return p;
}
static inline const char *sf_io_token_end(const char *p)
{
    while (*p && !sf_io_isspace(*p))
        p++;
    return p;
}
/* Split s in place into at most max whitespace-separated tokens; returns
 * the count (max + 1 if there were more). */
int sf_io_split(char *s, char **tok, int max);
/* Truncate a line at the first '#' (data-file comments); returns the
 * comment text after '#' or NULL. */
char *sf_io_strip_comment(char *line);
/* Parse a whole token as a number/integer: it must end at white space or
 * the end of the string.  On error the message names the token. */
int sf_io_double(const char *p, const char **end, double *out);
int sf_io_int64(const char *p, const char **end, int64_t *out);
/* Upper bound on the atoms a file of this size can hold with lines of at
 * least `minbytes` bytes each (gzip: times the deflate ratio bound). */
int64_t sf_io_max_atoms(const sf_lines *r, int minbytes);

/* ---- species names -> types ---------------------------------------------- */
typedef struct sf_species {
    int ntypes;      /* types named or numbered so far */
    int fixed;       /* names come from the elements option: no new ones */
    char **names;    /* SF_MAX_TYPES entries (NULL: unnamed) */
    int last;        /* cache: type of the last lookup */
} sf_species;

int sf_species_init(sf_species *s, const sf_read_opts *o);
void sf_species_free(sf_species *s);
/* Type of name[0..len): existing, or a new type when not fixed.  Returns 0
 * and sets an error when the name is unknown and fixed. */
int sf_species_type(sf_species *s, const char *name, size_t len);
/* Name type t (1-based) unless it already has a name; error if it has a
 * different one. */
int sf_species_name(sf_species *s, int t, const char *name, size_t len);
/* Install names for types 1..a->ntypes into a. */
int sf_species_apply(const sf_species *s, sf_atoms *a);

/* ---- growing per-atom arrays ----------------------------------------------- */
typedef struct sf_build {
    size_t n, cap, expect;
    int64_t *id;
    int32_t *type;
    double *x;
    double *v;        /* when has_v */
    int32_t *image;   /* when has_image */
    int has_v, has_image;
    size_t ncols;
    char **names;     /* ncols names (owned) */
    double **cols;    /* ncols arrays */
} sf_build;

int sf_build_init(sf_build *b, size_t expect, int has_v, int has_image);
/* Add a named column; returns its index or SF_ERR. */
int sf_build_column(sf_build *b, const char *name);
/* Make room for atom index b->n (grows geometrically up to expect). */
int sf_build_grow(sf_build *b);
static inline int sf_build_reserve(sf_build *b)
{
    return b->n < b->cap ? SF_OK : sf_build_grow(b);
}
/* Move the arrays into a new sf_atoms with ntypes types (b is emptied). */
sf_atoms *sf_build_finish(sf_build *b, int ntypes);
void sf_build_free(sf_build *b);

/* Check ids of a (read from consecutive lines starting at first_line) for
 * non-positive and duplicate values, naming lines. */
int sf_io_check_ids(const sf_lines *r, const sf_atoms *a, long long first_line);

/* ---- format-specific frame readers (used by sf_dump_reader) ----------------- */
/* Each returns 1 (a frame; *out set unless skip), 0 (clean end of file:
 * no more frames) or SF_ERR.  sp persists across the frames of a file so
 * that names keep their type numbers. */
int sf_dump_read_frame(sf_lines *r, sf_species *sp, sf_atoms **out, int skip);
int sf_xyz_read_frame(sf_lines *r, sf_species *sp, sf_atoms **out, int skip);
int sf_data_read(sf_lines *r, sf_species *sp, const sf_read_opts *o,
                 sf_atoms **out);

/* ---- output: temp file + rename ------------------------------------------- */
typedef struct sf_out sf_out;

sf_out *sf_out_open(const char *path);
int sf_out_write(sf_out *o, const char *s, size_t n);
int sf_out_puts(sf_out *o, const char *s);
int sf_out_printf(sf_out *o, const char *fmt, ...) SF_PRINTF(2, 3);
/* Append a number (sf_format_double) / an integer. */
int sf_out_double(sf_out *o, double v);
int sf_out_int(sf_out *o, long long v);
int sf_out_char(sf_out *o, char c);
/* Flush, close and rename over the target.  Frees o. */
int sf_out_commit(sf_out *o);
/* Remove the temporary file.  Frees o.  Safe with NULL. */
void sf_out_abort(sf_out *o);
const char *sf_out_path(const sf_out *o);

/* Dump/XYZ frame writers onto an open output. */
int sf_dump_write_frame(sf_out *o, const sf_atoms *a,
                        const char *const *columns);
int sf_xyz_write_frame(sf_out *o, const sf_atoms *a);
int sf_data_write_out(sf_out *o, const sf_atoms *a);

/* Box bounds that read back exactly: choose the bounds such that the
 * reader's arithmetic reproduces box->lo and box->len bit for bit whenever
 * such doubles exist.  dump != 0: the tilted "BOX BOUNDS" of a dump
 * (lo - min(0,xy,xz,xy+xz) ...); 0: plain xlo xhi of a data file. */
void sf_io_exact_bounds(const sf_box *box, int dump, double lo_bound[3],
                        double hi_bound[3]);

#endif
