/* sf_io_xyz.c - (extended) XYZ frames: reader and writer.
 *
 * Line 1: number of atoms.  Line 2: comment, in extended XYZ a list of
 * key=value pairs (Lattice="ax ay az bx by bz cx cy cz",
 * Properties=species:S:1:pos:R:3:..., pbc="T T T", Origin="x y z", Time=t).
 * Then one line per atom with the Properties columns. */
#include "sf_io_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { X_SKIP, X_SPECIES, X_TYPE, X_POS, X_VEL, X_ID, X_IMG, X_COL };

typedef struct xprop {
    char name[128];
    char type;     /* S R I L */
    int ncols;
    int kind;
    int col;       /* first build column for X_COL */
} xprop;

#define MAX_PROPS 256

/* ---- the comment line ------------------------------------------------------ */

typedef struct kv {
    char *key, *val; /* val NULL for a bare key */
} kv;

/* Parse key=value pairs in place.  Returns the count or SF_ERR. */
static int parse_kv(char *s, kv *out, int max)
{
    int n = 0;
    for (;;) {
        while (sf_io_isspace(*s))
            s++;
        if (!*s)
            return n;
        char *key = s;
        if (*s == '"') { /* quoted key */
            key = ++s;
            while (*s && *s != '"')
                s++;
            if (!*s)
                return sf_error("unterminated quote in the comment line");
            *s++ = '\0';
        } else {
            while (*s && *s != '=' && !sf_io_isspace(*s))
                s++;
        }
        char *kend = s;
        while (sf_io_isspace(*s))
            s++;
        char *val = NULL;
        if (*s == '=') {
            *kend = '\0';
            s++;
            while (sf_io_isspace(*s))
                s++;
            if (*s == '"' || *s == '{') {
                char close = *s == '"' ? '"' : '}';
                val = ++s;
                char *w = s;
                while (*s && *s != close) {
                    if (*s == '\\' && s[1])
                        s++;
                    *w++ = *s++;
                }
                if (!*s)
                    return sf_error("unterminated quote in the comment line");
                s++;
                *w = '\0';
            } else {
                val = s;
                while (*s && !sf_io_isspace(*s))
                    s++;
                if (*s)
                    *s++ = '\0';
            }
        } else if (*kend) {
            *kend = '\0';
        }
        if (n < max) {
            out[n].key = key;
            out[n].val = val;
            n++;
        }
    }
}

static int parse_bool(const char *s, int *v)
{
    if (!strcasecmp(s, "T") || !strcasecmp(s, "true") || !strcmp(s, "1"))
        return *v = 1, SF_OK;
    if (!strcasecmp(s, "F") || !strcasecmp(s, "false") || !strcmp(s, "0"))
        return *v = 0, SF_OK;
    return sf_error("bad logical value '%.20s' (expected T or F)", s);
}

static int parse_numbers(const char *s, double *v, int n, const char *what)
{
    const char *p = s, *e;
    for (int i = 0; i < n; i++) {
        p = sf_io_skip(p);
        if (!*p)
            return sf_error("%s: expected %d numbers, found %d", what, n, i);
        if (sf_io_double(p, &e, &v[i]))
            return sf_error_prefix("%s", what);
        p = e;
    }
    if (*sf_io_skip(p))
        return sf_error("%s: expected %d numbers, found more", what, n);
    return SF_OK;
}

static int parse_properties(char *s, xprop *pr, int *np)
{
    char *f[3 * MAX_PROPS + 1];
    int nf = 0;
    for (char *p = s;; p++) {
        if (nf > 3 * MAX_PROPS)
            return sf_error("Properties: too many fields");
        f[nf++] = p;
        p = strchr(p, ':');
        if (!p)
            break;
        *p = '\0';
    }
    if (nf % 3)
        return sf_error("Properties: expected name:type:columns triples");
    *np = nf / 3;
    for (int i = 0; i < *np; i++) {
        const char *name = f[3 * i], *type = f[3 * i + 1],
                   *cols = f[3 * i + 2];
        /* room for the derived column names NAME[k], k <= 1000, so that
         * whatever is read can be written and read back */
        if (!*name || strlen(name) + 6 >= sizeof pr[i].name)
            return sf_error("Properties: bad property name '%.40s'%s", name,
                            *name ? " (too long)" : "");
        strcpy(pr[i].name, name);
        if (strlen(type) != 1 || !strchr("SRIL", type[0]))
            return sf_error("Properties: property '%s' has type '%s' "
                            "(expected S, R, I or L)",
                            name, type);
        pr[i].type = type[0];
        int64_t nc;
        const char *e;
        if (sf_io_int64(cols, &e, &nc) || *e || nc < 1 || nc > 1000)
            return sf_error("Properties: property '%s' has a bad column "
                            "count '%s'",
                            name, cols);
        pr[i].ncols = (int)nc;
    }
    return SF_OK;
}

/* Map properties to kinds.  Returns SF_OK or an error. */
static int classify(xprop *pr, int np)
{
    int have_species = 0, have_pos = 0, have_vel = 0, have_id = 0,
        have_img = 0;
    for (int i = 0; i < np; i++)
        if (!strcmp(pr[i].name, "species") && pr[i].type == 'S' &&
            pr[i].ncols == 1)
            have_species = 1;
    for (int i = 0; i < np; i++) {
        xprop *p = &pr[i];
        const char *nm = p->name;
        p->kind = -1;
        if (!strcmp(nm, "species") && p->type == 'S' && p->ncols == 1)
            p->kind = X_SPECIES;
        else if (!have_species && !strcmp(nm, "type") && p->type == 'I' &&
                 p->ncols == 1)
            p->kind = X_TYPE;
        else if (!have_pos && !strcmp(nm, "pos") && p->type == 'R' &&
                 p->ncols == 3)
            p->kind = X_POS, have_pos = 1;
        else if (!have_vel && p->type == 'R' && p->ncols == 3 &&
                 (!strcmp(nm, "velo") || !strcmp(nm, "vel") ||
                  !strcmp(nm, "velocities")))
            p->kind = X_VEL, have_vel = 1;
        else if (!have_id && !strcmp(nm, "id") && p->type == 'I' &&
                 p->ncols == 1)
            p->kind = X_ID, have_id = 1;
        else if (!have_img && !strcmp(nm, "image") && p->type == 'I' &&
                 p->ncols == 3)
            p->kind = X_IMG, have_img = 1;
        else if (p->type == 'S')
            p->kind = X_SKIP;
        else
            p->kind = X_COL;
    }
    if (!have_pos)
        return sf_error("Properties has no pos:R:3 column");
    /* What is read must be writable and readable again: the writer emits
     * each extra column as its own property (NAME[k] for multi-column
     * ones) after at most 8 fixed ones, and the reader takes names of up
     * to 121 characters and at most MAX_PROPS properties. */
    int extra = 0;
    for (int i = 0; i < np; i++) {
        if (pr[i].kind != X_COL)
            continue;
        extra += pr[i].ncols;
        if (pr[i].ncols > 1) {
            int digits = pr[i].ncols >= 1000 ? 4 : pr[i].ncols >= 100 ? 3
                       : pr[i].ncols >= 10 ? 2 : 1;
            if (strlen(pr[i].name) + 2 + (size_t)digits > 121)
                return sf_error("Properties: property name '%.40s...' is "
                                "too long for %d columns",
                                pr[i].name, pr[i].ncols);
        }
    }
    if (extra > MAX_PROPS - 8)
        return sf_error("Properties: %d extra per-atom columns (at most %d)",
                        extra, MAX_PROPS - 8);
    return SF_OK;
}

static int is_uint(const char *s, size_t len)
{
    if (!len || len > 9)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* Lattice vectors -> LAMMPS box (+ rotation when not already lower
 * triangular).  rot is the identity when *rotated == 0. */
static int lattice_box(const double L[9], const double origin[3], sf_box *box,
                       double rot[9], int *rotated)
{
    const double *a = L, *b = L + 3, *c = L + 6;
    double len[3], xy, xz, yz, lo[3];
    double cross[3] = {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                       a[0] * b[1] - a[1] * b[0]};
    double vol = cross[0] * c[0] + cross[1] * c[1] + cross[2] * c[2];
    if (!(vol > 0))
        return sf_error(vol < 0 ? "Lattice vectors are left-handed "
                                  "(negative volume)"
                                : "Lattice has zero volume");
    if (a[1] == 0 && a[2] == 0 && b[2] == 0 && a[0] > 0 && b[1] > 0 &&
        c[2] > 0) {
        len[0] = a[0], len[1] = b[1], len[2] = c[2];
        xy = b[0], xz = c[0], yz = c[1];
        memcpy(lo, origin, sizeof lo);
        *rotated = 0;
    } else {
        double A = sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]);
        double C = sqrt(cross[0] * cross[0] + cross[1] * cross[1] +
                        cross[2] * cross[2]);
        double e1[3] = {a[0] / A, a[1] / A, a[2] / A};
        double e3[3] = {cross[0] / C, cross[1] / C, cross[2] / C};
        double e2[3] = {e3[1] * e1[2] - e3[2] * e1[1],
                        e3[2] * e1[0] - e3[0] * e1[2],
                        e3[0] * e1[1] - e3[1] * e1[0]};
        for (int k = 0; k < 3; k++) {
            rot[k] = e1[k];
            rot[3 + k] = e2[k];
            rot[6 + k] = e3[k];
        }
#define DOT(u, v) ((u)[0] * (v)[0] + (u)[1] * (v)[1] + (u)[2] * (v)[2])
        len[0] = A;
        xy = DOT(b, e1);
        len[1] = DOT(b, e2);
        xz = DOT(c, e1);
        yz = DOT(c, e2);
        len[2] = DOT(c, e3);
        for (int k = 0; k < 3; k++)
            lo[k] = DOT(rot + 3 * k, origin);
#undef DOT
        *rotated = 1;
    }
    double hi[3] = {lo[0] + len[0], lo[1] + len[1], lo[2] + len[2]};
    if (sf_box_init(box, lo, hi, xy, xz, yz))
        return SF_ERR;
    for (int k = 0; k < 3; k++)
        box->len[k] = len[k]; /* exact, not hi - lo */
    return SF_OK;
}

static void rotate(const double rot[9], double *v)
{
    double r[3] = {v[0], v[1], v[2]};
    for (int k = 0; k < 3; k++)
        v[k] = rot[3 * k] * r[0] + rot[3 * k + 1] * r[1] + rot[3 * k + 2] * r[2];
}

int sf_xyz_read_frame(sf_lines *r, sf_species *sp, sf_atoms **out, int skip)
{
    const char *path = sf_lines_path(r);
    char *line;
    int rc;
    /* count line (blank lines between frames are skipped) */
    for (;;) {
        rc = sf_lines_next(r, &line, NULL);
        if (rc <= 0)
            return rc;
        if (*sf_io_skip(line))
            break;
    }
    int64_t n;
    const char *p = sf_io_skip(line), *e;
    if (sf_io_int64(p, &e, &n) || *sf_io_skip(e)) {
        sf_io_error(r, "expected the number of atoms, found '%.40s'", p);
        return SF_ERR;
    }
    if (n > sf_io_max_atoms(r, 2))
        return sf_io_error(r, "frame declares %lld atoms, more than a file of "
                              "%lld bytes can hold",
                           (long long)n, (long long)sf_lines_file_size(r));
    if (n < 0 || n > SF_IO_MAX_ATOMS)
        return sf_io_error(r, "number of atoms %lld out of range",
                           (long long)n);
    rc = sf_lines_next(r, &line, NULL);
    if (rc < 0)
        return SF_ERR;
    if (rc == 0)
        return sf_io_error(r, "unexpected end of file: no comment line");
    if (skip) {
        for (int64_t i = 0; i < n; i++) {
            rc = sf_lines_next(r, &line, NULL);
            if (rc < 0)
                return SF_ERR;
            if (rc == 0)
                return sf_io_error(r, "unexpected end of file: frame declares "
                                      "%lld atoms but has only %lld lines",
                                   (long long)n, (long long)i);
        }
        return 1;
    }

    /* ---- comment line ---- */
    char *comment = sf_strdup(line);
    xprop *pr = sf_calloc(MAX_PROPS, sizeof *pr);
    kv *kvs = sf_calloc(256, sizeof *kvs);
    sf_build b;
    sf_build_init(&b, 0, 0, 0);
    if (!comment || !pr || !kvs)
        goto fail;
    int nkv = parse_kv(comment, kvs, 256), np = 0, extended = 0;
    if (nkv < 0) {
        sf_io_error_here(r);
        goto fail;
    }
    double L[9], origin[3] = {0, 0, 0}, time = NAN;
    int have_lattice = 0, have_pbc = 0, pbc[3] = {1, 1, 1};
    int64_t timestep = 0;
    for (int i = 0; i < nkv; i++) {
        const char *k = kvs[i].key, *v = kvs[i].val;
        if (!v)
            continue;
        int err = SF_OK;
        if (!strcasecmp(k, "Lattice")) {
            err = parse_numbers(v, L, 9, "Lattice");
            have_lattice = 1;
        } else if (!strcasecmp(k, "Origin")) {
            err = parse_numbers(v, origin, 3, "Origin");
        } else if (!strcasecmp(k, "Properties")) {
            char *pv = (char *)v;
            err = parse_properties(pv, pr, &np);
            extended = 1;
        } else if (!strcasecmp(k, "pbc")) {
            char buf[64], *t[4];
            snprintf(buf, sizeof buf, "%s", v);
            int nt = sf_io_split(buf, t, 3);
            if (nt != 3)
                err = sf_error("pbc: expected 3 logical values");
            for (int j = 0; j < 3 && !err; j++)
                err = parse_bool(t[j], &pbc[j]);
            have_pbc = 1;
        } else if (!strcasecmp(k, "Time")) {
            const char *te;
            err = sf_io_double(sf_io_skip(v), &te, &time);
        } else if (!strcasecmp(k, "Timestep") || !strcasecmp(k, "step")) {
            const char *te;
            err = sf_io_int64(sf_io_skip(v), &te, &timestep);
        }
        if (err) {
            sf_io_error_here(r);
            goto fail;
        }
    }
    if (!extended) {
        np = 2;
        strcpy(pr[0].name, "species"), pr[0].type = 'S', pr[0].ncols = 1;
        strcpy(pr[1].name, "pos"), pr[1].type = 'R', pr[1].ncols = 3;
    }
    if (classify(pr, np)) {
        sf_io_error_here(r);
        goto fail;
    }
    if (!have_lattice && have_pbc && (pbc[0] || pbc[1] || pbc[2])) {
        sf_io_error(r, "pbc is true but there is no Lattice");
        goto fail;
    }
    sf_box box;
    double rot[9];
    int rotated = 0;
    if (have_lattice && lattice_box(L, origin, &box, rot, &rotated)) {
        sf_io_error_here(r);
        goto fail;
    }
    int has_v = 0, has_img = 0, has_id = 0, ntok = 0;
    for (int i = 0; i < np; i++) {
        has_v |= pr[i].kind == X_VEL;
        has_img |= pr[i].kind == X_IMG;
        has_id |= pr[i].kind == X_ID;
        ntok += pr[i].ncols;
    }
    if (n > sf_io_max_atoms(r, 2 * ntok)) {
        sf_io_error(r, "frame declares %lld atoms, more than a file of %lld "
                       "bytes can hold",
                    (long long)n, (long long)sf_lines_file_size(r));
        goto fail;
    }
    sf_build_init(&b, (size_t)n, has_v, has_img);
    for (int i = 0; i < np; i++) {
        if (pr[i].kind != X_COL)
            continue;
        for (int k = 0; k < pr[i].ncols; k++) {
            char nm[160];
            if (pr[i].ncols == 1)
                snprintf(nm, sizeof nm, "%s", pr[i].name);
            else
                snprintf(nm, sizeof nm, "%s[%d]", pr[i].name, k + 1);
            int c = sf_build_column(&b, nm);
            if (c < 0)
                goto fail;
            if (k == 0)
                pr[i].col = c;
        }
    }

    /* ---- atom lines ---- */
    long long first_line = sf_lines_lineno(r) + 1;
    int maxtype = 0;
    for (int64_t i = 0; i < n; i++) {
        rc = sf_lines_next(r, &line, NULL);
        if (rc < 0)
            goto fail;
        if (rc == 0) {
            sf_io_error(r, "unexpected end of file: frame declares %lld atoms "
                           "but has only %lld atom lines",
                        (long long)n, (long long)i);
            goto fail;
        }
        if (sf_build_reserve(&b))
            goto fail;
        size_t j = b.n;
        int type = 1;
        b.id[j] = (int64_t)j + 1;
        p = line;
        int tokno = 0;
        for (int q = 0; q < np; q++) {
            const xprop *pp = &pr[q];
            for (int k = 0; k < pp->ncols; k++, tokno++) {
                p = sf_io_skip(p);
                if (!*p) {
                    sf_io_error(r, "atom line has %d columns, Properties "
                                   "lists %d",
                                tokno, ntok);
                    goto fail;
                }
                int64_t iv;
                double dv;
                switch (pp->kind) {
                case X_SPECIES: {
                    e = sf_io_token_end(p);
                    size_t len = (size_t)(e - p);
                    if (is_uint(p, len)) {
                        type = atoi(p);
                        if (type < 1 || type > SF_MAX_TYPES ||
                            (sp->fixed && type > sp->ntypes)) {
                            sf_io_error(r, "species type number %d out of "
                                           "range",
                                        type);
                            goto fail;
                        }
                        if (type > sp->ntypes)
                            sp->ntypes = type;
                    } else if (!(type = sf_species_type(sp, p, len))) {
                        sf_io_error_here(r);
                        goto fail;
                    }
                    break;
                }
                case X_SKIP:
                    e = sf_io_token_end(p);
                    break;
                case X_TYPE:
                    if (sf_io_int64(p, &e, &iv))
                        goto colerr;
                    if (iv < 1 || iv > SF_MAX_TYPES ||
                        (sp->fixed && iv > sp->ntypes)) {
                        sf_io_error(r, "atom type %lld out of range",
                                    (long long)iv);
                        goto fail;
                    }
                    type = (int)iv;
                    break;
                case X_ID:
                    if (sf_io_int64(p, &e, &b.id[j]))
                        goto colerr;
                    break;
                case X_IMG:
                    if (sf_io_int64(p, &e, &iv))
                        goto colerr;
                    if (iv < INT32_MIN || iv > INT32_MAX) {
                        sf_io_error(r, "image flag out of range");
                        goto fail;
                    }
                    b.image[3 * j + (size_t)k] = (int32_t)iv;
                    break;
                case X_POS:
                    if (sf_io_double(p, &e, &b.x[3 * j + (size_t)k]))
                        goto colerr;
                    break;
                case X_VEL:
                    if (sf_io_double(p, &e, &b.v[3 * j + (size_t)k]))
                        goto colerr;
                    break;
                default: /* X_COL */
                    if (pp->type == 'L') {
                        char tb[8];
                        e = sf_io_token_end(p);
                        int bv = 0;
                        snprintf(tb, sizeof tb, "%.*s",
                                 (int)((size_t)(e - p) < 7 ? e - p : 7), p);
                        if (parse_bool(tb, &bv))
                            goto colerr;
                        dv = bv;
                    } else if (pp->type == 'I') {
                        if (sf_io_int64(p, &e, &iv))
                            goto colerr;
                        dv = (double)iv;
                    } else if (sf_io_double(p, &e, &dv))
                        goto colerr;
                    b.cols[pp->col + k][j] = dv;
                    break;
                }
                p = e;
                continue;
            colerr:
                sf_error_prefix("%s:%lld: property '%s'", path,
                                sf_lines_lineno(r), pp->name);
                goto fail;
            }
        }
        if (extended && *sf_io_skip(p)) {
            sf_io_error(r, "atom line has more than the %d columns Properties "
                           "lists",
                        ntok);
            goto fail;
        }
        b.type[j] = type;
        if (type > maxtype)
            maxtype = type;
        b.n++;
    }
    int ntypes = maxtype > sp->ntypes ? maxtype : sp->ntypes;
    if (ntypes < 1)
        ntypes = 1;
    sf_atoms *a = sf_build_finish(&b, ntypes);
    if (!a)
        goto fail;
    if (have_lattice) {
        a->box = box;
        for (int k = 0; k < 3; k++)
            a->box.periodic[k] = pbc[k];
        if (rotated)
            for (size_t i = 0; i < a->n; i++) {
                rotate(rot, a->x + 3 * i);
                if (a->v)
                    rotate(rot, a->v + 3 * i);
            }
    } else {
        /* no cell: the bounding box of the atoms, not periodic */
        double lo[3] = {0, 0, 0}, hi[3] = {1, 1, 1};
        for (int k = 0; k < 3 && a->n; k++) {
            lo[k] = hi[k] = a->x[k];
            for (size_t i = 1; i < a->n; i++) {
                lo[k] = fmin(lo[k], a->x[3 * i + k]);
                hi[k] = fmax(hi[k], a->x[3 * i + k]);
            }
            if (!(hi[k] > lo[k]))
                hi[k] = lo[k] + 1.0;
        }
        sf_box_init(&a->box, lo, hi, 0, 0, 0);
        for (int k = 0; k < 3; k++)
            a->box.periodic[k] = 0;
    }
    a->time = time;
    a->timestep = timestep;
    if (sf_species_apply(sp, a) || (has_id && sf_io_check_ids(r, a, first_line))) {
        sf_atoms_free(a);
        goto fail;
    }
    free(comment);
    free(pr);
    free(kvs);
    *out = a;
    return 1;
fail:
    sf_build_free(&b);
    free(comment);
    free(pr);
    free(kvs);
    return SF_ERR;
}

/* ---- writer ------------------------------------------------------------------ */

static int check_name(const char *path, const char *s)
{
    if (!*s)
        return sf_error("%s: empty column name", path);
    for (const char *p = s; *p; p++)
        if (sf_io_isspace(*p) || *p == '\n' || *p == ':' || *p == '"' ||
            *p == '=')
            return sf_error("%s: column name '%s' cannot be written to XYZ "
                            "(white space, ':', '=' or '\"')",
                            path, s);
    return SF_OK;
}

int sf_xyz_write_frame(sf_out *o, const sf_atoms *a)
{
    const char *path = sf_out_path(o);
    const sf_box *bx = &a->box;
    for (size_t c = 0; c < a->ncols; c++)
        if (check_name(path, a->cols[c].name))
            return SF_ERR;
    sf_out_int(o, (long long)a->n);
    sf_out_puts(o, "\nLattice=\"");
    const double L[9] = {bx->len[0], 0, 0, bx->xy, bx->len[1], 0,
                         bx->xz,     bx->yz, bx->len[2]};
    for (int k = 0; k < 9; k++) {
        if (k)
            sf_out_char(o, ' ');
        if (sf_out_double(o, L[k]))
            return sf_error_prefix("%s: box", path);
    }
    sf_out_char(o, '"');
    if (bx->lo[0] != 0 || bx->lo[1] != 0 || bx->lo[2] != 0) {
        sf_out_puts(o, " Origin=\"");
        for (int k = 0; k < 3; k++) {
            if (k)
                sf_out_char(o, ' ');
            if (sf_out_double(o, bx->lo[k]))
                return sf_error_prefix("%s: box", path);
        }
        sf_out_char(o, '"');
    }
    sf_out_puts(o, " Properties=species:S:1:pos:R:3:id:I:1");
    if (a->v)
        sf_out_puts(o, ":velo:R:3");
    if (a->image)
        sf_out_puts(o, ":image:I:3");
    for (size_t c = 0; c < a->ncols; c++) {
        sf_out_char(o, ':');
        sf_out_puts(o, a->cols[c].name);
        sf_out_puts(o, ":R:1");
    }
    sf_out_puts(o, " pbc=\"");
    for (int k = 0; k < 3; k++)
        sf_out_puts(o, k ? (bx->periodic[k] ? " T" : " F")
                         : (bx->periodic[k] ? "T" : "F"));
    sf_out_char(o, '"');
    if (isfinite(a->time)) {
        sf_out_puts(o, " Time=");
        sf_out_double(o, a->time);
    }
    sf_out_puts(o, " Timestep=");
    sf_out_int(o, (long long)a->timestep);
    if (sf_out_char(o, '\n'))
        return SF_ERR;
    for (size_t i = 0; i < a->n; i++) {
        int t = a->type[i];
        if (a->species[t - 1])
            sf_out_puts(o, a->species[t - 1]);
        else
            sf_out_int(o, t);
        for (int k = 0; k < 3; k++) {
            sf_out_char(o, ' ');
            if (sf_out_double(o, a->x[3 * i + (size_t)k]))
                return sf_error_prefix("%s: atom id %lld position", path,
                                       (long long)a->id[i]);
        }
        sf_out_char(o, ' ');
        sf_out_int(o, (long long)a->id[i]);
        if (a->v)
            for (int k = 0; k < 3; k++) {
                sf_out_char(o, ' ');
                if (sf_out_double(o, a->v[3 * i + (size_t)k]))
                    return sf_error_prefix("%s: atom id %lld velocity", path,
                                           (long long)a->id[i]);
            }
        if (a->image)
            for (int k = 0; k < 3; k++) {
                sf_out_char(o, ' ');
                sf_out_int(o, a->image[3 * i + (size_t)k]);
            }
        for (size_t c = 0; c < a->ncols; c++) {
            sf_out_char(o, ' ');
            if (sf_out_double(o, a->cols[c].data[i]))
                return sf_error_prefix("%s: atom id %lld column '%s'", path,
                                       (long long)a->id[i], a->cols[c].name);
        }
        if (sf_out_char(o, '\n'))
            return SF_ERR;
    }
    return SF_OK;
}
