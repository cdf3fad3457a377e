/* sf_io_data.c - LAMMPS data files: reader and writer.
 *
 * Layout: a free-form first line; header lines ("2048 atoms", "2 atom types",
 * "0 32.6 xlo xhi", ..., "0.1 0 0 xy xz yz"); then sections, each a keyword
 * line ("Masses", "Atoms # atomic", "Velocities", ...), a blank line and a
 * fixed number of entry lines.  '#' starts a comment anywhere. */
#include "sf_io_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SFLEX_VERSION
#define SFLEX_VERSION "?"
#endif

/* Atom styles: where id, type and the position are, and the extra columns
 * kept as named per-atom columns. */
typedef struct style {
    const char *name;
    int nfields;           /* without image flags */
    int type_at, pos_at;   /* 0-based; id is field 0 */
    const char *extra[2];  /* names of other fields, in order */
    int extra_at[2];
} style;

static const style styles[] = {
    {"atomic", 5, 1, 2, {NULL, NULL}, {0, 0}},
    {"charge", 6, 1, 3, {"q", NULL}, {2, 0}},
    {"bond", 6, 2, 3, {"mol", NULL}, {1, 0}},
    {"angle", 6, 2, 3, {"mol", NULL}, {1, 0}},
    {"molecular", 6, 2, 3, {"mol", NULL}, {1, 0}},
    {"full", 7, 2, 4, {"mol", "q"}, {1, 3}},
};

static const style *find_style(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof styles / sizeof *styles; i++)
        if (strlen(styles[i].name) == len &&
            strncmp(styles[i].name, name, len) == 0)
            return &styles[i];
    return NULL;
}

/* Section keywords and how many entry lines each has. */
enum { CNT_ATOMS, CNT_TYPES, CNT_BONDS, CNT_ANGLES, CNT_DIHEDRALS,
       CNT_IMPROPERS, CNT_BTYPES, CNT_ATYPES, CNT_DTYPES, CNT_ITYPES,
       CNT_PAIRIJ, CNT_UNSUPPORTED, CNT_N };

static const struct section {
    const char *name;
    int count; /* CNT_* */
} sections[] = {
    {"Atoms", CNT_ATOMS},
    {"Velocities", CNT_ATOMS},
    {"Masses", CNT_TYPES},
    {"Atom Type Labels", CNT_TYPES},
    {"Pair Coeffs", CNT_TYPES},
    {"PairIJ Coeffs", CNT_PAIRIJ},
    {"Bonds", CNT_BONDS},
    {"Angles", CNT_ANGLES},
    {"Dihedrals", CNT_DIHEDRALS},
    {"Impropers", CNT_IMPROPERS},
    {"Bond Coeffs", CNT_BTYPES},
    {"Angle Coeffs", CNT_ATYPES},
    {"BondBond Coeffs", CNT_ATYPES},
    {"BondAngle Coeffs", CNT_ATYPES},
    {"Dihedral Coeffs", CNT_DTYPES},
    {"MiddleBondTorsion Coeffs", CNT_DTYPES},
    {"EndBondTorsion Coeffs", CNT_DTYPES},
    {"AngleTorsion Coeffs", CNT_DTYPES},
    {"AngleAngleTorsion Coeffs", CNT_DTYPES},
    {"BondBond13 Coeffs", CNT_DTYPES},
    {"Improper Coeffs", CNT_ITYPES},
    {"AngleAngle Coeffs", CNT_ITYPES},
    {"Bond Type Labels", CNT_BTYPES},
    {"Angle Type Labels", CNT_ATYPES},
    {"Dihedral Type Labels", CNT_DTYPES},
    {"Improper Type Labels", CNT_ITYPES},
    {"Ellipsoids", CNT_UNSUPPORTED},
    {"Lines", CNT_UNSUPPORTED},
    {"Triangles", CNT_UNSUPPORTED},
    {"Bodies", CNT_UNSUPPORTED},
};
#define NSECTIONS ((int)(sizeof sections / sizeof *sections))

/* Section index of a (comment-stripped) line, or -1. */
static int section_of(const char *line)
{
    const char *p = sf_io_skip(line);
    const char *e = p + strlen(p);
    while (e > p && sf_io_isspace(e[-1]))
        e--;
    size_t n = (size_t)(e - p);
    for (int i = 0; i < NSECTIONS; i++)
        if (strlen(sections[i].name) == n &&
            strncmp(sections[i].name, p, n) == 0)
            return i;
    return -1;
}

/* Next line that is not blank (after stripping comments); 0 at EOF. */
static int next_nonblank(sf_lines *r, char **line, char **comment)
{
    for (;;) {
        int rc = sf_lines_next(r, line, NULL);
        if (rc <= 0)
            return rc;
        char *c = sf_io_strip_comment(*line);
        if (*sf_io_skip(*line)) {
            if (comment)
                *comment = c;
            return 1;
        }
    }
}

static int tok_is(char **tok, int nt, int from, const char *a, const char *b,
                  const char *c)
{
    const char *w[3] = {a, b, c};
    int k = 0;
    for (; k < 3 && w[k]; k++)
        if (from + k >= nt || strcmp(tok[from + k], w[k]) != 0)
            return 0;
    return from + k == nt;
}

typedef struct dheader {
    int64_t count[CNT_N];
    int have_atoms, have_types;
    double lo[3], hi[3], tilt[3];
} dheader;

static int header_line(sf_lines *r, char *line, dheader *h)
{
    char *tok[12];
    int nt = sf_io_split(line, tok, 11);
    const char *e;
    int64_t v;
    if (nt > 11)
        return sf_io_error(r, "unrecognized header line '%.60s'", tok[0]);
    static const char *const count_words[][3] = {
        {"atoms", NULL, NULL},      {"atom", "types", NULL},
        {"bonds", NULL, NULL},      {"angles", NULL, NULL},
        {"dihedrals", NULL, NULL},  {"impropers", NULL, NULL},
        {"bond", "types", NULL},    {"angle", "types", NULL},
        {"dihedral", "types", NULL}, {"improper", "types", NULL}};
    if (nt >= 2 && nt <= 3) {
        for (int c = 0; c < CNT_PAIRIJ; c++)
            if (tok_is(tok, nt, 1, count_words[c][0], count_words[c][1],
                       count_words[c][2])) {
                if (sf_io_int64(tok[0], &e, &v))
                    return sf_io_error_here(r);
                if (v < 0)
                    return sf_io_error(r, "negative count %lld",
                                       (long long)v);
                h->count[c] = v;
                if (c == CNT_ATOMS)
                    h->have_atoms = 1;
                if (c == CNT_TYPES)
                    h->have_types = 1;
                return SF_OK;
            }
    }
    static const char *const axes[3][2] = {
        {"xlo", "xhi"}, {"ylo", "yhi"}, {"zlo", "zhi"}};
    for (int k = 0; k < 3; k++)
        if (tok_is(tok, nt, 2, axes[k][0], axes[k][1], NULL)) {
            if (sf_io_double(tok[0], &e, &h->lo[k]) ||
                sf_io_double(tok[1], &e, &h->hi[k]))
                return sf_io_error_here(r);
            return SF_OK;
        }
    if (tok_is(tok, nt, 3, "xy", "xz", "yz")) {
        for (int k = 0; k < 3; k++)
            if (sf_io_double(tok[k], &e, &h->tilt[k]))
                return sf_io_error_here(r);
        return SF_OK;
    }
    /* counts of things an atomic configuration does not use */
    if (nt >= 2 && sf_io_int64(tok[0], &e, &v) == SF_OK &&
        (tok_is(tok, nt, 1, "ellipsoids", NULL, NULL) ||
         tok_is(tok, nt, 1, "lines", NULL, NULL) ||
         tok_is(tok, nt, 1, "triangles", NULL, NULL) ||
         tok_is(tok, nt, 1, "bodies", NULL, NULL) ||
         (nt == 5 && !strcmp(tok[1], "extra") && !strcmp(tok[3], "per") &&
          !strcmp(tok[4], "atom"))))
        return SF_OK;
    for (int i = 0; i < nt; i++)
        if (!strcmp(tok[i], "avec") || !strcmp(tok[i], "bvec") ||
            !strcmp(tok[i], "cvec") || !strcmp(tok[i], "abc"))
            return sf_io_error(r, "general triclinic boxes (avec/bvec/cvec) "
                                  "are not supported");
    return sf_io_error(r, "unrecognized header line '%.60s'",
                       nt ? tok[0] : "");
}

/* id -> index lookup for the Velocities section. */
typedef struct idmap {
    size_t *dense;   /* dense[id] = index + 1, for small ids */
    int64_t maxid;
    size_t *order;   /* otherwise: indices sorted by id */
    const sf_atoms *a;
} idmap;

static int idmap_build(idmap *m, const sf_atoms *a)
{
    memset(m, 0, sizeof *m);
    m->a = a;
    int64_t maxid = 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->id[i] > maxid)
            maxid = a->id[i];
    if ((uint64_t)maxid <= 4 * (uint64_t)a->n + 16) {
        m->maxid = maxid;
        m->dense = sf_calloc((size_t)maxid + 1, sizeof *m->dense);
        if (!m->dense)
            return SF_ERR;
        for (size_t i = 0; i < a->n; i++)
            m->dense[a->id[i]] = i + 1;
        return SF_OK;
    }
    m->order = sf_malloc((a->n ? a->n : 1) * sizeof *m->order);
    if (!m->order)
        return SF_ERR;
    return sf_atoms_id_order(a, m->order);
}

static long long idmap_find(const idmap *m, int64_t id)
{
    if (m->dense)
        return id >= 1 && id <= m->maxid ? (long long)m->dense[id] - 1 : -1;
    size_t lo = 0, hi = m->a->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->a->id[m->order[mid]] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < m->a->n && m->a->id[m->order[lo]] == id)
        return (long long)m->order[lo];
    return -1;
}

static void idmap_free(idmap *m)
{
    free(m->dense);
    free(m->order);
}

/* Type number from a token: an integer, or a type label. */
static int parse_type(sf_species *sp, int have_labels, int ntypes,
                      const char *tok, int *type)
{
    const char *e;
    int64_t t;
    if (sf_io_int64(tok, &e, &t) == SF_OK) {
        if (t < 1 || t > ntypes)
            return sf_error("atom type %lld out of range 1..%d", (long long)t,
                            ntypes);
        *type = (int)t;
        return SF_OK;
    }
    if (have_labels) {
        for (int i = 0; i < ntypes; i++)
            if (sp->names[i] && !strcmp(sp->names[i], tok)) {
                *type = i + 1;
                return SF_OK;
            }
        return sf_error("unknown atom type label '%.40s'", tok);
    }
    return SF_ERR; /* message set by sf_io_int64 */
}

/* "key = value" anywhere in the title line, for timestep and species. */
static void parse_title(const char *title, int64_t *timestep, char *species,
                        size_t size)
{
    const char *p = strstr(title, "timestep =");
    if (p) {
        const char *e;
        int64_t v;
        if (sf_parse_int64(sf_io_skip(p + 10), &e, &v) == SF_OK)
            *timestep = v;
    }
    species[0] = '\0';
    p = strstr(title, "species =");
    if (p) {
        p = sf_io_skip(p + 9);
        size_t n = strcspn(p, "),;");
        if (n >= size)
            n = size - 1;
        memcpy(species, p, n);
        species[n] = '\0';
    }
}

int sf_data_read(sf_lines *r, sf_species *sp, const sf_read_opts *o,
                 sf_atoms **out)
{
    const char *path = sf_lines_path(r);
    char *line, *comment = NULL;
    int rc = sf_lines_next(r, &line, NULL);
    if (rc < 0)
        return SF_ERR;
    if (rc == 0)
        return sf_error("%s: empty file", path);
    int64_t timestep = 0;
    char title_species[256];
    parse_title(line, &timestep, title_species, sizeof title_species);

    dheader h;
    memset(&h, 0, sizeof h);
    for (int k = 0; k < 3; k++)
        h.lo[k] = -0.5, h.hi[k] = 0.5; /* LAMMPS defaults */
    int sec = -1;
    char keyword[256];
    for (;;) {
        rc = next_nonblank(r, &line, &comment);
        if (rc < 0)
            return SF_ERR;
        if (rc == 0)
            break;
        if ((sec = section_of(line)) >= 0)
            break;
        if (header_line(r, line, &h))
            return SF_ERR;
    }
    if (!h.have_atoms)
        return sf_io_error(r, "the header has no 'atoms' line");
    if (h.count[CNT_ATOMS] > 0 && !h.have_types)
        return sf_io_error(r, "the header has no 'atom types' line");
    int64_t natoms = h.count[CNT_ATOMS], ntypes64 = h.count[CNT_TYPES];
    if (ntypes64 < 1 || ntypes64 > SF_MAX_TYPES)
        return sf_io_error(r, "number of atom types %lld out of range 1..%d",
                           (long long)ntypes64, SF_MAX_TYPES);
    int ntypes = (int)ntypes64;
    if (natoms > SF_IO_MAX_ATOMS || natoms > sf_io_max_atoms(r, 10))
        return sf_error("%s: the header declares %lld atoms, more than a file "
                        "of %lld bytes can hold",
                        path, (long long)natoms,
                        (long long)sf_lines_file_size(r));
    if (sp->fixed && sp->ntypes != ntypes)
        return sf_error("%s: the elements option names %d types but the "
                        "file has %d atom types",
                        path, sp->ntypes, ntypes);
    sf_box box;
    if (sf_box_init(&box, h.lo, h.hi, h.tilt[0], h.tilt[1], h.tilt[2]))
        return sf_error_prefix("%s", path);
    h.count[CNT_PAIRIJ] = (int64_t)ntypes * (ntypes + 1) / 2;

    sf_build b;
    sf_build_init(&b, (size_t)natoms, 0, 0);
    sf_atoms *a = NULL;
    double *mass = NULL;
    int have_labels = 0, have_vel = 0, seen[NSECTIONS] = {0};
    idmap map = {0};
    while (sec >= 0) {
        const struct section *s = &sections[sec];
        snprintf(keyword, sizeof keyword, "%s", s->name);
        if (seen[sec]++) {
            sf_io_error(r, "second '%s' section", keyword);
            goto fail;
        }
        if (s->count == CNT_UNSUPPORTED) {
            sf_io_error(r, "'%s' section: atom style not supported", keyword);
            goto fail;
        }
        /* the Atoms style from the keyword's comment */
        const style *st = &styles[0];
        if (!strcmp(keyword, "Atoms")) {
            const char *sn = o && o->atom_style ? o->atom_style : "atomic";
            size_t len = strlen(sn);
            if (comment) {
                const char *c = sf_io_skip(comment);
                if (*c) {
                    sn = c;
                    len = (size_t)(sf_io_token_end(c) - c);
                    const char *slash = memchr(sn, '/', len);
                    if (slash) /* "atomic/kk" */
                        len = (size_t)(slash - sn);
                }
            }
            if (!(st = find_style(sn, len))) {
                sf_io_error(r, "atom style '%.*s' is not supported (atomic, "
                               "charge, bond, angle, molecular, full)",
                            (int)(len > 40 ? 40 : len), sn);
                goto fail;
            }
        }
        if (!strcmp(keyword, "Velocities") && !seen[0]) {
            sf_io_error(r, "'Velocities' section before the 'Atoms' section");
            goto fail;
        }
        int64_t count = h.count[s->count];
        if (count == 0 && s->count != CNT_PAIRIJ && s->count != CNT_TYPES &&
            s->count != CNT_ATOMS) {
            sf_io_error(r, "'%s' section but the header declares none",
                        keyword);
            goto fail;
        }
        /* entries; blank lines are allowed only before the first one */
        int64_t i = 0;
        int first_atom = 1;
        long long first_line = 0;
        int nfields = -1;
        while (i < count) {
            rc = sf_lines_next(r, &line, NULL);
            if (rc < 0)
                goto fail;
            if (rc == 0) {
                sf_io_error(r, "unexpected end of file in the '%s' section "
                               "(%lld of %lld entries)",
                            keyword, (long long)i, (long long)count);
                goto fail;
            }
            comment = sf_io_strip_comment(line);
            if (!*sf_io_skip(line)) {
                if (i == 0)
                    continue;
                sf_io_error(r, "blank line in the '%s' section after %lld of "
                               "%lld entries",
                            keyword, (long long)i, (long long)count);
                goto fail;
            }
            if (section_of(line) >= 0) {
                sf_io_error(r, "the '%s' section ends after %lld entries but "
                               "the header declares %lld",
                            keyword, (long long)i, (long long)count);
                goto fail;
            }
            char *tok[16];
            int nt = sf_io_split(line, tok, 15);
            const char *e;
            if (!strcmp(keyword, "Atoms")) {
                if (first_atom) {
                    first_atom = 0;
                    first_line = sf_lines_lineno(r);
                    nfields = nt;
                    if (nt != st->nfields && nt != st->nfields + 3) {
                        sf_io_error(r, "atom style %s expects %d or %d "
                                       "fields per atom line, found %d",
                                    st->name, st->nfields, st->nfields + 3,
                                    nt);
                        goto fail;
                    }
                    b.has_image = nt == st->nfields + 3;
                    for (int k = 0; k < 2 && st->extra[k]; k++)
                        if (sf_build_column(&b, st->extra[k]) < 0)
                            goto fail;
                }
                if (nt != nfields) {
                    sf_io_error(r, "atom line has %d fields, the first atom "
                                   "line has %d",
                                nt, nfields);
                    goto fail;
                }
                if (sf_build_reserve(&b))
                    goto fail;
                size_t j = b.n;
                int type;
                if (sf_io_int64(tok[0], &e, &b.id[j])) {
                    sf_error_prefix("%s:%lld: atom id", path,
                                    sf_lines_lineno(r));
                    goto fail;
                }
                if (parse_type(sp, have_labels, ntypes, tok[st->type_at],
                               &type)) {
                    sf_io_error_here(r);
                    goto fail;
                }
                b.type[j] = type;
                for (int k = 0; k < 3; k++)
                    if (sf_io_double(tok[st->pos_at + k], &e,
                                     &b.x[3 * j + (size_t)k])) {
                        sf_error_prefix("%s:%lld: coordinate %c", path,
                                        sf_lines_lineno(r), "xyz"[k]);
                        goto fail;
                    }
                for (int k = 0; k < 2 && st->extra[k]; k++)
                    if (sf_io_double(tok[st->extra_at[k]], &e,
                                     &b.cols[k][j])) {
                        sf_error_prefix("%s:%lld: %s", path,
                                        sf_lines_lineno(r), st->extra[k]);
                        goto fail;
                    }
                if (b.has_image)
                    for (int k = 0; k < 3; k++) {
                        int64_t iv = 0;
                        int bad = sf_io_int64(tok[st->nfields + k], &e, &iv);
                        if (!bad && (iv < INT32_MIN || iv > INT32_MAX))
                            bad = sf_error("image flag %lld out of range",
                                           (long long)iv);
                        if (bad) {
                            sf_error_prefix("%s:%lld: image flag", path,
                                            sf_lines_lineno(r));
                            goto fail;
                        }
                        b.image[3 * j + (size_t)k] = (int32_t)iv;
                    }
                b.n++;
            } else if (!strcmp(keyword, "Velocities")) {
                if (nt != 4) {
                    sf_io_error(r, "velocity line has %d fields, expected 4 "
                                   "(id vx vy vz)",
                                nt);
                    goto fail;
                }
                int64_t id;
                double v[3];
                if (sf_io_int64(tok[0], &e, &id) ||
                    sf_io_double(tok[1], &e, &v[0]) ||
                    sf_io_double(tok[2], &e, &v[1]) ||
                    sf_io_double(tok[3], &e, &v[2])) {
                    sf_io_error_here(r);
                    goto fail;
                }
                long long idx = idmap_find(&map, id);
                if (idx < 0) {
                    sf_io_error(r, "velocity for atom id %lld, which is not in "
                                   "the Atoms section",
                                (long long)id);
                    goto fail;
                }
                /* a NaN marker catches a second velocity for one atom */
                if (!isnan(a->v[3 * idx])) {
                    sf_io_error(r, "second velocity for atom id %lld",
                                (long long)id);
                    goto fail;
                }
                memcpy(a->v + 3 * idx, v, sizeof v);
            } else if (!strcmp(keyword, "Masses")) {
                int type;
                double m;
                if (nt != 2) {
                    sf_io_error(r, "mass line has %d fields, expected 2", nt);
                    goto fail;
                }
                if (parse_type(sp, have_labels, ntypes, tok[0], &type) ||
                    sf_io_double(tok[1], &e, &m)) {
                    sf_io_error_here(r);
                    goto fail;
                }
                if (!(m > 0)) {
                    sf_io_error(r, "mass of type %d is not positive", type);
                    goto fail;
                }
                if (!mass && !(mass = sf_calloc((size_t)ntypes, sizeof *mass)))
                    goto fail;
                mass[type - 1] = m;
                /* "1 63.546 # Cu": the comment names the species */
                char *ct[3];
                if (comment && !sp->fixed && !sp->names[type - 1] &&
                    sf_io_split(comment, ct, 2) == 1 &&
                    sf_species_name(sp, type, ct[0], strlen(ct[0])))
                    goto fail;
            } else if (!strcmp(keyword, "Atom Type Labels")) {
                int64_t t;
                if (nt != 2 || sf_io_int64(tok[0], &e, &t) || t < 1 ||
                    t > ntypes) {
                    sf_io_error(r, "bad type label line");
                    goto fail;
                }
                if (!sp->fixed && sf_species_name(sp, (int)t, tok[1],
                                                  strlen(tok[1]))) {
                    sf_io_error_here(r);
                    goto fail;
                }
                have_labels = 1;
            }
            /* other sections: entries are counted, not interpreted */
            i++;
        }
        if (!strcmp(keyword, "Atoms")) {
            a = sf_build_finish(&b, ntypes);
            if (!a)
                goto fail;
            if (sf_io_check_ids(r, a, first_line) || idmap_build(&map, a) ||
                sf_atoms_ensure_velocities(a))
                goto fail;
            for (size_t j = 0; j < 3 * a->n; j++)
                a->v[j] = NAN; /* filled by a Velocities section */
        } else if (!strcmp(keyword, "Velocities")) {
            have_vel = 1;
        }
        /* next section */
        rc = next_nonblank(r, &line, &comment);
        if (rc < 0)
            goto fail;
        if (rc == 0)
            break;
        if ((sec = section_of(line)) < 0) {
            if (!strcmp(keyword, "Atoms"))
                sf_io_error(r, "expected a section keyword, found '%.40s' "
                               "(more atom lines than the %lld atoms the "
                               "header declares?)",
                            sf_io_skip(line), (long long)natoms);
            else
                sf_io_error(r, "expected a section keyword, found '%.40s' "
                               "(more '%s' entries than declared?)",
                            sf_io_skip(line), keyword);
            goto fail;
        }
    }
    if (!a) {
        if (natoms > 0) {
            sf_error("%s: the header declares %lld atoms but there is no "
                     "Atoms section",
                     path, (long long)natoms);
            goto fail;
        }
        if (!(a = sf_build_finish(&b, ntypes)))
            goto fail;
    }
    if (!have_vel) {
        free(a->v);
        a->v = NULL;
    } else if (a->n && a->v) {
        for (size_t j = 0; j < a->n; j++)
            if (isnan(a->v[3 * j])) {
                sf_error("%s: the Velocities section has no velocity for "
                         "atom id %lld",
                         path, (long long)a->id[j]);
                goto fail;
            }
    }
    /* species: elements option, labels/mass comments, or the title line */
    if (!sp->fixed && title_species[0]) {
        char *tt[64];
        int n = sf_io_split(title_species, tt, 63);
        if (n <= 63 && n == ntypes) /* "-" marks an unnamed type */
            for (int t = 0; t < n; t++)
                if (!sp->names[t] && strcmp(tt[t], "-") != 0 &&
                    sf_species_name(sp, t + 1, tt[t], strlen(tt[t])))
                    goto fail;
    }
    if (sf_species_apply(sp, a))
        goto fail;
    a->mass = mass;
    mass = NULL;
    a->box = box;
    a->timestep = timestep;
    idmap_free(&map);
    *out = a;
    return 1;
fail:
    idmap_free(&map);
    sf_build_free(&b);
    sf_atoms_free(a);
    free(mass);
    return SF_ERR;
}

/* ---- writer ------------------------------------------------------------------ */

int sf_data_write_out(sf_out *o, const sf_atoms *a)
{
    const char *path = sf_out_path(o);
    const sf_box *bx = &a->box;
    int named = 0;
    for (int t = 0; t < a->ntypes; t++)
        named |= a->species[t] != NULL;
    int masses = a->mass != NULL;
    for (int t = 0; t < a->ntypes && masses; t++)
        masses = a->mass[t] > 0 && isfinite(a->mass[t]);
    sf_out_printf(o, "LAMMPS data file written by sflex %s (timestep = %lld",
                  SFLEX_VERSION, (long long)a->timestep);
    if (named && !masses) {
        /* no Masses section to carry the names: keep them here */
        sf_out_puts(o, ", species =");
        for (int t = 0; t < a->ntypes; t++) {
            sf_out_char(o, ' ');
            sf_out_puts(o, a->species[t] ? a->species[t] : "-");
        }
    }
    sf_out_puts(o, ")\n\n");
    sf_out_int(o, (long long)a->n);
    sf_out_puts(o, " atoms\n");
    sf_out_int(o, a->ntypes);
    sf_out_puts(o, " atom types\n\n");
    double lo_b[3], hi_b[3];
    sf_io_exact_bounds(bx, 0, lo_b, hi_b);
    static const char *const axes[3] = {" xlo xhi\n", " ylo yhi\n",
                                        " zlo zhi\n"};
    for (int k = 0; k < 3; k++) {
        if (sf_out_double(o, lo_b[k]) || sf_out_char(o, ' ') ||
            sf_out_double(o, hi_b[k]))
            return sf_error_prefix("%s: box", path);
        sf_out_puts(o, axes[k]);
    }
    if (sf_box_is_triclinic(bx)) {
        if (sf_out_double(o, bx->xy) || sf_out_char(o, ' ') ||
            sf_out_double(o, bx->xz) || sf_out_char(o, ' ') ||
            sf_out_double(o, bx->yz))
            return sf_error_prefix("%s: box", path);
        sf_out_puts(o, " xy xz yz\n");
    }
    if (masses) {
        sf_out_puts(o, "\nMasses\n\n");
        for (int t = 0; t < a->ntypes; t++) {
            sf_out_int(o, t + 1);
            sf_out_char(o, ' ');
            sf_out_double(o, a->mass[t]);
            if (a->species[t]) {
                sf_out_puts(o, " # ");
                sf_out_puts(o, a->species[t]);
            }
            sf_out_char(o, '\n');
        }
    }
    sf_out_puts(o, "\nAtoms # atomic\n\n");
    for (size_t i = 0; i < a->n; i++) {
        sf_out_int(o, (long long)a->id[i]);
        sf_out_char(o, ' ');
        sf_out_int(o, a->type[i]);
        for (int k = 0; k < 3; k++) {
            sf_out_char(o, ' ');
            if (sf_out_double(o, a->x[3 * i + (size_t)k]))
                return sf_error_prefix("%s: atom id %lld position", path,
                                       (long long)a->id[i]);
        }
        if (a->image)
            for (int k = 0; k < 3; k++) {
                sf_out_char(o, ' ');
                sf_out_int(o, a->image[3 * i + (size_t)k]);
            }
        if (sf_out_char(o, '\n'))
            return SF_ERR;
    }
    if (a->v) {
        sf_out_puts(o, "\nVelocities\n\n");
        for (size_t i = 0; i < a->n; i++) {
            sf_out_int(o, (long long)a->id[i]);
            for (int k = 0; k < 3; k++) {
                sf_out_char(o, ' ');
                if (sf_out_double(o, a->v[3 * i + (size_t)k]))
                    return sf_error_prefix("%s: atom id %lld velocity", path,
                                           (long long)a->id[i]);
            }
            if (sf_out_char(o, '\n'))
                return SF_ERR;
        }
    }
    return SF_OK;
}
