#include "sf_atoms.h"
#include "sf_error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

sf_atoms *sf_atoms_new(size_t n, int ntypes)
{
    if (ntypes < 1 || ntypes > SF_MAX_TYPES) {
        sf_error("number of atom types %d out of range 1..%d", ntypes,
                 SF_MAX_TYPES);
        return NULL;
    }
    if (n > ((size_t)1 << 40)) {
        sf_error("number of atoms %zu too large", n);
        return NULL;
    }
    sf_atoms *a = sf_calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->n = n;
    a->ntypes = ntypes;
    a->time = NAN;
    a->id = sf_malloc(n * sizeof *a->id);
    a->type = sf_malloc(n * sizeof *a->type);
    a->x = sf_calloc(3 * n, sizeof *a->x);
    a->species = sf_calloc((size_t)ntypes, sizeof *a->species);
    if (!a->id || !a->type || !a->x || !a->species) {
        sf_atoms_free(a);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        a->id[i] = (int64_t)i + 1;
        a->type[i] = 1;
    }
    double lo[3] = {0, 0, 0}, hi[3] = {1, 1, 1};
    sf_box_init(&a->box, lo, hi, 0, 0, 0);
    return a;
}

void sf_atoms_free(sf_atoms *a)
{
    if (!a)
        return;
    free(a->id);
    free(a->type);
    free(a->x);
    free(a->v);
    free(a->image);
    if (a->species)
        for (int t = 0; t < a->ntypes; t++)
            free(a->species[t]);
    free(a->species);
    free(a->mass);
    for (size_t c = 0; c < a->ncols; c++) {
        free(a->cols[c].name);
        free(a->cols[c].data);
    }
    free(a->cols);
    free(a);
}

static void *dup_array(const void *src, size_t bytes, int *fail)
{
    if (!src)
        return NULL;
    void *p = sf_malloc(bytes);
    if (!p) {
        *fail = 1;
        return NULL;
    }
    memcpy(p, src, bytes);
    return p;
}

sf_atoms *sf_atoms_copy(const sf_atoms *a)
{
    sf_atoms *b = sf_atoms_new(a->n, a->ntypes);
    if (!b)
        return NULL;
    int fail = 0;
    size_t n = a->n;
    memcpy(b->id, a->id, n * sizeof *a->id);
    memcpy(b->type, a->type, n * sizeof *a->type);
    memcpy(b->x, a->x, 3 * n * sizeof *a->x);
    b->v = dup_array(a->v, 3 * n * sizeof *a->v, &fail);
    b->image = dup_array(a->image, 3 * n * sizeof *a->image, &fail);
    b->mass = dup_array(a->mass, (size_t)a->ntypes * sizeof *a->mass, &fail);
    for (int t = 0; t < a->ntypes && !fail; t++)
        if (a->species[t] && sf_atoms_set_species(b, t + 1, a->species[t]))
            fail = 1;
    for (size_t c = 0; c < a->ncols && !fail; c++)
        if (!sf_atoms_add_column(b, a->cols[c].name, a->cols[c].data))
            fail = 1;
    b->box = a->box;
    b->timestep = a->timestep;
    b->time = a->time;
    if (fail) {
        sf_atoms_free(b);
        return NULL;
    }
    return b;
}

int sf_atoms_ensure_velocities(sf_atoms *a)
{
    if (!a->v && !(a->v = sf_calloc(3 * a->n, sizeof *a->v)))
        return SF_ERR;
    return SF_OK;
}

int sf_atoms_ensure_images(sf_atoms *a)
{
    if (!a->image && !(a->image = sf_calloc(3 * a->n, sizeof *a->image)))
        return SF_ERR;
    return SF_OK;
}

int sf_atoms_ensure_masses(sf_atoms *a)
{
    if (!a->mass && !(a->mass = sf_calloc((size_t)a->ntypes, sizeof *a->mass)))
        return SF_ERR;
    return SF_OK;
}

int sf_atoms_set_species(sf_atoms *a, int t, const char *name)
{
    if (t < 1 || t > a->ntypes)
        return sf_error("type %d out of range 1..%d", t, a->ntypes);
    char *copy = NULL;
    if (name) {
        if (!*name)
            return sf_error("empty species name for type %d", t);
        for (const char *p = name; *p; p++)
            if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
                return sf_error("species name '%s' contains white space", name);
        if (!(copy = sf_strdup(name)))
            return SF_ERR;
    }
    free(a->species[t - 1]);
    a->species[t - 1] = copy;
    return SF_OK;
}

int sf_atoms_find_species(const sf_atoms *a, const char *name)
{
    for (int t = 0; t < a->ntypes; t++)
        if (a->species[t] && strcmp(a->species[t], name) == 0)
            return t + 1;
    return 0;
}

void sf_atoms_type_counts(const sf_atoms *a, size_t *counts)
{
    memset(counts, 0, ((size_t)a->ntypes + 1) * sizeof *counts);
    for (size_t i = 0; i < a->n; i++)
        counts[a->type[i]]++;
}

double *sf_atoms_column(const sf_atoms *a, const char *name)
{
    for (size_t c = 0; c < a->ncols; c++)
        if (strcmp(a->cols[c].name, name) == 0)
            return a->cols[c].data;
    return NULL;
}

double *sf_atoms_add_column(sf_atoms *a, const char *name, const double *data)
{
    double *d = sf_malloc(a->n * sizeof *d);
    if (!d)
        return NULL;
    if (data)
        memcpy(d, data, a->n * sizeof *d);
    else
        memset(d, 0, a->n * sizeof *d);
    for (size_t c = 0; c < a->ncols; c++)
        if (strcmp(a->cols[c].name, name) == 0) {
            free(a->cols[c].data);
            a->cols[c].data = d;
            return d;
        }
    sf_column *cols = sf_realloc(a->cols, (a->ncols + 1) * sizeof *cols);
    char *nm = sf_strdup(name);
    if (!cols || !nm) {
        if (cols)
            a->cols = cols;
        free(nm);
        free(d);
        return NULL;
    }
    a->cols = cols;
    a->cols[a->ncols].name = nm;
    a->cols[a->ncols].data = d;
    a->ncols++;
    return d;
}

int sf_atoms_remove_column(sf_atoms *a, const char *name)
{
    for (size_t c = 0; c < a->ncols; c++)
        if (strcmp(a->cols[c].name, name) == 0) {
            free(a->cols[c].name);
            free(a->cols[c].data);
            memmove(a->cols + c, a->cols + c + 1,
                    (a->ncols - c - 1) * sizeof *a->cols);
            a->ncols--;
            return SF_OK;
        }
    return sf_error("no column named '%s'", name);
}

/* Radix sort of indices by id: O(n), no global state, thread safe. */
int sf_atoms_id_order(const sf_atoms *a, size_t *order)
{
    size_t n = a->n;
    size_t *tmp = sf_malloc(n * sizeof *tmp);
    size_t *count = sf_malloc(65537 * sizeof *count);
    if (!tmp || !count) {
        free(tmp);
        free(count);
        return SF_ERR;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    uint64_t maxid = 0;
    for (size_t i = 0; i < n; i++)
        if ((uint64_t)a->id[i] > maxid)
            maxid = (uint64_t)a->id[i];
    size_t *src = order, *dst = tmp;
    for (int shift = 0; shift < 64 && (maxid >> shift); shift += 16) {
        memset(count, 0, 65537 * sizeof *count);
        for (size_t i = 0; i < n; i++)
            count[(((uint64_t)a->id[src[i]] >> shift) & 0xffff) + 1]++;
        for (int k = 0; k < 65536; k++)
            count[k + 1] += count[k];
        for (size_t i = 0; i < n; i++)
            dst[count[((uint64_t)a->id[src[i]] >> shift) & 0xffff]++] = src[i];
        size_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != order)
        memcpy(order, src, n * sizeof *order);
    free(tmp);
    free(count);
    return SF_OK;
}

int sf_atoms_validate(const sf_atoms *a, const char *where)
{
    const char *w = where ? where : "atoms";
    for (size_t i = 0; i < a->n; i++) {
        if (a->id[i] <= 0)
            return sf_error("%s: non-positive atom id %lld", w,
                            (long long)a->id[i]);
        if (a->type[i] < 1 || a->type[i] > a->ntypes)
            return sf_error("%s: atom id %lld has type %d out of range 1..%d",
                            w, (long long)a->id[i], a->type[i], a->ntypes);
        for (int k = 0; k < 3; k++)
            if (!isfinite(a->x[3 * i + k]))
                return sf_error("%s: atom id %lld has a non-finite coordinate",
                                w, (long long)a->id[i]);
    }
    size_t *order = sf_malloc(a->n * sizeof *order);
    if (!order)
        return SF_ERR;
    sf_atoms_id_order(a, order);
    for (size_t i = 1; i < a->n; i++)
        if (a->id[order[i]] == a->id[order[i - 1]]) {
            long long id = (long long)a->id[order[i]];
            free(order);
            return sf_error("%s: duplicate atom id %lld", w, id);
        }
    free(order);
    return SF_OK;
}

/* Build a new configuration from index list idx[0..m). */
static sf_atoms *gather(const sf_atoms *a, const size_t *idx, size_t m)
{
    sf_atoms *b = sf_atoms_new(m, a->ntypes);
    if (!b)
        return NULL;
    if ((a->v && sf_atoms_ensure_velocities(b)) ||
        (a->image && sf_atoms_ensure_images(b)) ||
        (a->mass && sf_atoms_ensure_masses(b)))
        goto fail;
    for (size_t j = 0; j < m; j++) {
        size_t i = idx[j];
        b->id[j] = a->id[i];
        b->type[j] = a->type[i];
        memcpy(b->x + 3 * j, a->x + 3 * i, 3 * sizeof(double));
        if (a->v)
            memcpy(b->v + 3 * j, a->v + 3 * i, 3 * sizeof(double));
        if (a->image)
            memcpy(b->image + 3 * j, a->image + 3 * i, 3 * sizeof(int32_t));
    }
    if (a->mass)
        memcpy(b->mass, a->mass, (size_t)a->ntypes * sizeof *a->mass);
    for (int t = 0; t < a->ntypes; t++)
        if (a->species[t] && sf_atoms_set_species(b, t + 1, a->species[t]))
            goto fail;
    for (size_t c = 0; c < a->ncols; c++) {
        double *d = sf_atoms_add_column(b, a->cols[c].name, NULL);
        if (!d)
            goto fail;
        for (size_t j = 0; j < m; j++)
            d[j] = a->cols[c].data[idx[j]];
    }
    b->box = a->box;
    b->timestep = a->timestep;
    b->time = a->time;
    return b;
fail:
    sf_atoms_free(b);
    return NULL;
}

sf_atoms *sf_atoms_select(const sf_atoms *a, const unsigned char *keep)
{
    size_t m = 0;
    for (size_t i = 0; i < a->n; i++)
        m += keep[i] != 0;
    size_t *idx = sf_malloc(m * sizeof *idx);
    if (!idx)
        return NULL;
    for (size_t i = 0, j = 0; i < a->n; i++)
        if (keep[i])
            idx[j++] = i;
    sf_atoms *b = gather(a, idx, m);
    free(idx);
    return b;
}

int sf_atoms_sort_by_id(sf_atoms *a)
{
    /* Permute within the existing arrays: pointers into the configuration
     * (views held by the Lua layer) stay valid. */
    size_t *order = sf_malloc(a->n * sizeof *order);
    if (!order)
        return SF_ERR;
    sf_atoms_id_order(a, order);
    sf_atoms *b = gather(a, order, a->n);
    free(order);
    if (!b)
        return SF_ERR;
    size_t n = a->n;
    memcpy(a->id, b->id, n * sizeof *a->id);
    memcpy(a->type, b->type, n * sizeof *a->type);
    memcpy(a->x, b->x, 3 * n * sizeof *a->x);
    if (a->v)
        memcpy(a->v, b->v, 3 * n * sizeof *a->v);
    if (a->image)
        memcpy(a->image, b->image, 3 * n * sizeof *a->image);
    for (size_t c = 0; c < a->ncols; c++)
        memcpy(a->cols[c].data, b->cols[c].data, n * sizeof(double));
    sf_atoms_free(b);
    return SF_OK;
}

sf_atoms *sf_atoms_concat(const sf_atoms *a, const sf_atoms *b)
{
    /* Map b's types onto a's: by name when both named, else by number. */
    int ntypes = a->ntypes;
    int map[SF_MAX_TYPES + 1];
    for (int t = 1; t <= b->ntypes; t++) {
        const char *nm = b->species[t - 1];
        int u = nm ? sf_atoms_find_species(a, nm) : 0;
        if (!u && nm) {
            /* a named type a lacks: append it unless the number is free */
            if (t <= a->ntypes && !a->species[t - 1])
                u = t;
            else
                u = ++ntypes;
        } else if (!u) {
            u = t;
            if (u > ntypes)
                ntypes = u;
        }
        map[t] = u;
    }
    if (ntypes > SF_MAX_TYPES) {
        sf_error("too many types in concatenation");
        return NULL;
    }
    size_t n = a->n + b->n;
    sf_atoms *c = sf_atoms_new(n, ntypes);
    if (!c)
        return NULL;
    int64_t maxa = 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->id[i] > maxa)
            maxa = a->id[i];
    /* ids of b shift by maxa unless all of b's ids are already above it */
    int64_t minb = INT64_MAX;
    for (size_t i = 0; i < b->n; i++)
        if (b->id[i] < minb)
            minb = b->id[i];
    int64_t shift = (b->n && minb <= maxa) ? maxa : 0;
    if ((a->v || b->v) && sf_atoms_ensure_velocities(c))
        goto fail;
    if ((a->image || b->image) && sf_atoms_ensure_images(c))
        goto fail;
    for (size_t i = 0; i < a->n; i++) {
        c->id[i] = a->id[i];
        c->type[i] = a->type[i];
        memcpy(c->x + 3 * i, a->x + 3 * i, 3 * sizeof(double));
        if (a->v)
            memcpy(c->v + 3 * i, a->v + 3 * i, 3 * sizeof(double));
        if (a->image)
            memcpy(c->image + 3 * i, a->image + 3 * i, 3 * sizeof(int32_t));
    }
    for (size_t i = 0; i < b->n; i++) {
        size_t j = a->n + i;
        c->id[j] = b->id[i] + shift;
        c->type[j] = map[b->type[i]];
        memcpy(c->x + 3 * j, b->x + 3 * i, 3 * sizeof(double));
        if (b->v)
            memcpy(c->v + 3 * j, b->v + 3 * i, 3 * sizeof(double));
        if (b->image)
            memcpy(c->image + 3 * j, b->image + 3 * i, 3 * sizeof(int32_t));
    }
    for (int t = 1; t <= a->ntypes; t++)
        if (a->species[t - 1] && sf_atoms_set_species(c, t, a->species[t - 1]))
            goto fail;
    for (int t = 1; t <= b->ntypes; t++)
        if (b->species[t - 1] && !c->species[map[t] - 1] &&
            sf_atoms_set_species(c, map[t], b->species[t - 1]))
            goto fail;
    if (a->mass || b->mass) {
        if (sf_atoms_ensure_masses(c))
            goto fail;
        if (a->mass)
            memcpy(c->mass, a->mass, (size_t)a->ntypes * sizeof(double));
        if (b->mass)
            for (int t = 1; t <= b->ntypes; t++)
                if (c->mass[map[t] - 1] == 0.0)
                    c->mass[map[t] - 1] = b->mass[t - 1];
    }
    for (size_t k = 0; k < a->ncols; k++) {
        const double *db = sf_atoms_column(b, a->cols[k].name);
        if (!db)
            continue;
        double *d = sf_atoms_add_column(c, a->cols[k].name, NULL);
        if (!d)
            goto fail;
        memcpy(d, a->cols[k].data, a->n * sizeof *d);
        memcpy(d + a->n, db, b->n * sizeof *d);
    }
    c->box = a->box;
    c->timestep = a->timestep;
    c->time = a->time;
    return c;
fail:
    sf_atoms_free(c);
    return NULL;
}

sf_atoms *sf_atoms_replicate(const sf_atoms *a, int nx, int ny, int nz)
{
    if (nx < 1 || ny < 1 || nz < 1) {
        sf_error("replicate counts must be >= 1 (got %d %d %d)", nx, ny, nz);
        return NULL;
    }
    size_t copies = (size_t)nx * (size_t)ny * (size_t)nz;
    size_t n = a->n * copies;
    sf_atoms *c = sf_atoms_new(n, a->ntypes);
    if (!c)
        return NULL;
    if ((a->v && sf_atoms_ensure_velocities(c)) ||
        (a->mass && sf_atoms_ensure_masses(c)))
        goto fail;
    /* ids: keep the original ordering within a block, offset by block */
    int64_t maxid = 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->id[i] > maxid)
            maxid = a->id[i];
    const sf_box *bx = &a->box;
    size_t j = 0, block = 0;
    for (int k = 0; k < nz; k++)
        for (int jy = 0; jy < ny; jy++)
            for (int ix = 0; ix < nx; ix++, block++)
                for (size_t i = 0; i < a->n; i++, j++) {
                    const double *r = a->x + 3 * i;
                    c->id[j] = a->id[i] + (int64_t)block * maxid;
                    c->type[j] = a->type[i];
                    c->x[3 * j + 0] = r[0] + ix * bx->len[0] + jy * bx->xy +
                                      k * bx->xz;
                    c->x[3 * j + 1] = r[1] + jy * bx->len[1] + k * bx->yz;
                    c->x[3 * j + 2] = r[2] + k * bx->len[2];
                    if (a->v)
                        memcpy(c->v + 3 * j, a->v + 3 * i, 3 * sizeof(double));
                }
    for (int t = 0; t < a->ntypes; t++)
        if (a->species[t] && sf_atoms_set_species(c, t + 1, a->species[t]))
            goto fail;
    if (a->mass)
        memcpy(c->mass, a->mass, (size_t)a->ntypes * sizeof *a->mass);
    for (size_t col = 0; col < a->ncols; col++) {
        double *d = sf_atoms_add_column(c, a->cols[col].name, NULL);
        if (!d)
            goto fail;
        for (size_t b = 0; b < copies; b++)
            memcpy(d + b * a->n, a->cols[col].data, a->n * sizeof *d);
    }
    c->box = *bx;
    c->box.len[0] *= nx;
    c->box.len[1] *= ny;
    c->box.len[2] *= nz;
    c->box.xy *= ny;
    c->box.xz *= nz;
    c->box.yz *= nz;
    c->timestep = a->timestep;
    c->time = a->time;
    return c;
fail:
    sf_atoms_free(c);
    return NULL;
}

void sf_atoms_wrap(sf_atoms *a)
{
    for (size_t i = 0; i < a->n; i++)
        sf_box_wrap(&a->box, a->x + 3 * i, a->image ? a->image + 3 * i : NULL);
}
