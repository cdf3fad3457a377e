/* sf_io_dump.c - LAMMPS text dump frames: reader and writer.
 *
 * A frame is a run of "ITEM: <keyword>" blocks (UNITS, TIME, TIMESTEP,
 * NUMBER OF ATOMS, BOX BOUNDS) ended by "ITEM: ATOMS <columns>" and one line
 * per atom.  Columns are matched by name, in any order. */
#include "sf_io_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { K_COL, K_ID, K_TYPE, K_ELEMENT, K_POS, K_IMG, K_VEL, K_MASS };

/* coordinate kinds, in order of preference when several are present */
enum { C_WRAPPED, C_SCALED, C_UNWRAPPED, C_SCALED_UNWRAPPED, C_NKINDS };
static const char *const coord_names[C_NKINDS][3] = {
    {"x", "y", "z"}, {"xs", "ys", "zs"}, {"xu", "yu", "zu"},
    {"xsu", "ysu", "zsu"}};
static const char *const image_names[3] = {"ix", "iy", "iz"};
static const char *const vel_names[3] = {"vx", "vy", "vz"};

typedef struct colspec {
    int kind, axis, col;
} colspec;

#define MAX_COLUMNS 100000

static int col_index(char *const *tok, int nc, const char *name)
{
    for (int i = 0; i < nc; i++)
        if (strcmp(tok[i], name) == 0)
            return i;
    return -1;
}

static int starts(const char *s, const char *word)
{
    size_t n = strlen(word);
    return strncmp(s, word, n) == 0 && (s[n] == '\0' || sf_io_isspace(s[n]));
}

/* The line after an ITEM line (its value). */
static int value_line(sf_lines *r, const char *item, char **line)
{
    int rc = sf_lines_next(r, line, NULL);
    if (rc < 0)
        return SF_ERR;
    if (rc == 0)
        return sf_io_error(r, "unexpected end of file: no value after "
                              "'ITEM: %s'", item);
    return SF_OK;
}

static int one_int(sf_lines *r, const char *line, const char *item,
                   int64_t *v)
{
    const char *p = sf_io_skip(line), *e;
    if (sf_io_int64(p, &e, v))
        return sf_io_error_here(r);
    if (*sf_io_skip(e))
        return sf_io_error(r, "extra text after the value of 'ITEM: %s'",
                           item);
    return SF_OK;
}

typedef struct header {
    int64_t timestep, natoms;
    double time;
    int have_n, have_box;
    sf_box box;
} header;

static int parse_box(sf_lines *r, char *flags, header *h)
{
    char *tok[16];
    int nt = sf_io_split(flags, tok, 15);
    int tri = 0, k0 = 0;
    if (nt >= 3 && strcmp(tok[0], "xy") == 0 && strcmp(tok[1], "xz") == 0 &&
        strcmp(tok[2], "yz") == 0) {
        tri = 1;
        k0 = 3;
    } else if (nt >= 1 && (strcmp(tok[0], "abc") == 0 ||
                           strcmp(tok[0], "origin") == 0)) {
        return sf_io_error(r, "general triclinic box ('BOX BOUNDS abc "
                              "origin') is not supported; dump with a "
                              "restricted triclinic box");
    }
    int periodic[3] = {1, 1, 1};
    if (nt > 15 || nt - k0 > 3)
        return sf_io_error(r, "too many words after 'ITEM: BOX BOUNDS'");
    for (int k = 0; k < nt - k0; k++) {
        const char *f = tok[k0 + k];
        size_t n = strlen(f);
        if (n < 1 || n > 2 || !strchr("pfsm", f[0]) ||
            (n == 2 && !strchr("pfsm", f[1])))
            return sf_io_error(r, "bad boundary flag '%s' in 'ITEM: BOX "
                                  "BOUNDS'", f);
        periodic[k] = f[0] == 'p';
    }
    double lo[3], hi[3], tilt[3] = {0, 0, 0};
    static const char axis[] = "xyz";
    for (int k = 0; k < 3; k++) {
        char *line;
        if (value_line(r, "BOX BOUNDS", &line))
            return SF_ERR;
        const char *p = sf_io_skip(line), *e;
        if (sf_io_double(p, &e, &lo[k]) ||
            sf_io_double(sf_io_skip(e), &e, &hi[k]) ||
            (tri && sf_io_double(sf_io_skip(e), &e, &tilt[k])))
            return sf_error_prefix("%s:%lld: box bounds along %c",
                                   sf_lines_path(r), sf_lines_lineno(r),
                                   axis[k]);
        if (*sf_io_skip(e))
            return sf_io_error(r, "box bounds along %c: expected %d numbers",
                               axis[k], tri ? 3 : 2);
    }
    double xy = tilt[0], xz = tilt[1], yz = tilt[2];
    if (tri) {
        /* the dump gives the bounding box of the tilted cell */
        lo[0] -= fmin(fmin(0.0, xy), fmin(xz, xy + xz));
        hi[0] -= fmax(fmax(0.0, xy), fmax(xz, xy + xz));
        lo[1] -= fmin(0.0, yz);
        hi[1] -= fmax(0.0, yz);
    }
    if (sf_box_init(&h->box, lo, hi, xy, xz, yz))
        return sf_io_error_here(r);
    for (int k = 0; k < 3; k++)
        h->box.periodic[k] = periodic[k];
    h->have_box = 1;
    return SF_OK;
}

/* Read the ITEM blocks up to ITEM: ATOMS.  Returns 1 with *cols pointing at
 * the column names (inside the current line), 0 at a clean end of file. */
static int read_header(sf_lines *r, header *h, char **cols)
{
    memset(h, 0, sizeof *h);
    h->time = NAN;
    int started = 0;
    for (;;) {
        char *line;
        int rc = sf_lines_next(r, &line, NULL);
        if (rc < 0)
            return SF_ERR;
        if (rc == 0) {
            if (!started)
                return 0;
            return sf_io_error(r, "unexpected end of file in a frame header "
                                  "(no 'ITEM: ATOMS' line)");
        }
        const char *p = sf_io_skip(line);
        if (!*p)
            continue; /* blank lines between frames */
        if (strncmp(p, "ITEM:", 5) != 0)
            return sf_io_error(r, "expected an 'ITEM:' line, found '%.40s'%s",
                               p,
                               started || sf_lines_lineno(r) == 1
                                   ? ""
                                   : " (more atom lines than the frame "
                                     "declares?)");
        started = 1;
        p = sf_io_skip(p + 5);
        if (starts(p, "TIMESTEP")) {
            if (value_line(r, "TIMESTEP", &line) ||
                one_int(r, line, "TIMESTEP", &h->timestep))
                return SF_ERR;
        } else if (starts(p, "UNITS")) {
            if (value_line(r, "UNITS", &line))
                return SF_ERR;
        } else if (starts(p, "TIME")) {
            if (value_line(r, "TIME", &line))
                return SF_ERR;
            const char *q = sf_io_skip(line), *e;
            if (sf_io_double(q, &e, &h->time))
                return sf_io_error_here(r);
        } else if (starts(p, "NUMBER OF ATOMS")) {
            if (value_line(r, "NUMBER OF ATOMS", &line) ||
                one_int(r, line, "NUMBER OF ATOMS", &h->natoms))
                return SF_ERR;
            if (h->natoms < 0)
                return sf_io_error(r, "negative number of atoms %lld",
                                   (long long)h->natoms);
            if (h->natoms > sf_io_max_atoms(r, 2))
                return sf_io_error(r, "frame declares %lld atoms, more than "
                                      "a file of %lld bytes can hold",
                                   (long long)h->natoms,
                                   (long long)sf_lines_file_size(r));
            if (h->natoms > SF_IO_MAX_ATOMS)
                return sf_io_error(r, "number of atoms %lld is too large",
                                   (long long)h->natoms);
            h->have_n = 1;
        } else if (starts(p, "BOX BOUNDS")) {
            if (parse_box(r, (char *)p + strlen("BOX BOUNDS"), h))
                return SF_ERR;
        } else if (starts(p, "ATOMS")) {
            if (!h->have_n)
                return sf_io_error(r, "'ITEM: ATOMS' before 'ITEM: NUMBER OF "
                                      "ATOMS'");
            if (!h->have_box)
                return sf_io_error(r, "'ITEM: ATOMS' before 'ITEM: BOX "
                                      "BOUNDS'");
            *cols = (char *)p + strlen("ATOMS");
            return 1;
        } else {
            return sf_io_error(r, "unknown item 'ITEM: %.40s' (not a "
                                  "per-atom LAMMPS text dump?)", p);
        }
    }
}

static int is_item(const char *line)
{
    const char *p = sf_io_skip(line);
    return strncmp(p, "ITEM:", 5) == 0;
}

static int short_frame(sf_lines *r, int64_t want, int64_t got)
{
    return sf_io_error(r, "frame declares %lld atoms but has only %lld atom "
                          "lines",
                       (long long)want, (long long)got);
}

static int skip_atoms(sf_lines *r, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        char *line;
        int rc = sf_lines_next(r, &line, NULL);
        if (rc < 0)
            return SF_ERR;
        if (rc == 0)
            return sf_io_error(r, "unexpected end of file: frame declares "
                                  "%lld atoms but has only %lld atom lines",
                               (long long)n, (long long)i);
        if (is_item(line))
            return short_frame(r, n, i);
    }
    return SF_OK;
}

int sf_dump_read_frame(sf_lines *r, sf_species *sp, sf_atoms **out, int skip)
{
    header h;
    char *colstr = NULL;
    int rc = read_header(r, &h, &colstr);
    if (rc <= 0)
        return rc;
    const char *path = sf_lines_path(r);
    long long hdr_line = sf_lines_lineno(r);

    /* ---- columns ---- */
    char *copy = sf_strdup(colstr);
    if (!copy)
        return SF_ERR;
    int cap = 64, nc = 0;
    char **tok = sf_malloc((size_t)cap * sizeof *tok);
    colspec *cs = NULL;
    sf_build b;
    sf_build_init(&b, 0, 0, 0);
    if (!tok)
        goto fail;
    for (char *p = copy;;) {
        p = (char *)sf_io_skip(p);
        if (!*p)
            break;
        if (nc == cap) {
            if (cap >= MAX_COLUMNS) {
                sf_io_error(r, "more than %d columns", MAX_COLUMNS);
                goto fail;
            }
            char **nt = sf_realloc(tok, (size_t)(cap *= 2) * sizeof *tok);
            if (!nt)
                goto fail;
            tok = nt;
        }
        tok[nc++] = p;
        p = (char *)sf_io_token_end(p);
        if (*p)
            *p++ = '\0';
    }
    if (nc == 0) {
        sf_io_error(r, "'ITEM: ATOMS' lists no columns");
        goto fail;
    }
    for (int i = 0; i < nc; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(tok[i], tok[j]) == 0) {
                sf_io_error(r, "column '%s' appears twice", tok[i]);
                goto fail;
            }
    int kind = -1;
    for (int k = 0; k < C_NKINDS && kind < 0; k++)
        if (col_index(tok, nc, coord_names[k][0]) >= 0 && col_index(tok, nc, coord_names[k][1]) >= 0 &&
            col_index(tok, nc, coord_names[k][2]) >= 0)
            kind = k;
    if (kind < 0) {
        sf_io_error(r, "missing coordinate columns: need x y z, xs ys zs, "
                       "xu yu zu or xsu ysu zsu");
        goto fail;
    }
    int has_img = col_index(tok, nc, "ix") >= 0 && col_index(tok, nc, "iy") >= 0 && col_index(tok, nc, "iz") >= 0;
    int has_vel = col_index(tok, nc, "vx") >= 0 && col_index(tok, nc, "vy") >= 0 && col_index(tok, nc, "vz") >= 0;
    int has_id = col_index(tok, nc, "id") >= 0, has_type = col_index(tok, nc, "type") >= 0;
    int has_elem = col_index(tok, nc, "element") >= 0;
    cs = sf_calloc((size_t)nc, sizeof *cs);
    if (!cs)
        goto fail;
    if (!skip) {
        if (h.natoms > sf_io_max_atoms(r, 2 * nc)) {
            sf_io_error(r, "frame declares %lld atoms, more than a file of "
                           "%lld bytes can hold",
                        (long long)h.natoms, (long long)sf_lines_file_size(r));
            goto fail;
        }
        sf_build_init(&b, (size_t)h.natoms, has_vel, has_img);
    }
    for (int i = 0; i < nc; i++) {
        const char *t = tok[i];
        colspec *c = &cs[i];
        c->kind = -1;
        if (strcmp(t, "id") == 0)
            c->kind = K_ID;
        else if (strcmp(t, "type") == 0)
            c->kind = K_TYPE;
        else if (strcmp(t, "element") == 0)
            c->kind = K_ELEMENT;
        for (int k = 0; k < 3 && c->kind < 0; k++) {
            if (strcmp(t, coord_names[kind][k]) == 0)
                c->kind = K_POS, c->axis = k;
            else if (has_img && strcmp(t, image_names[k]) == 0)
                c->kind = K_IMG, c->axis = k;
            else if (has_vel && strcmp(t, vel_names[k]) == 0)
                c->kind = K_VEL, c->axis = k;
        }
        if (c->kind < 0) {
            c->kind = K_COL;
            if (!skip && (c->col = sf_build_column(&b, t)) < 0)
                goto fail;
        }
    }
    if (skip) {
        free(copy);
        free(tok);
        free(cs);
        return skip_atoms(r, h.natoms) ? SF_ERR : 1;
    }

    /* ---- atom lines ---- */
    long long first_line = hdr_line + 1;
    int maxtype = 0;
    for (int64_t i = 0; i < h.natoms; i++) {
        char *line;
        rc = sf_lines_next(r, &line, NULL);
        if (rc < 0)
            goto fail;
        if (rc == 0) {
            sf_io_error(r, "unexpected end of file: frame declares %lld atoms "
                           "but has only %lld atom lines",
                        (long long)h.natoms, (long long)i);
            goto fail;
        }
        const char *p = sf_io_skip(line), *e, *elem = NULL;
        if (*p == 'I' && is_item(p)) {
            short_frame(r, h.natoms, i);
            goto fail;
        }
        if (sf_build_reserve(&b))
            goto fail;
        size_t n = b.n;
        size_t elen = 0;
        int64_t iv, type = 1;
        b.id[n] = (int64_t)n + 1;
        for (int c = 0; c < nc; c++) {
            p = sf_io_skip(p);
            if (!*p) {
                if (c == 0)
                    sf_io_error(r, "blank line among the atom lines");
                else
                    sf_io_error(r, "atom line has %d columns, 'ITEM: ATOMS' "
                                   "lists %d",
                                c, nc);
                goto fail;
            }
            const colspec *s = &cs[c];
            switch (s->kind) {
            case K_POS:
                if (sf_io_double(p, &e, &b.x[3 * n + (size_t)s->axis]))
                    goto colerr;
                break;
            case K_COL:
                if (sf_io_double(p, &e, &b.cols[s->col][n]))
                    goto colerr;
                break;
            case K_VEL:
                if (sf_io_double(p, &e, &b.v[3 * n + (size_t)s->axis]))
                    goto colerr;
                break;
            case K_ID:
                if (sf_io_int64(p, &e, &b.id[n]))
                    goto colerr;
                break;
            case K_TYPE:
                if (sf_io_int64(p, &e, &type))
                    goto colerr;
                if (type < 1 || type > SF_MAX_TYPES) {
                    sf_io_error(r, "atom type %lld out of range 1..%d",
                                (long long)type, SF_MAX_TYPES);
                    goto fail;
                }
                break;
            case K_IMG:
                if (sf_io_int64(p, &e, &iv))
                    goto colerr;
                if (iv < INT32_MIN || iv > INT32_MAX) {
                    sf_io_error(r, "image flag %lld out of range",
                                (long long)iv);
                    goto fail;
                }
                b.image[3 * n + (size_t)s->axis] = (int32_t)iv;
                break;
            case K_ELEMENT:
                elem = p;
                e = sf_io_token_end(p);
                elen = (size_t)(e - p);
                break;
            }
            p = e;
            continue;
        colerr:
            sf_error_prefix("%s:%lld: column '%s'", path, sf_lines_lineno(r),
                            tok[c]);
            goto fail;
        }
        if (*sf_io_skip(p)) {
            sf_io_error(r, "atom line has more than the %d columns 'ITEM: "
                           "ATOMS' lists",
                        nc);
            goto fail;
        }
        if (has_elem) {
            if (has_type) {
                if (sf_species_name(sp, (int)type, elem, elen)) {
                    sf_io_error_here(r);
                    goto fail;
                }
            } else if (!(type = sf_species_type(sp, elem, elen))) {
                sf_io_error_here(r);
                goto fail;
            }
        } else if (has_type && sp->fixed && type > sp->ntypes) {
            sf_io_error(r, "atom type %lld out of range: the elements option "
                           "names %d types",
                        (long long)type, sp->ntypes);
            goto fail;
        }
        b.type[n] = (int32_t)type;
        if (type > maxtype)
            maxtype = (int)type;
        b.n++;
    }
    int ntypes = maxtype > sp->ntypes ? maxtype : sp->ntypes;
    if (ntypes < 1)
        ntypes = 1;
    sf_atoms *a = sf_build_finish(&b, ntypes);
    if (!a)
        goto fail;
    a->box = h.box;
    a->timestep = h.timestep;
    a->time = h.time;
    if (kind == C_SCALED || kind == C_SCALED_UNWRAPPED)
        for (size_t i = 0; i < a->n; i++)
            sf_box_to_cart(&a->box, a->x + 3 * i, a->x + 3 * i);
    if (sf_species_apply(sp, a) || (has_id && sf_io_check_ids(r, a, first_line))) {
        sf_atoms_free(a);
        goto fail;
    }
    free(copy);
    free(tok);
    free(cs);
    *out = a;
    return 1;
fail:
    sf_build_free(&b);
    free(copy);
    free(tok);
    free(cs);
    return SF_ERR;
}

/* ---- writer ------------------------------------------------------------------ */

typedef struct wcol {
    int kind, axis, coord; /* coord: C_* for K_POS */
    const double *data;
} wcol;

static int all_named(const sf_atoms *a)
{
    for (int t = 0; t < a->ntypes; t++)
        if (!a->species[t])
            return 0;
    return a->ntypes > 0;
}

static int valid_colname(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (sf_io_isspace(*s) || *s == '\n' || *s == '"' || *s == ':')
            return 0;
    return 1;
}

/* Default column list; names point at static strings or a's columns. */
static const char **default_columns(const sf_atoms *a)
{
    size_t n = 0;
    const char **c = sf_malloc((16 + a->ncols) * sizeof *c);
    if (!c)
        return NULL;
    c[n++] = "id";
    c[n++] = "type";
    if (all_named(a))
        c[n++] = "element";
    c[n++] = "x", c[n++] = "y", c[n++] = "z";
    if (a->image)
        c[n++] = "ix", c[n++] = "iy", c[n++] = "iz";
    if (a->v)
        c[n++] = "vx", c[n++] = "vy", c[n++] = "vz";
    for (size_t k = 0; k < a->ncols; k++)
        c[n++] = a->cols[k].name;
    c[n] = NULL;
    return c;
}

int sf_dump_write_frame(sf_out *o, const sf_atoms *a,
                        const char *const *columns)
{
    const char *path = sf_out_path(o);
    const char **deflt = NULL;
    if (!columns) {
        if (!(deflt = default_columns(a)))
            return SF_ERR;
        columns = deflt;
    }
    size_t nc = 0;
    while (columns[nc])
        nc++;
    wcol *wc = sf_calloc(nc ? nc : 1, sizeof *wc);
    if (!wc) {
        free(deflt);
        return SF_ERR;
    }
    int rc = SF_ERR;
    if (nc == 0) {
        sf_error("%s: no columns to write", path);
        goto done;
    }
    for (size_t i = 0; i < nc; i++) {
        const char *t = columns[i];
        wcol *w = &wc[i];
        w->kind = -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(columns[j], t) == 0) {
                sf_error("%s: column '%s' listed twice", path, t);
                goto done;
            }
        if (!strcmp(t, "id"))
            w->kind = K_ID;
        else if (!strcmp(t, "type"))
            w->kind = K_TYPE;
        else if (!strcmp(t, "element")) {
            w->kind = K_ELEMENT;
            for (int ty = 0; ty < a->ntypes; ty++)
                if (!a->species[ty]) {
                    sf_error("%s: cannot write column 'element': type %d has "
                             "no species name",
                             path, ty + 1);
                    goto done;
                }
        } else if (!strcmp(t, "mass")) {
            w->kind = K_MASS;
            if (!a->mass) {
                sf_error("%s: cannot write column 'mass': no masses", path);
                goto done;
            }
        }
        for (int k = 0; k < 3 && w->kind < 0; k++) {
            for (int ck = 0; ck < C_NKINDS; ck++)
                if (!strcmp(t, coord_names[ck][k]))
                    w->kind = K_POS, w->axis = k, w->coord = ck;
            if (w->kind < 0 && !strcmp(t, image_names[k]))
                w->kind = K_IMG, w->axis = k;
            if (w->kind < 0 && !strcmp(t, vel_names[k])) {
                w->kind = K_VEL, w->axis = k;
                if (!a->v) {
                    sf_error("%s: cannot write column '%s': no velocities",
                             path, t);
                    goto done;
                }
            }
        }
        if (w->kind < 0) {
            w->kind = K_COL;
            if (!valid_colname(t)) {
                sf_error("%s: column name '%s' is empty or contains white "
                         "space, ':' or '\"'",
                         path, t);
                goto done;
            }
            if (!(w->data = sf_atoms_column(a, t))) {
                sf_error("%s: no per-atom column named '%s'", path, t);
                goto done;
            }
        }
    }
    /* header */
    int tri = sf_box_is_triclinic(&a->box);
    double lo_b[3], hi_b[3];
    sf_io_exact_bounds(&a->box, 1, lo_b, hi_b);
    if (isfinite(a->time)) {
        sf_out_puts(o, "ITEM: TIME\n");
        sf_out_double(o, a->time);
        sf_out_char(o, '\n');
    }
    sf_out_puts(o, "ITEM: TIMESTEP\n");
    sf_out_int(o, (long long)a->timestep);
    sf_out_puts(o, "\nITEM: NUMBER OF ATOMS\n");
    sf_out_int(o, (long long)a->n);
    sf_out_puts(o, tri ? "\nITEM: BOX BOUNDS xy xz yz" : "\nITEM: BOX BOUNDS");
    for (int k = 0; k < 3; k++)
        sf_out_puts(o, a->box.periodic[k] ? " pp" : " ff");
    sf_out_char(o, '\n');
    const double tilt[3] = {a->box.xy, a->box.xz, a->box.yz};
    for (int k = 0; k < 3; k++) {
        if (sf_out_double(o, lo_b[k]) || sf_out_char(o, ' ') ||
            sf_out_double(o, hi_b[k])) {
            sf_error_prefix("%s: box", path);
            goto done;
        }
        if (tri) {
            sf_out_char(o, ' ');
            if (sf_out_double(o, tilt[k])) {
                sf_error_prefix("%s: box", path);
                goto done;
            }
        }
        sf_out_char(o, '\n');
    }
    sf_out_puts(o, "ITEM: ATOMS");
    for (size_t i = 0; i < nc; i++) {
        sf_out_char(o, ' ');
        sf_out_puts(o, columns[i]);
    }
    if (sf_out_char(o, '\n'))
        goto done;
    /* atoms */
    for (size_t i = 0; i < a->n; i++) {
        const double *r = a->x + 3 * i;
        static const int zero[3] = {0, 0, 0};
        const int *img = a->image ? (const int *)(a->image + 3 * i) : zero;
        double u[3], s[3], su[3];
        int have_u = 0, have_s = 0, have_su = 0;
        for (size_t c = 0; c < nc; c++) {
            const wcol *w = &wc[c];
            if (c)
                sf_out_char(o, ' ');
            double v = 0;
            switch (w->kind) {
            case K_ID:
                sf_out_int(o, (long long)a->id[i]);
                continue;
            case K_TYPE:
                sf_out_int(o, a->type[i]);
                continue;
            case K_ELEMENT:
                sf_out_puts(o, a->species[a->type[i] - 1]);
                continue;
            case K_IMG:
                sf_out_int(o, img[w->axis]);
                continue;
            case K_MASS:
                v = a->mass[a->type[i] - 1];
                break;
            case K_VEL:
                v = a->v[3 * i + (size_t)w->axis];
                break;
            case K_COL:
                v = w->data[i];
                break;
            case K_POS:
                switch (w->coord) {
                case C_WRAPPED:
                    v = r[w->axis];
                    break;
                case C_UNWRAPPED:
                    if (!have_u)
                        sf_box_unwrap(&a->box, r, img, u), have_u = 1;
                    v = u[w->axis];
                    break;
                case C_SCALED:
                    if (!have_s)
                        sf_box_to_frac(&a->box, r, s), have_s = 1;
                    v = s[w->axis];
                    break;
                default:
                    if (!have_su) {
                        if (!have_u)
                            sf_box_unwrap(&a->box, r, img, u), have_u = 1;
                        sf_box_to_frac(&a->box, u, su), have_su = 1;
                    }
                    v = su[w->axis];
                    break;
                }
                break;
            }
            if (sf_out_double(o, v)) {
                sf_error_prefix("%s: atom id %lld, column '%s'", path,
                                (long long)a->id[i], columns[c]);
                goto done;
            }
        }
        if (sf_out_char(o, '\n'))
            goto done;
    }
    rc = SF_OK;
done:
    free(wc);
    free(deflt);
    return rc;
}
