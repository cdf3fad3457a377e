/* sf_neighbor.c - cell lists with cached stencils, and CSR neighbour
 * lists built from them (see sf_neighbor.h for the contract).
 *
 * Geometry.  The box matrix is upper triangular,
 *     x = lx s0 + xy s1 + xz s2,   y = ly s1 + yz s2,   z = lz s2,
 * so z depends on s2 only and y on (s1, s2).  Cells are a regular grid in
 * fractional coordinates, about as wide as the cutoff.  The grid is padded
 * along periodic directions with shifted images (below), so that a query
 * walks rows of cells along a, each one contiguous range of the cell-sorted
 * coordinate arrays, with no wrapping logic.  Which rows (and which range
 * of each) can hold a neighbour follows from conservative bounds on the
 * distance between two cells of the lattice of cells (a stencil, computed
 * once per radius); the hit test r^2 < rc^2 is exact.  Any number of
 * periodic images is found, also in boxes smaller than the cutoff.
 * Scans run four atoms at a time with AVX2 when the CPU has it. */
#include "sf_neighbor.h"
#include "sf_error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <sys/mman.h>
#include <stdatomic.h>
#include <stddef.h>

#ifdef _OPENMP
#include <omp.h>
#endif

static void choose_isa(void);
static pthread_once_t isa_once = PTHREAD_ONCE_INIT;

/* Padding.  The stored grid is padded: along a periodic direction it extends S cells
 * beyond each face, and the padding cells hold images of the atoms of the
 * cells they wrap onto, with the lattice shift already applied.  A query
 * then walks plain rows of the padded grid without any wrapping logic; a
 * row of cells along a is one contiguous range of entries.  S is the
 * largest cell offset a neighbour closer than rmax can have:
 * |ds_k| < rmax / w_k (w_k the perpendicular width), so
 * S_k = ceil(rmax / (w_k f_k)) for cells of fractional width f_k. */
/* A stencil: the rows of cells (offsets d1, d2 along b, c and a range
 * d0lo..d0hi along a, relative to an atom's cell) that can hold a point
 * closer than rc to some point of that cell.  Translation invariant, so
 * computed once per radius. */
typedef struct strow {
    int d0lo, d0hi, d1, d2;
    ptrdiff_t off;  /* padded-cell offset of (d0lo, d1, d2) */
    ptrdiff_t base; /* padded-cell offset of (0, d1, d2) */
} strow;

typedef struct stencil {
    double rc;
    int half;
    int nrows;
    strow *rows;
} stencil;

#define MAX_STENCILS 64
#define SCAN_PAD 8

struct sf_cells {
    size_t n;                /* atoms */
    size_t nent;             /* stored entries: atoms and images */
    int ngroups;
    int nc[3];               /* real cells */
    int S[3];                /* padding (0 along non-periodic directions) */
    int P[3];                /* padded cells: nc + 2 S */
    size_t npc;              /* padded cells per group */
    int per[3];              /* periodic along a, b, c */
    double o[3], f[3], invf[3]; /* cell k covers [o + k f, o + (k+1) f) */
    double lx, ly, lz, xy, xz, yz, ilx, ily, ilz;
    double rmax, margin;
    double *xs, *ys, *zs;    /* entry positions (relative to lo) */
    uint32_t *ent_atom;      /* entry -> atom */
    uint32_t *pos;           /* atom -> its own (unshifted) entry */
    uint32_t *order;         /* atoms in cell order */
    uint64_t *cellc;         /* atom -> real cell c0 | c1 << 21 | c2 << 42 */
    size_t *start;           /* ngroups * npc + 1 */
    /* capacities and workspace kept for rebuilds */
    size_t cap_n, cap_ent, cap_start, cap_keys;
    size_t *wkey, *wcnt;
    uint32_t *wsorted;
    int R[3];                /* stencil reach for rmax, in cells */
    int allper;              /* periodic in all three directions */
    /* stencils by (radius, half), built on first use */
    pthread_mutex_t lock;
    _Atomic int nst;
    stencil st[MAX_STENCILS];
};

/* Large arrays are aligned to 2 MiB and marked for transparent huge pages
 * (where the kernel leaves that to madvise): touching a fresh list then
 * costs one page fault per 2 MiB instead of one per 4 KiB, measured 1.5x
 * faster for a 1M-atom half list.  They are released with free() like any
 * other. */
static void *big_alloc(size_t bytes)
{
    if (bytes < ((size_t)8 << 20))
        return sf_malloc(bytes);
    void *p = NULL;
    size_t huge = (size_t)2 << 20;
    bytes = (bytes + huge - 1) / huge * huge;
    if (posix_memalign(&p, huge, bytes)) {
        sf_error("out of memory (%zu bytes)", bytes);
        return NULL;
    }
#ifdef MADV_HUGEPAGE
    /* not for huge arrays: finding that many free huge pages can stall
     * in compaction longer than the faults it saves */
    if (bytes <= ((size_t)256 << 20))
        madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return p;
}

void sf_nbuf_free(sf_nbuf *b)
{
    if (!b)
        return;
    free(b->j);
    free(b->d2);
    free(b->dx);
    free(b->dy);
    free(b->dz);
    memset(b, 0, sizeof *b);
}

/* Make room for at least need entries: what = 1 also dx, dy, dz; 0 j and
 * d2; -1 j only. */
static int nbuf_reserve(sf_nbuf *b, size_t need, int what)
{
    if (need <= b->cap && (what <= 0 || b->dx) && (what < 0 || b->d2))
        return SF_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    uint32_t *j = realloc(b->j, cap * sizeof *j);
    if (!j)
        return SF_ERR;
    b->j = j;
    if (what >= 0 || b->d2) {
        double *d2 = realloc(b->d2, cap * sizeof *d2);
        if (!d2)
            return SF_ERR;
        b->d2 = d2;
    }
    if (what > 0 || b->dx) {
        double *p[3] = {b->dx, b->dy, b->dz};
        for (int k = 0; k < 3; k++) {
            double *q = realloc(p[k], cap * sizeof *q);
            if (!q)
                return SF_ERR;
            p[k] = q;
            if (k == 0)
                b->dx = q;
            else if (k == 1)
                b->dy = q;
            else
                b->dz = q;
        }
    }
    b->cap = cap;
    return SF_OK;
}

void sf_cells_free(sf_cells *c)
{
    if (!c)
        return;
    free(c->xs);
    free(c->ys);
    free(c->zs);
    free(c->ent_atom);
    free(c->pos);
    free(c->order);
    free(c->cellc);
    free(c->start);
    free(c->wkey);
    free(c->wcnt);
    free(c->wsorted);
    for (int k = 0; k < c->nst; k++)
        free(c->st[k].rows);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

size_t sf_cells_count(const sf_cells *c) { return c->n; }
const uint32_t *sf_cells_order(const sf_cells *c) { return c->order; }
const uint32_t *sf_cells_atoms(const sf_cells *c) { return c->ent_atom; }
void sf_cells_shape(const sf_cells *c, int nc[3])
{
    nc[0] = c->nc[0];
    nc[1] = c->nc[1];
    nc[2] = c->nc[2];
}

static inline void to_frac(const sf_cells *c, double px, double py, double pz,
                           double s[3])
{
    s[2] = pz * c->ilz;
    s[1] = (py - c->yz * s[2]) * c->ily;
    s[0] = (px - c->xy * s[1] - c->xz * s[2]) * c->ilx;
}

static inline int cell_of(const sf_cells *c, int k, double s)
{
    double u = (s - c->o[k]) * c->invf[k];
    if (!(u >= 0.0)) /* also NaN */
        return 0;
    if (u >= c->nc[k])
        return c->nc[k] - 1;
    return (int)u;
}

/* The order in which atoms are visited: cells in tiles of TILE^3 (tile
 * after tile, x fastest inside a tile), atoms by index inside a cell, all
 * groups mixed.  Consecutive atoms then share almost all their stencil
 * rows, and the rows they touch fit in the L2 cache, instead of sweeping
 * whole layers of the box. */
#define TILE 4

static int tile_order(sf_cells *c)
{
    const size_t n = c->n;
    const size_t t0 = ((size_t)c->nc[0] + TILE - 1) / TILE;
    const size_t t1 = ((size_t)c->nc[1] + TILE - 1) / TILE;
    const size_t t2 = ((size_t)c->nc[2] + TILE - 1) / TILE;
    const size_t nkeys = t0 * t1 * t2 * TILE * TILE * TILE;
    size_t *cnt = sf_calloc(nkeys + 1, sizeof *cnt);
    uint32_t *kk = sf_malloc((n + 1) * sizeof *kk);
    if (!cnt || !kk) {
        free(cnt);
        free(kk);
        return SF_ERR;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t cid = c->cellc[i];
        size_t a = (size_t)(cid & 0x1fffff), b = (size_t)((cid >> 21) & 0x1fffff),
               d = (size_t)(cid >> 42);
        size_t tile = a / TILE + t0 * (b / TILE + t1 * (d / TILE));
        size_t in = a % TILE + TILE * (b % TILE + TILE * (d % TILE));
        size_t k = tile * TILE * TILE * TILE + in;
        kk[i] = (uint32_t)k;
        cnt[k + 1]++;
    }
    for (size_t k = 0; k < nkeys; k++)
        cnt[k + 1] += cnt[k];
    for (size_t i = 0; i < n; i++)
        c->order[cnt[kk[i]]++] = (uint32_t)i;
    free(cnt);
    free(kk);
    return SF_OK;
}

/* Grow an array to hold need elements (contents not kept). */
static int reserve(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap && *p)
        return SF_OK;
    free(*p);
    *p = big_alloc((need + 1) * elem);
    *cap = *p ? need : 0;
    return *p ? SF_OK : SF_ERR;
}

/* Wrapped position (relative to lo) and fractional coordinates of x:
 * whole lattice vectors subtracted along periodic directions. */
static inline void wrap_one(const sf_cells *c, const sf_box *box,
                            const double *x, double r[3], double s[3])
{
    r[0] = x[0] - box->lo[0];
    r[1] = x[1] - box->lo[1];
    r[2] = x[2] - box->lo[2];
    to_frac(c, r[0], r[1], r[2], s);
    double m[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++)
        if (c->per[k])
            m[k] = floor(s[k]);
    if (m[0] != 0 || m[1] != 0 || m[2] != 0) {
        r[0] -= m[0] * c->lx + m[1] * c->xy + m[2] * c->xz;
        r[1] -= m[1] * c->ly + m[2] * c->yz;
        r[2] -= m[2] * c->lz;
        to_frac(c, r[0], r[1], r[2], s);
    }
}

static inline long wrapdiv(long c, long nc, int per)
{
    if (!per)
        return 0;
    return c >= 0 ? c / nc : -((-c + nc - 1) / nc);
}

/* (Re)build c in place, reusing its arrays when they are large enough. */
static int cells_build(sf_cells *c, const sf_box *box, size_t n,
                       const double *x, const int32_t *group, int ngroups,
                       double rmax, double cell)
{
    if (!(rmax > 0.0) || !isfinite(rmax))
        return sf_error("cell list: cutoff %g must be positive and finite",
                        rmax);
    if (ngroups < 1)
        return sf_error("cell list: %d groups (need at least 1)", ngroups);
    if (n >= UINT32_MAX)
        return sf_error("cell list: %zu atoms exceed the limit of %u", n,
                        UINT32_MAX - 1);
    if (!(box->len[0] > 0 && box->len[1] > 0 && box->len[2] > 0))
        return sf_error("cell list: box has a non-positive length");
    /* stencils depend on the grid: forget them */
    for (int k = 0; k < c->nst; k++)
        free(c->st[k].rows);
    atomic_store(&c->nst, 0);

    c->n = n;
    c->ngroups = ngroups;
    c->lx = box->len[0];
    c->ly = box->len[1];
    c->lz = box->len[2];
    c->xy = box->xy;
    c->xz = box->xz;
    c->yz = box->yz;
    c->ilx = 1.0 / c->lx;
    c->ily = 1.0 / c->ly;
    c->ilz = 1.0 / c->lz;
    c->rmax = rmax;
    c->margin = 1e-10 * (rmax + c->lx + c->ly + c->lz + fabs(c->xy) +
                         fabs(c->xz) + fabs(c->yz));
    for (int k = 0; k < 3; k++) {
        c->per[k] = box->periodic[k] != 0;
        c->S[k] = 0;
    }
    c->allper = c->per[0] && c->per[1] && c->per[2];

    if (n > c->cap_n || !c->pos) {
        free(c->pos);
        free(c->order);
        free(c->cellc);
        free(c->wkey);
        free(c->wsorted);
        c->pos = big_alloc((n + 1) * sizeof *c->pos);
        c->order = big_alloc((n + 1) * sizeof *c->order);
        c->cellc = big_alloc((n + 1) * sizeof *c->cellc);
        c->wkey = big_alloc((n + 1) * sizeof *c->wkey);
        c->wsorted = big_alloc((n + 1) * sizeof *c->wsorted);
        c->cap_n = n;
        if (!c->pos || !c->order || !c->cellc || !c->wkey || !c->wsorted) {
            c->cap_n = 0;
            return SF_ERR;
        }
    }

    /* Checks, and the extent of open directions. */
    double smin[3] = {INFINITY, INFINITY, INFINITY};
    double smax[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (size_t i = 0; i < n; i++) {
        const double *xi = x + 3 * i;
        if (!(isfinite(xi[0]) && isfinite(xi[1]) && isfinite(xi[2])))
            return sf_error("cell list: atom %zu has a non-finite position",
                            i + 1);
        if (group && (group[i] < 0 || group[i] >= ngroups))
            return sf_error("cell list: atom %zu in group %d, not in 0..%d",
                            i + 1, (int)group[i], ngroups - 1);
        if (!c->allper) {
            double r[3], sv[3];
            wrap_one(c, box, xi, r, sv);
            for (int k = 0; k < 3; k++) {
                if (sv[k] < smin[k])
                    smin[k] = sv[k];
                if (sv[k] > smax[k])
                    smax[k] = sv[k];
            }
        }
    }

    /* Grid: cells about `cell` wide (perpendicular width), at most a few
     * per atom so that sparse boxes stay cheap. */
    double w[3];
    sf_box_widths(box, w);
    if (!(cell > 0) || !isfinite(cell))
        cell = rmax;
    if (cell < 1e-3 * rmax)
        cell = 1e-3 * rmax;
    double span[3];
    for (int k = 0; k < 3; k++) {
        if (c->per[k]) {
            c->o[k] = 0.0;
            span[k] = 1.0;
        } else {
            double lo = n ? smin[k] : 0.0, hi = n ? smax[k] : 1.0;
            double ext = hi - lo;
            if (!(ext > 0.0))
                ext = 1.0 / w[k]; /* all atoms in one plane: one cell */
            c->o[k] = lo;
            span[k] = ext;
        }
        double cells = floor(span[k] * w[k] / cell);
        if (cells < 1)
            cells = 1;
        if (cells > 1 << 20)
            cells = 1 << 20;
        c->nc[k] = (int)cells;
    }
    double capc = 4.0 * (double)n / ngroups + 64.0;
    for (;;) {
        double tot = (double)c->nc[0] * c->nc[1] * c->nc[2];
        if (tot <= capc)
            break;
        double shrink = cbrt(tot / capc) * 1.0001;
        for (int k = 0; k < 3; k++) {
            int v = (int)(c->nc[k] / shrink);
            c->nc[k] = v < 1 ? 1 : v;
        }
    }
    double copies = 1.0;
    for (int k = 0; k < 3; k++) {
        c->f[k] = span[k] / c->nc[k];
        c->invf[k] = c->nc[k] / span[k];
        double reach = ceil((rmax + c->margin) / (w[k] * c->f[k]));
        if (c->per[k]) {
            if (reach > 1 << 20)
                return sf_error("cell list: cutoff %g is too large for a box "
                                "%g wide",
                                rmax, w[k]);
            c->S[k] = (int)reach;
            c->R[k] = c->S[k];
        } else {
            c->R[k] = reach > c->nc[k] - 1 ? c->nc[k] - 1 : (int)reach;
        }
        c->P[k] = c->nc[k] + 2 * c->S[k];
        copies *= (double)c->P[k] / c->nc[k];
    }
    if (copies * (double)n > 4e9 || copies * ngroups * c->P[0] > 1e12)
        return sf_error("cell list: cutoff %g needs %.3g periodic images of "
                        "each atom (box too small for it)",
                        rmax, copies);
    const size_t ncr = (size_t)c->nc[0] * c->nc[1] * c->nc[2];
    c->npc = (size_t)c->P[0] * c->P[1] * c->P[2];
    const size_t nkeys = (size_t)ngroups * ncr;
    if (reserve((void **)&c->wcnt, &c->cap_keys, nkeys + 1, sizeof *c->wcnt))
        return SF_ERR;
    if (reserve((void **)&c->start, &c->cap_start, (size_t)ngroups * c->npc + 1,
                sizeof *c->start))
        return SF_ERR;
    size_t *cnt = c->wcnt;
    memset(cnt, 0, (nkeys + 1) * sizeof *cnt);

    /* Counting sort of the atoms by (group, real cell): stable, so atoms
     * keep index order inside a cell. */
    for (size_t i = 0; i < n; i++) {
        double r[3], sv[3];
        wrap_one(c, box, x + 3 * i, r, sv);
        uint64_t a0 = (uint64_t)cell_of(c, 0, sv[0]);
        uint64_t a1 = (uint64_t)cell_of(c, 1, sv[1]);
        uint64_t a2 = (uint64_t)cell_of(c, 2, sv[2]);
        c->cellc[i] = a0 | a1 << 21 | a2 << 42;
        size_t k = (group ? (size_t)group[i] * ncr : 0) +
                   (size_t)a0 + (size_t)c->nc[0] * ((size_t)a1 + (size_t)c->nc[1] * a2);
        c->wkey[i] = k;
        cnt[k + 1]++;
    }
    for (size_t k = 0; k < nkeys; k++)
        cnt[k + 1] += cnt[k];
    for (size_t i = 0; i < n; i++)
        c->wsorted[cnt[c->wkey[i]]++] = (uint32_t)i;
    /* now cnt[k] is the end of key k; its start is cnt[k-1] (0 for k=0) */

    /* Padded grid: count, then fill with shifted copies. */
    size_t total = 0;
    for (int g = 0; g < ngroups; g++)
        for (int u2 = 0; u2 < c->P[2]; u2++) {
            long c2 = u2 - c->S[2], m2 = wrapdiv(c2, c->nc[2], c->per[2]);
            long w2 = c2 - m2 * c->nc[2];
            for (int u1 = 0; u1 < c->P[1]; u1++) {
                long c1 = u1 - c->S[1], m1 = wrapdiv(c1, c->nc[1], c->per[1]);
                long w1 = c1 - m1 * c->nc[1];
                size_t prow = (size_t)g * c->npc +
                              (size_t)c->P[0] * ((size_t)u1 + (size_t)c->P[1] * u2);
                size_t kr = (size_t)g * ncr + (size_t)c->nc[0] * ((size_t)w1 + (size_t)c->nc[1] * w2);
                for (int u0 = 0; u0 < c->P[0]; u0++) {
                    long c0 = u0 - c->S[0], m0 = wrapdiv(c0, c->nc[0], c->per[0]);
                    size_t k = kr + (size_t)(c0 - m0 * c->nc[0]);
                    size_t kb = k ? cnt[k - 1] : 0;
                    c->start[prow + u0] = total;
                    total += cnt[k] - kb;
                }
            }
        }
    c->start[(size_t)ngroups * c->npc] = total;
    c->nent = total;
    /* SCAN_PAD entries after the last one: vector scans may read past the
     * end of a range (far-away values, never hits) */
    if (total + SCAN_PAD > c->cap_ent || !c->xs) {
        free(c->xs);
        free(c->ys);
        free(c->zs);
        free(c->ent_atom);
        size_t m = total + SCAN_PAD;
        c->xs = big_alloc(m * sizeof *c->xs);
        c->ys = big_alloc(m * sizeof *c->ys);
        c->zs = big_alloc(m * sizeof *c->zs);
        c->ent_atom = big_alloc(m * sizeof *c->ent_atom);
        c->cap_ent = m;
        if (!c->xs || !c->ys || !c->zs || !c->ent_atom) {
            c->cap_ent = 0;
            return SF_ERR;
        }
    }
    for (size_t k = total; k < total + SCAN_PAD; k++) {
        c->xs[k] = c->ys[k] = c->zs[k] = 1e150;
        c->ent_atom[k] = 0;
    }
    size_t e = 0;
    for (int g = 0; g < ngroups; g++)
        for (int u2 = 0; u2 < c->P[2]; u2++) {
            long c2 = u2 - c->S[2], m2 = wrapdiv(c2, c->nc[2], c->per[2]);
            long w2 = c2 - m2 * c->nc[2];
            for (int u1 = 0; u1 < c->P[1]; u1++) {
                long c1 = u1 - c->S[1], m1 = wrapdiv(c1, c->nc[1], c->per[1]);
                long w1 = c1 - m1 * c->nc[1];
                size_t kr = (size_t)g * ncr + (size_t)c->nc[0] * ((size_t)w1 + (size_t)c->nc[1] * w2);
                for (int u0 = 0; u0 < c->P[0]; u0++) {
                    long c0 = u0 - c->S[0], m0 = wrapdiv(c0, c->nc[0], c->per[0]);
                    size_t k = kr + (size_t)(c0 - m0 * c->nc[0]);
                    size_t kb = k ? cnt[k - 1] : 0;
                    double tx = m0 * c->lx + m1 * c->xy + m2 * c->xz;
                    double ty = m1 * c->ly + m2 * c->yz;
                    double tz = m2 * c->lz;
                    int zero = m0 == 0 && m1 == 0 && m2 == 0;
                    for (size_t q = kb; q < cnt[k]; q++, e++) {
                        uint32_t i = c->wsorted[q];
                        double r[3], sv[3];
                        wrap_one(c, box, x + 3 * i, r, sv);
                        c->ent_atom[e] = i;
                        if (zero) {
                            c->xs[e] = r[0];
                            c->ys[e] = r[1];
                            c->zs[e] = r[2];
                            c->pos[i] = (uint32_t)e;
                        } else {
                            c->xs[e] = r[0] + tx;
                            c->ys[e] = r[1] + ty;
                            c->zs[e] = r[2] + tz;
                        }
                    }
                }
            }
        }
    return tile_order(c);
}

sf_cells *sf_cells_new(const sf_box *box, size_t n, const double *x,
                       const int32_t *group, int ngroups, double rmax)
{
    return sf_cells_new_sized(box, n, x, group, ngroups, rmax, 0.0);
}

sf_cells *sf_cells_new_sized(const sf_box *box, size_t n, const double *x,
                             const int32_t *group, int ngroups, double rmax,
                             double cell)
{
    pthread_once(&isa_once, choose_isa);
    sf_cells *c = sf_calloc(1, sizeof *c);
    if (!c)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    atomic_init(&c->nst, 0);
    if (cells_build(c, box, n, x, group, ngroups, rmax, cell)) {
        sf_cells_free(c);
        return NULL;
    }
    return c;
}

int sf_cells_rebuild(sf_cells *c, const sf_box *box, size_t n, const double *x,
                     const int32_t *group, int ngroups, double rmax,
                     double cell)
{
    return cells_build(c, box, n, x, group, ngroups, rmax, cell);
}

/* ---- the query ----------------------------------------------------------- */

enum { MODE_COUNT, MODE_STORE, MODE_VEC, MODE_IDX, MODE_D2 };

/* Distance of v from the interval [a, b] (0 inside). */
static inline double dist_to(double v, double a, double b)
{
    return v < a ? a - v : (v > b ? v - b : 0.0);
}

static inline double dmin(double a, double b) { return a < b ? a : b; }
static inline double dmax(double a, double b) { return a > b ? a : b; }

/* Scan entries [b, e) against the centre (cx, cy, cz): append the hits
 * (r^2 < rc2) to nb from position m (count them in MODE_COUNT), never the
 * entry `skip` (the atom itself; (size_t)-1 for none).  The store modes
 * may write up to 4 entries past the hits: callers reserve 4 extra.  Both
 * versions compute r^2 = (dx dx + dy dy) + dz dz with plain IEEE operations
 * (no fused multiply-add), so they give the same bits and the same hits. */
typedef size_t (*scan_fn)(const sf_cells *c, size_t b, size_t e, size_t skip,
                          double cx, double cy, double cz, double rc2,
                          int mode, sf_nbuf *nb, size_t m);

static inline __attribute__((always_inline)) size_t
scan_range(const sf_cells *c, size_t b, size_t e, double cx, double cy,
           double cz, double rc2, int mode, sf_nbuf *nb, size_t m)
{
    const double *xs = c->xs, *ys = c->ys, *zs = c->zs;
    if (mode == MODE_COUNT) {
        size_t cnt = 0;
        for (size_t k = b; k < e; k++) {
            double dx = xs[k] - cx, dy = ys[k] - cy, dz = zs[k] - cz;
            cnt += dx * dx + dy * dy + dz * dz < rc2;
        }
        return m + cnt;
    }
    if (mode == MODE_D2) {
        double *D2 = nb->d2;
        for (size_t k = b; k < e; k++) {
            double dx = xs[k] - cx, dy = ys[k] - cy, dz = zs[k] - cz;
            double r2 = dx * dx + dy * dy + dz * dz;
            D2[m] = r2;
            m += r2 < rc2;
        }
        return m;
    }
    uint32_t *J = nb->j;
    if (mode == MODE_IDX) {
        for (size_t k = b; k < e; k++) {
            double dx = xs[k] - cx, dy = ys[k] - cy, dz = zs[k] - cz;
            J[m] = (uint32_t)k;
            m += dx * dx + dy * dy + dz * dz < rc2;
        }
        return m;
    }
    double *D2 = nb->d2;
    if (mode == MODE_STORE) {
        for (size_t k = b; k < e; k++) {
            double dx = xs[k] - cx, dy = ys[k] - cy, dz = zs[k] - cz;
            double r2 = dx * dx + dy * dy + dz * dz;
            J[m] = (uint32_t)k;
            D2[m] = r2;
            m += r2 < rc2;
        }
        return m;
    }
    double *DX = nb->dx, *DY = nb->dy, *DZ = nb->dz;
    for (size_t k = b; k < e; k++) {
        double dx = xs[k] - cx, dy = ys[k] - cy, dz = zs[k] - cz;
        double r2 = dx * dx + dy * dy + dz * dz;
        J[m] = (uint32_t)k;
        D2[m] = r2;
        DX[m] = dx;
        DY[m] = dy;
        DZ[m] = dz;
        m += r2 < rc2;
    }
    return m;
}

static inline __attribute__((always_inline)) size_t
scan_generic(const sf_cells *c, size_t b, size_t e, size_t skip, double cx,
             double cy, double cz, double rc2, int mode, sf_nbuf *nb, size_t m)
{
    if (skip >= b && skip < e) {
        m = scan_range(c, b, skip, cx, cy, cz, rc2, mode, nb, m);
        return scan_range(c, skip + 1, e, cx, cy, cz, rc2, mode, nb, m);
    }
    return scan_range(c, b, e, cx, cy, cz, rc2, mode, nb, m);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define SF_HAVE_AVX2_PATH 1
#include <immintrin.h>

/* Left-packing permutations for a 4-lane hit mask: lanes of doubles (as
 * pairs of 32-bit words) and of 32-bit integers. */
static int32_t perm_pd[16][8], perm_epi[16][8];

static void init_perms(void)
{
    for (int mask = 0; mask < 16; mask++) {
        int k = 0;
        for (int l = 0; l < 4; l++)
            if (mask & (1 << l)) {
                perm_pd[mask][2 * k] = 2 * l;
                perm_pd[mask][2 * k + 1] = 2 * l + 1;
                perm_epi[mask][k] = l;
                k++;
            }
        for (; k < 4; k++) {
            perm_pd[mask][2 * k] = 0;
            perm_pd[mask][2 * k + 1] = 1;
            perm_epi[mask][k] = 0;
        }
        for (k = 4; k < 8; k++)
            perm_epi[mask][k] = 0;
    }
}

static inline __attribute__((always_inline, target("avx2"))) __m256d
pack_pd(__m256d v, __m256i perm)
{
    return _mm256_castps_pd(
        _mm256_permutevar8x32_ps(_mm256_castpd_ps(v), perm));
}

/* Four entries at a time, branch-free: the last group may read up to 3
 * entries past e (valid memory: other cells or the padding), masked off
 * like the skipped entry. */
static inline __attribute__((always_inline, target("avx2"))) size_t
scan_avx2(const sf_cells *c, size_t b, size_t e, size_t skip, double cx,
          double cy, double cz, double rc2, int mode, sf_nbuf *nb, size_t m)
{
    const double *xs = c->xs, *ys = c->ys, *zs = c->zs;
    const __m256d vcx = _mm256_set1_pd(cx), vcy = _mm256_set1_pd(cy);
    const __m256d vcz = _mm256_set1_pd(cz), vrc2 = _mm256_set1_pd(rc2);
    uint32_t *J = mode == MODE_COUNT || mode == MODE_D2 ? NULL : nb->j;
    double *D2 = mode == MODE_COUNT || mode == MODE_IDX ? NULL : nb->d2;
    const __m128i step = _mm_set_epi32(3, 2, 1, 0);
    size_t cnt = 0;
    for (size_t k = b; k < e; k += 4) {
        __m256d dx = _mm256_sub_pd(_mm256_loadu_pd(xs + k), vcx);
        __m256d dy = _mm256_sub_pd(_mm256_loadu_pd(ys + k), vcy);
        __m256d dz = _mm256_sub_pd(_mm256_loadu_pd(zs + k), vcz);
        __m256d r2 = _mm256_add_pd(
            _mm256_add_pd(_mm256_mul_pd(dx, dx), _mm256_mul_pd(dy, dy)),
            _mm256_mul_pd(dz, dz));
        unsigned mask =
            (unsigned)_mm256_movemask_pd(_mm256_cmp_pd(r2, vrc2, _CMP_LT_OQ));
        size_t left = e - k;
        mask &= left >= 4 ? 15u : (1u << left) - 1u;
        size_t off = skip - k; /* huge unless skip is in this group */
        mask &= off < 4 ? ~(1u << (off & 3)) : 15u;
        if (mode == MODE_COUNT) {
            cnt += (size_t)__builtin_popcount(mask);
            continue;
        }
        if (mode == MODE_D2) {
            __m256i pp = _mm256_loadu_si256((const __m256i *)perm_pd[mask]);
            _mm256_storeu_pd(D2 + m, pack_pd(r2, pp));
            m += (size_t)__builtin_popcount(mask);
            continue;
        }
        __m256i pe = _mm256_loadu_si256((const __m256i *)perm_epi[mask]);
        __m128i idx = _mm_add_epi32(_mm_set1_epi32((int)(uint32_t)k), step);
        _mm_storeu_si128((__m128i *)(J + m),
                         _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(
                             _mm256_castsi128_si256(idx), pe)));
        if (mode == MODE_IDX) {
            m += (size_t)__builtin_popcount(mask);
            continue;
        }
        __m256i pp = _mm256_loadu_si256((const __m256i *)perm_pd[mask]);
        _mm256_storeu_pd(D2 + m, pack_pd(r2, pp));
        if (mode == MODE_VEC) {
            _mm256_storeu_pd(nb->dx + m, pack_pd(dx, pp));
            _mm256_storeu_pd(nb->dy + m, pack_pd(dy, pp));
            _mm256_storeu_pd(nb->dz + m, pack_pd(dz, pp));
        }
        m += (size_t)__builtin_popcount(mask);
    }
    return mode == MODE_COUNT ? m + cnt : m;
}
#endif

/* Build the stencil for radius rc (<= rmax): rows (d1, d2) and the range
 * of d0 for which the Minkowski difference of two cells comes closer than
 * rc.  Fractional offsets between points of cells d apart lie in
 * [(d-1) f, (d+1) f]; z depends on s2 only, y on (s1, s2), x on all three,
 * which gives conservative lower bounds on |dz| and |dy| for a row and the
 * exact-or-wider range of d0 for it. */
static int stencil_build(const sf_cells *c, double rc, int half, stencil *st)
{
    const double rcs = rc + c->margin, rcs2 = rcs * rcs;
    const int R0 = c->R[0], R1 = c->R[1], R2 = c->R[2];
    const double L0 = c->lx * c->f[0];
    size_t cap = (size_t)(2 * R1 + 1) * (size_t)(2 * R2 + 1);
    st->rows = sf_malloc(cap * sizeof *st->rows);
    if (!st->rows)
        return SF_ERR;
    st->rc = rc;
    st->half = half;
    st->nrows = 0;
    for (int d2 = half ? 0 : -R2; d2 <= R2; d2++) {
        double a2 = (d2 - 1) * c->f[2], b2 = (d2 + 1) * c->f[2];
        double dz = c->lz * dist_to(0.0, a2, b2);
        double rem = rcs2 - dz * dz;
        if (rem < 0)
            continue;
        double ty0 = dmin(c->yz * a2, c->yz * b2), ty1 = dmax(c->yz * a2, c->yz * b2);
        double tx0 = dmin(c->xz * a2, c->xz * b2), tx1 = dmax(c->xz * a2, c->xz * b2);
        for (int d1 = (half && d2 == 0) ? 0 : -R1; d1 <= R1; d1++) {
            double a1 = (d1 - 1) * c->f[1], b1 = (d1 + 1) * c->f[1];
            double dy = dist_to(0.0, c->ly * a1 + ty0, c->ly * b1 + ty1);
            double rem2 = rem - dy * dy;
            if (rem2 < 0)
                continue;
            double ex = sqrt(rem2);
            double umin = dmin(c->xy * a1, c->xy * b1) + tx0;
            double umax = dmax(c->xy * a1, c->xy * b1) + tx1;
            long lo = (long)floor((-ex - umax) / L0);
            long hi = (long)ceil((ex - umin) / L0);
            if (lo < -R0)
                lo = -R0;
            if (hi > R0)
                hi = R0;
            if (half && d2 == 0 && d1 == 0)
                lo = 0;
            if (lo > hi)
                continue;
            strow *r = st->rows + st->nrows++;
            r->d0lo = (int)lo;
            r->d0hi = (int)hi;
            r->d1 = d1;
            r->d2 = d2;
            r->base = (ptrdiff_t)c->P[0] * ((ptrdiff_t)d1 + (ptrdiff_t)c->P[1] * d2);
            r->off = (ptrdiff_t)lo + r->base;
        }
    }
    return SF_OK;
}

/* The cached stencil for (rc, half); built under the lock on first use.
 * When the cache is full the stencil of rmax serves (a superset). */
static const stencil *stencil_get(sf_cells *c, double rc, int half)
{
    int k = atomic_load_explicit(&c->nst, memory_order_acquire);
    for (int q = 0; q < k; q++)
        if (c->st[q].rc == rc && c->st[q].half == half)
            return c->st + q;
    pthread_mutex_lock(&c->lock);
    const stencil *res = NULL;
    k = atomic_load_explicit(&c->nst, memory_order_relaxed);
    for (int q = 0; q < k; q++)
        if (c->st[q].rc == rc && c->st[q].half == half)
            res = c->st + q;
    if (!res && k < MAX_STENCILS &&
        stencil_build(c, k == MAX_STENCILS - 1 ? c->rmax : rc, half,
                      c->st + k) == SF_OK) {
        res = c->st + k;
        atomic_store_explicit(&c->nst, k + 1, memory_order_release);
    }
    if (!res) /* full: the largest radius of this half-ness */
        for (int q = 0; q < k; q++)
            if (c->st[q].half == half && c->st[q].rc >= rc &&
                (!res || c->st[q].rc > res->rc))
                res = c->st + q;
    pthread_mutex_unlock(&c->lock);
    return res;
}

/* Visit the neighbours of atom i with the rows of st.  Returns the new
 * entry count (or the count), or (size_t)-1 on allocation failure. */
static inline __attribute__((always_inline)) size_t
traverse_t(const sf_cells *c, const stencil *st, size_t i, int g, double rc,
           int mode, sf_nbuf *nb, scan_fn scan)
{
    const int vec = mode == MODE_VEC ? 1 : (mode == MODE_IDX ? -1 : 0);
    const int half = st->half;
    size_t m = mode == MODE_COUNT ? 0 : nb->n;
    const size_t si = c->pos[i];
    const double px = c->xs[si], py = c->ys[si], pz = c->zs[si];
    const double rc2 = rc * rc;
    const int g0 = g < 0 ? 0 : g, g1 = g < 0 ? c->ngroups - 1 : g;
    const uint64_t cid = c->cellc[i];
    const long ci0 = (long)(cid & 0x1fffff);
    const long ci1 = (long)((cid >> 21) & 0x1fffff);
    const long ci2 = (long)(cid >> 42);
    const long P0 = c->P[0], P1 = c->P[1];
    const ptrdiff_t pc = (ptrdiff_t)(ci0 + c->S[0]) +
                         (ptrdiff_t)P0 * ((ptrdiff_t)(ci1 + c->S[1]) +
                                          (ptrdiff_t)P1 * (ci2 + c->S[2]));
    const strow *rows = st->rows;
    for (int q = 0; q < st->nrows; q++) {
        long lo = rows[q].d0lo, hi = rows[q].d0hi;
        if (!c->allper) {
            /* no padding along open directions: clip the row */
            long c1 = ci1 + rows[q].d1, c2 = ci2 + rows[q].d2;
            if (!c->per[1] && (c1 < 0 || c1 >= c->nc[1]))
                continue;
            if (!c->per[2] && (c2 < 0 || c2 >= c->nc[2]))
                continue;
            if (!c->per[0]) {
                if (ci0 + lo < 0)
                    lo = -ci0;
                if (ci0 + hi > c->nc[0] - 1)
                    hi = c->nc[0] - 1 - ci0;
            }
            if (lo > hi)
                continue;
        }
        ptrdiff_t at = pc + rows[q].base + lo;
        long len = hi - lo + 1;
        int centre = half && rows[q].d1 == 0 && rows[q].d2 == 0 && lo == 0;
        for (int gg = g0; gg <= g1; gg++) {
            const size_t *sp = c->start + (size_t)gg * c->npc + at;
            size_t b = sp[0], e = sp[len];
            if (centre) {
                /* own cell (first of the row): only entries after i */
                size_t ce = sp[1];
                size_t cb = b > si + 1 ? b : si + 1;
                if (cb < ce) {
                    if (mode != MODE_COUNT &&
                        nbuf_reserve(nb, m + (ce - cb) + 4, vec))
                        return (size_t)-1;
                    m = scan(c, cb, ce, (size_t)-1, px, py, pz, rc2, mode,
                             nb, m);
                }
                b = ce;
            }
            if (b >= e)
                continue;
            if (mode != MODE_COUNT && nbuf_reserve(nb, m + (e - b) + 4, vec))
                return (size_t)-1;
            /* never the atom itself (its images are other entries) */
            m = scan(c, b, e, si, px, py, pz, rc2, mode, nb, m);
        }
    }
    return m;
}

/* One specialised traversal per mode and instruction set; the AVX2 ones are
 * used when the CPU has AVX2 (SF_NO_AVX2=1 in the environment forces the
 * generic code, which gives the same results). */
#define TRAVERSE_VARIANT(name, mode, scanner, attr)                           \
    static attr size_t name(const sf_cells *c, const stencil *st, size_t i,  \
                            int g, double rc, sf_nbuf *nb)                   \
    {                                                                        \
        return traverse_t(c, st, i, g, rc, mode, nb, scanner);               \
    }
TRAVERSE_VARIANT(trav_count_gen, MODE_COUNT, scan_generic, )
TRAVERSE_VARIANT(trav_store_gen, MODE_STORE, scan_generic, )
TRAVERSE_VARIANT(trav_vec_gen, MODE_VEC, scan_generic, )
TRAVERSE_VARIANT(trav_idx_gen, MODE_IDX, scan_generic, )
TRAVERSE_VARIANT(trav_d2_gen, MODE_D2, scan_generic, )
#ifdef SF_HAVE_AVX2_PATH
TRAVERSE_VARIANT(trav_count_avx2, MODE_COUNT, scan_avx2, __attribute__((target("avx2"))))
TRAVERSE_VARIANT(trav_store_avx2, MODE_STORE, scan_avx2, __attribute__((target("avx2"))))
TRAVERSE_VARIANT(trav_vec_avx2, MODE_VEC, scan_avx2, __attribute__((target("avx2"))))
TRAVERSE_VARIANT(trav_idx_avx2, MODE_IDX, scan_avx2, __attribute__((target("avx2"))))
TRAVERSE_VARIANT(trav_d2_avx2, MODE_D2, scan_avx2, __attribute__((target("avx2"))))
#endif

typedef size_t (*trav_fn)(const sf_cells *, const stencil *, size_t, int,
                          double, sf_nbuf *);
static trav_fn trav_table[5] = {trav_count_gen, trav_store_gen, trav_vec_gen,
                                trav_idx_gen, trav_d2_gen};

static void choose_isa(void)
{
#ifdef SF_HAVE_AVX2_PATH
    const char *no = getenv("SF_NO_AVX2");
    if (__builtin_cpu_supports("avx2") && !(no && *no && *no != '0')) {
        init_perms();
        trav_table[0] = trav_count_avx2;
        trav_table[1] = trav_store_avx2;
        trav_table[2] = trav_vec_avx2;
        trav_table[3] = trav_idx_avx2;
        trav_table[4] = trav_d2_avx2;
    }
#endif
}

static inline size_t traverse(const sf_cells *c, const stencil *st, size_t i,
                              int g, double rc, int mode, sf_nbuf *nb)
{
    return trav_table[mode](c, st, i, g, rc, nb);
}

int sf_cells_query(const sf_cells *c, size_t i, int g, double rc, int flags,
                   sf_nbuf *b)
{
    int half = (flags & SF_CELLS_HALF) != 0;
    if (!(rc <= c->rmax) || g >= c->ngroups)
        return sf_error("neighbour query: radius %g above the cell list's "
                        "%g, or group %d of %d",
                        rc, c->rmax, g, c->ngroups);
    const stencil *st = stencil_get((sf_cells *)c, rc, half);
    if (!st)
        return sf_error("neighbour query: out of memory");
    int mode = (flags & SF_CELLS_VEC) ? MODE_VEC
               : (flags & SF_CELLS_D2ONLY) ? MODE_D2 : MODE_STORE;
    size_t m = traverse(c, st, i, g, rc, mode, b);
    if (m == (size_t)-1)
        return sf_error("neighbour query: out of memory");
    b->n = m;
    return SF_OK;
}

size_t sf_cells_count_within(const sf_cells *c, size_t i, int g, double rc,
                             int flags)
{
    if (!(rc <= c->rmax) || g >= c->ngroups)
        return (size_t)-1;
    const stencil *st =
        stencil_get((sf_cells *)c, rc, (flags & SF_CELLS_HALF) != 0);
    if (!st)
        return (size_t)-1;
    return traverse(c, st, i, g, rc, MODE_COUNT, NULL);
}

/* ---- CSR neighbour lists ------------------------------------------------- */


void sf_neighbor_free(sf_neighbor_list *nl)
{
    if (!nl)
        return;
    sf_cells_free(nl->cells);
    for (size_t q = 0; q < nl->nwork; q++)
        sf_nbuf_free(nl->work + q);
    free(nl->work);
    free(nl->offsets);
    free(nl->j);
    free(nl->dist);
    free(nl->vec);
    free(nl);
}

size_t sf_neighbor_bytes(const sf_neighbor_list *nl)
{
    size_t b = sizeof *nl + (nl->n + 1) * sizeof *nl->offsets;
    b += nl->npairs * (sizeof *nl->j + sizeof *nl->dist);
    if (nl->vec)
        b += 3 * nl->npairs * sizeof *nl->vec;
    return b;
}

#define CHUNK_ATOMS 4096

/* One traversal that records only the entry index of every neighbour
 * (4 bytes a pair), in one buffer per block of CHUNK_ATOMS atoms of the
 * cell order; then, with every row length known, a second sweep turns the
 * indices into atom indices, distances and vectors at their final place
 * (recomputed with the same operations as the hit test, so the same
 * bits).  Cheaper than traversing twice, and the extra memory is a third
 * of the list at most.  Arrays (and the index buffers, with keep) already
 * in nl are reused when large enough (sf_neighbor_update). */
static int build_list(const sf_cells *c, const stencil *st,
                      sf_neighbor_list *nl, int want_vec, int keep)
{
    const size_t n = nl->n;
    const size_t nch = (n + CHUNK_ATOMS - 1) / CHUNK_ATOMS;
    if (nch > nl->nwork) {
        sf_nbuf *w = sf_realloc(nl->work, (nch + 1) * sizeof *w);
        if (!w)
            return SF_ERR;
        memset(w + nl->nwork, 0, (nch + 1 - nl->nwork) * sizeof *w);
        nl->work = w;
        nl->nwork = nch;
    }
    sf_nbuf *ch = nl->work;
    const uint32_t *order = c->order;
    const double rc = nl->cutoff;
    int failed = 0;
    long long nc = (long long)nch;
    nl->offsets[0] = 0;
#pragma omp parallel for schedule(dynamic, 1)
    for (long long q = 0; q < nc; q++) {
        if (failed)
            continue;
        sf_nbuf *k = ch + q;
        k->n = 0;
        size_t s0 = (size_t)q * CHUNK_ATOMS;
        size_t s1 = s0 + CHUNK_ATOMS < n ? s0 + CHUNK_ATOMS : n;
        for (size_t s = s0; s < s1; s++) {
            uint32_t i = order[s];
            size_t before = k->n;
            size_t m = traverse(c, st, i, 0, rc, MODE_IDX, k);
            if (m == (size_t)-1) {
#pragma omp atomic write
                failed = 1;
                break;
            }
            k->n = m;
            nl->offsets[i + 1] = m - before;
        }
    }
    if (failed)
        return sf_error("neighbour list: out of memory");
    for (size_t i = 0; i < n; i++)
        nl->offsets[i + 1] += nl->offsets[i];
    nl->npairs = nl->offsets[n];
    if (nl->npairs > nl->cap || (want_vec && !nl->vec)) {
        free(nl->j);
        free(nl->dist);
        free(nl->vec);
        nl->vec = NULL;
        nl->cap = 0;
        nl->j = big_alloc((nl->npairs + 1) * sizeof *nl->j);
        nl->dist = big_alloc((nl->npairs + 1) * sizeof *nl->dist);
        if (want_vec)
            nl->vec = big_alloc((3 * nl->npairs + 1) * sizeof *nl->vec);
        if (!nl->j || !nl->dist || (want_vec && !nl->vec))
            return SF_ERR;
        nl->cap = nl->npairs;
    }
    const double *xs = c->xs, *ys = c->ys, *zs = c->zs;
    const uint32_t *atom = c->ent_atom;
#pragma omp parallel for schedule(dynamic, 1)
    for (long long q = 0; q < nc; q++) {
        sf_nbuf *k = ch + q;
        size_t s0 = (size_t)q * CHUNK_ATOMS;
        size_t s1 = s0 + CHUNK_ATOMS < n ? s0 + CHUNK_ATOMS : n;
        const uint32_t *jj = k->j;
        for (size_t s = s0; s < s1; s++) {
            uint32_t i = order[s];
            size_t o = nl->offsets[i], m = nl->offsets[i + 1] - o;
            size_t si = c->pos[i];
            const double px = xs[si], py = ys[si], pz = zs[si];
            uint32_t *J = nl->j + o;
            double *D = nl->dist + o;
            for (size_t t = 0; t < m; t++) {
                uint32_t e = jj[t];
                double dx = xs[e] - px, dy = ys[e] - py, dz = zs[e] - pz;
                J[t] = atom[e];
                D[t] = sqrt(dx * dx + dy * dy + dz * dz);
            }
            if (want_vec) {
                double *V = nl->vec + 3 * o;
                for (size_t t = 0; t < m; t++) {
                    uint32_t e = jj[t];
                    V[3 * t] = xs[e] - px;
                    V[3 * t + 1] = ys[e] - py;
                    V[3 * t + 2] = zs[e] - pz;
                }
            }
            jj += m;
        }
        if (!keep)
            sf_nbuf_free(k);
    }
    if (!keep) {
        free(nl->work);
        nl->work = NULL;
        nl->nwork = 0;
    }
    return SF_OK;
}

/* Build nl from positions; keep = 1 keeps the cell list in nl for the
 * next update (memory reused), 0 frees it. */
static int build_into(sf_neighbor_list *nl, const sf_box *box,
                      const double *x, int keep)
{
    sf_cells *c = nl->cells;
    if (c) {
        if (sf_cells_rebuild(c, box, nl->n, x, NULL, 1, nl->cutoff, nl->cutoff))
            return SF_ERR;
    } else {
        c = sf_cells_new_sized(box, nl->n, x, NULL, 1, nl->cutoff, nl->cutoff);
        if (!c)
            return SF_ERR;
    }
    const stencil *st = stencil_get(c, nl->cutoff, nl->half);
    int rc = st ? build_list(c, st, nl, nl->want_vec, keep) : SF_ERR;
    if (keep && rc == SF_OK) {
        nl->cells = c;
    } else {
        sf_cells_free(c);
        nl->cells = NULL;
    }
    return rc;
}

sf_neighbor_list *sf_neighbor_build_x(const sf_box *box, size_t n,
                                      const double *x, double cutoff,
                                      int flags)
{
    if (!(cutoff > 0) || !isfinite(cutoff)) {
        sf_error("cell list: cutoff %g must be positive and finite", cutoff);
        return NULL;
    }
    sf_neighbor_list *nl = sf_calloc(1, sizeof *nl);
    if (!nl)
        return NULL;
    nl->n = n;
    nl->cutoff = cutoff;
    nl->half = (flags & SF_NEIGHBOR_HALF) != 0;
    nl->want_vec = !(flags & SF_NEIGHBOR_NOVEC);
    nl->offsets = sf_calloc(n + 1, sizeof *nl->offsets);
    if (!nl->offsets || build_into(nl, box, x, 0)) {
        sf_neighbor_free(nl);
        return NULL;
    }
    return nl;
}

int sf_neighbor_update(sf_neighbor_list *nl, const sf_box *box, size_t n,
                       const double *x)
{
    if (n != nl->n) {
        size_t *off = sf_realloc(nl->offsets, (n + 1) * sizeof *off);
        if (!off)
            return SF_ERR;
        nl->offsets = off;
        nl->n = n;
    }
    if (build_into(nl, box, x, 1)) {
        nl->npairs = 0;
        memset(nl->offsets, 0, (n + 1) * sizeof *nl->offsets);
        return sf_error_prefix("neighbor list update (cutoff %g)", nl->cutoff);
    }
    return SF_OK;
}

sf_neighbor_list *sf_neighbor_build(const sf_atoms *a, double cutoff,
                                    int flags)
{
    sf_neighbor_list *nl =
        sf_neighbor_build_x(&a->box, a->n, a->x, cutoff, flags);
    if (!nl)
        sf_error_prefix("neighbor list (cutoff %g)", cutoff);
    return nl;
}
