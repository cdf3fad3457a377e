/* sf_io_read.c - format detection, sf_read, the streaming frame reader,
 * file-name patterns, and the writer entry points. */
#include "sf_io_internal.h"

#include <ctype.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- formats ------------------------------------------------------------- */

static const struct {
    const char *name;
    sf_format f;
} format_names[] = {
    {"dump", SF_FORMAT_DUMP},  {"lammpstrj", SF_FORMAT_DUMP},
    {"data", SF_FORMAT_DATA},  {"lammps-data", SF_FORMAT_DATA},
    {"lmp", SF_FORMAT_DATA},   {"xyz", SF_FORMAT_XYZ},
    {"extxyz", SF_FORMAT_XYZ},
};

const char *sf_format_name(sf_format f)
{
    switch (f) {
    case SF_FORMAT_DUMP:
        return "dump";
    case SF_FORMAT_DATA:
        return "data";
    case SF_FORMAT_XYZ:
        return "xyz";
    default:
        return NULL;
    }
}

sf_format sf_format_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof format_names / sizeof *format_names; i++)
        if (!strcasecmp(name, format_names[i].name))
            return format_names[i].f;
    return SF_FORMAT_AUTO;
}

sf_format sf_format_from_path(const char *path)
{
    static const struct {
        const char *ext;
        sf_format f;
    } exts[] = {
        {".dump", SF_FORMAT_DUMP},   {".lammpstrj", SF_FORMAT_DUMP},
        {".data", SF_FORMAT_DATA},   {".lmp", SF_FORMAT_DATA},
        {".xyz", SF_FORMAT_XYZ},     {".extxyz", SF_FORMAT_XYZ},
    };
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 3 && !strcmp(base + n - 3, ".gz"))
        n -= 3;
    for (size_t i = 0; i < sizeof exts / sizeof *exts; i++) {
        size_t m = strlen(exts[i].ext);
        if (n > m && !strncasecmp(base + n - m, exts[i].ext, m))
            return exts[i].f;
    }
    /* dump.1000, dump.cu.gz: LAMMPS users often name dumps "dump.*" */
    if (!strncmp(base, "dump.", 5) || strstr(base, ".dump."))
        return SF_FORMAT_DUMP;
    return SF_FORMAT_AUTO;
}

static int only_uint(const char *p)
{
    p = sf_io_skip(p);
    if (!isdigit((unsigned char)*p))
        return 0;
    while (isdigit((unsigned char)*p))
        p++;
    return *sf_io_skip(p) == '\0';
}

static sf_format detect_lines(sf_lines *r, const char *path)
{
    char *line;
    size_t len;
    int rc;
    while ((rc = sf_lines_next(r, &line, &len)) == 1) {
        if (memchr(line, '\0', len)) {
            sf_io_error(r, "not a text file (NUL byte)");
            return SF_FORMAT_AUTO;
        }
        if (*sf_io_skip(line))
            break;
    }
    if (rc < 0)
        return SF_FORMAT_AUTO;
    if (rc == 0) {
        sf_error("%s: empty file", path);
        return SF_FORMAT_AUTO;
    }
    if (!strncmp(sf_io_skip(line), "ITEM:", 5))
        return SF_FORMAT_DUMP;
    sf_format ext = sf_format_from_path(path);
    if (only_uint(line) && ext != SF_FORMAT_DATA)
        return SF_FORMAT_XYZ;
    if (ext == SF_FORMAT_XYZ || ext == SF_FORMAT_DUMP)
        return ext; /* the reader will say what is wrong */
    return SF_FORMAT_DATA;
}

sf_format sf_format_detect(const char *path)
{
    sf_lines *r = sf_lines_open(path);
    if (!r)
        return SF_FORMAT_AUTO;
    sf_format f = detect_lines(r, path);
    sf_lines_close(r);
    return f;
}

void sf_read_opts_init(sf_read_opts *o)
{
    memset(o, 0, sizeof *o);
    o->frame = 0;
    o->format = SF_FORMAT_AUTO;
}

/* ---- streaming reader ----------------------------------------------------- */

struct sf_dump_reader {
    sf_lines *r;
    sf_format format;
    sf_species sp;
    sf_read_opts opts; /* atom_style copied below */
    char *atom_style;
    long long frames;
    int done;
};

sf_dump_reader *sf_dump_open(const char *path, const sf_read_opts *opts)
{
    sf_read_opts dflt;
    if (!opts) {
        sf_read_opts_init(&dflt);
        opts = &dflt;
    }
    sf_dump_reader *d = sf_calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->opts = *opts;
    d->opts.elements = NULL; /* copied into sp */
    if (opts->atom_style && !(d->atom_style = sf_strdup(opts->atom_style)))
        goto fail;
    d->opts.atom_style = d->atom_style;
    if (sf_species_init(&d->sp, opts)) {
        sf_error_prefix("%s", path);
        goto fail;
    }
    if (!(d->r = sf_lines_open(path)))
        goto fail;
    d->format = opts->format;
    if (d->format == SF_FORMAT_AUTO) {
        if ((d->format = detect_lines(d->r, path)) == SF_FORMAT_AUTO)
            goto fail;
        if (sf_lines_seek(d->r, 0, 0))
            goto fail;
    }
    return d;
fail:
    sf_dump_close(d);
    return NULL;
}

void sf_dump_close(sf_dump_reader *d)
{
    if (!d)
        return;
    sf_lines_close(d->r);
    if (d->sp.names)
        sf_species_free(&d->sp);
    free(d->atom_style);
    free(d);
}

const char *sf_dump_path(const sf_dump_reader *d) { return sf_lines_path(d->r); }
long long sf_dump_frames(const sf_dump_reader *d) { return d->frames; }

static int next_frame(sf_dump_reader *d, sf_atoms **out, int skip)
{
    if (d->done)
        return 0;
    sf_atoms *a = NULL;
    int rc;
    switch (d->format) {
    case SF_FORMAT_DUMP:
        rc = sf_dump_read_frame(d->r, &d->sp, skip ? NULL : &a, skip);
        break;
    case SF_FORMAT_XYZ:
        rc = sf_xyz_read_frame(d->r, &d->sp, skip ? NULL : &a, skip);
        break;
    case SF_FORMAT_DATA:
        /* one configuration; skipping it still checks it */
        rc = sf_data_read(d->r, &d->sp, &d->opts, &a);
        d->done = 1;
        if (rc == 1 && skip) {
            sf_atoms_free(a);
            a = NULL;
        }
        break;
    default:
        return sf_error("%s: unknown format", sf_lines_path(d->r));
    }
    if (rc == 1) {
        d->frames++;
        if (!skip)
            *out = a;
    } else if (rc == 0) {
        d->done = 1;
    }
    return rc;
}

int sf_dump_next(sf_dump_reader *d, sf_atoms **out)
{
    *out = NULL;
    return next_frame(d, out, 0);
}

int sf_dump_skip(sf_dump_reader *d) { return next_frame(d, NULL, 1); }

/* ---- sf_read ----------------------------------------------------------------- */

/* After the frame sf_read returns: what follows must be the end of the file
 * or the start of another frame.  Catches more atom lines than declared. */
static int check_frame_end(sf_dump_reader *d)
{
    if (d->format == SF_FORMAT_DATA)
        return SF_OK; /* the data reader reads to the end itself */
    char *line;
    int rc;
    while ((rc = sf_lines_next(d->r, &line, NULL)) == 1)
        if (*sf_io_skip(line))
            break;
    if (rc <= 0)
        return rc < 0 ? SF_ERR : SF_OK;
    const char *p = sf_io_skip(line);
    if (d->format == SF_FORMAT_DUMP ? strncmp(p, "ITEM:", 5) == 0
                                    : only_uint(p))
        return SF_OK;
    return sf_io_error(d->r, "unexpected '%.40s' after the last atom of the "
                             "frame (more atom lines than the frame "
                             "declares?)",
                       p);
}

sf_atoms *sf_read(const char *path, const sf_read_opts *opts)
{
    sf_dump_reader *d = sf_dump_open(path, opts);
    if (!d)
        return NULL;
    long long frame = opts ? opts->frame : 0;
    sf_atoms *a = NULL;
    int rc;
    if (frame >= 0) {
        for (long long k = 0; k < frame; k++) {
            rc = sf_dump_skip(d);
            if (rc < 0)
                goto done;
            if (rc == 0) {
                sf_error("%s: frame %lld requested but the file has only %lld "
                         "frame%s",
                         path, frame, k, k == 1 ? "" : "s");
                goto done;
            }
        }
    } else if (d->format == SF_FORMAT_DATA) {
        if (frame != -1) {
            sf_error("%s: frame %lld requested but a data file has one frame",
                     path, frame);
            goto done;
        }
    } else {
        /* Remember where each frame starts, skip to the end, seek back.
         * (Skipping does not parse atom lines, so this is cheap.) */
        size_t cap = 64, n = 0;
        int64_t *off = sf_malloc(cap * sizeof *off);
        long long *line = sf_malloc(cap * sizeof *line);
        if (!off || !line) {
            free(off);
            free(line);
            goto done;
        }
        for (;;) {
            if (n == cap) {
                cap *= 2;
                int64_t *no = sf_realloc(off, cap * sizeof *off);
                if (no)
                    off = no;
                long long *nl = no ? sf_realloc(line, cap * sizeof *line) : NULL;
                if (nl)
                    line = nl;
                if (!no || !nl) {
                    free(off);
                    free(line);
                    goto done;
                }
            }
            off[n] = sf_lines_tell(d->r);
            line[n] = sf_lines_lineno(d->r);
            rc = sf_dump_skip(d);
            if (rc < 0) {
                free(off);
                free(line);
                goto done;
            }
            if (rc == 0)
                break;
            n++;
        }
        if ((long long)n < -frame) {
            sf_error("%s: frame %lld (from the end) requested but the file has "
                     "only %zu frame%s",
                     path, frame, n, n == 1 ? "" : "s");
            free(off);
            free(line);
            goto done;
        }
        size_t k = n + (size_t)frame; /* frame < 0 */
        rc = sf_lines_seek(d->r, off[k], line[k]);
        free(off);
        free(line);
        if (rc)
            goto done;
        d->done = 0;
    }
    rc = sf_dump_next(d, &a);
    if (rc == 1 && check_frame_end(d)) {
        sf_atoms_free(a);
        a = NULL;
        goto done;
    }
    if (rc == 0)
        sf_error("%s: frame %lld requested but the file has only %lld "
                 "frame%s",
                 path, frame, sf_dump_frames(d),
                 sf_dump_frames(d) == 1 ? "" : "s");
    if (rc != 1) {
        sf_atoms_free(a);
        a = NULL;
    }
done:
    sf_dump_close(d);
    return a;
}

/* ---- file-name patterns --------------------------------------------------------- */

/* Compare with embedded digit runs by value: dump.9 < dump.10. */
static int natural_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            const char *a0 = a, *b0 = b;
            while (*a0 == '0' && isdigit((unsigned char)a0[1]))
                a0++;
            while (*b0 == '0' && isdigit((unsigned char)b0[1]))
                b0++;
            const char *a1 = a0, *b1 = b0;
            while (isdigit((unsigned char)*a1))
                a1++;
            while (isdigit((unsigned char)*b1))
                b1++;
            size_t la = (size_t)(a1 - a0), lb = (size_t)(b1 - b0);
            if (la != lb)
                return la < lb ? -1 : 1;
            int c = strncmp(a0, b0, la);
            if (c)
                return c;
            a = a1;
            b = b1;
        } else {
            if (*a != *b)
                return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
            a++;
            b++;
        }
    }
    return *a ? 1 : *b ? -1 : 0;
}

static int natural_qsort(const void *x, const void *y)
{
    const char *a = *(const char *const *)x, *b = *(const char *const *)y;
    int c = natural_cmp(a, b);
    return c ? c : strcmp(a, b);
}

void sf_io_free_paths(char **paths)
{
    if (!paths)
        return;
    for (char **p = paths; *p; p++)
        free(*p);
    free(paths);
}

char **sf_io_expand(const char *pattern, size_t *count)
{
    char **out;
    size_t n = 0;
    if (!strpbrk(pattern, "*?[")) {
        out = sf_calloc(2, sizeof *out);
        if (!out || !(out[0] = sf_strdup(pattern))) {
            free(out);
            return NULL;
        }
        n = 1;
    } else {
        glob_t g;
        int rc = glob(pattern, 0, NULL, &g);
        if (rc == GLOB_NOMATCH) {
            sf_error("%s: no file matches", pattern);
            return NULL;
        }
        if (rc != 0) {
            sf_error("%s: cannot expand the pattern", pattern);
            return NULL;
        }
        out = sf_calloc(g.gl_pathc + 1, sizeof *out);
        if (!out) {
            globfree(&g);
            return NULL;
        }
        for (size_t i = 0; i < g.gl_pathc; i++)
            if (!(out[n++] = sf_strdup(g.gl_pathv[i]))) {
                globfree(&g);
                sf_io_free_paths(out);
                return NULL;
            }
        globfree(&g);
        qsort(out, n, sizeof *out, natural_qsort);
    }
    if (count)
        *count = n;
    return out;
}

/* ---- writing -------------------------------------------------------------------- */

struct sf_writer {
    sf_out *o;
    sf_format format;
    long long frames;
};

static int check_atoms(const char *path, const sf_atoms *a)
{
    if (!a)
        return sf_error("%s: no atoms to write", path);
    for (size_t i = 0; i < a->n; i++)
        if (a->type[i] < 1 || a->type[i] > a->ntypes)
            return sf_error("%s: atom id %lld has type %d out of range 1..%d",
                            path, (long long)a->id[i], a->type[i], a->ntypes);
    return SF_OK;
}

sf_writer *sf_writer_open(const char *path, sf_format format)
{
    if (format == SF_FORMAT_AUTO)
        format = sf_format_from_path(path);
    if (format != SF_FORMAT_DUMP && format != SF_FORMAT_XYZ &&
        format != SF_FORMAT_DATA) {
        sf_error("%s: cannot tell the format from the file name (use .dump, "
                 ".lammpstrj, .data, .lmp, .xyz or .extxyz, or give a format)",
                 path);
        return NULL;
    }
    sf_writer *w = sf_calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->format = format;
    if (!(w->o = sf_out_open(path))) {
        free(w);
        return NULL;
    }
    return w;
}

int sf_writer_frame(sf_writer *w, const sf_atoms *a, const char *const *columns)
{
    const char *path = sf_out_path(w->o);
    if (check_atoms(path, a))
        return SF_ERR;
    switch (w->format) {
    case SF_FORMAT_DUMP:
        break;
    case SF_FORMAT_XYZ:
        if (columns)
            return sf_error("%s: column selection is for dumps only", path);
        break;
    default:
        if (columns)
            return sf_error("%s: column selection is for dumps only", path);
        if (w->frames)
            return sf_error("%s: a data file holds one configuration", path);
        break;
    }
    int rc = w->format == SF_FORMAT_DUMP ? sf_dump_write_frame(w->o, a, columns)
             : w->format == SF_FORMAT_XYZ ? sf_xyz_write_frame(w->o, a)
                                          : sf_data_write_out(w->o, a);
    if (rc == SF_OK)
        w->frames++;
    return rc;
}

int sf_writer_commit(sf_writer *w)
{
    int rc = sf_out_commit(w->o);
    free(w);
    return rc;
}

void sf_writer_abort(sf_writer *w)
{
    if (!w)
        return;
    sf_out_abort(w->o);
    free(w);
}

int sf_write(const char *path, const sf_atoms *a, sf_format format,
             const char *const *columns)
{
    sf_writer *w = sf_writer_open(path, format);
    if (!w)
        return SF_ERR;
    if (sf_writer_frame(w, a, columns)) {
        sf_writer_abort(w);
        return SF_ERR;
    }
    return sf_writer_commit(w);
}

int sf_write_dump(const char *path, const sf_atoms *a,
                  const char *const *columns)
{
    return sf_write(path, a, SF_FORMAT_DUMP, columns);
}

int sf_write_data(const char *path, const sf_atoms *a)
{
    return sf_write(path, a, SF_FORMAT_DATA, NULL);
}

int sf_write_xyz(const char *path, const sf_atoms *a)
{
    return sf_write(path, a, SF_FORMAT_XYZ, NULL);
}
