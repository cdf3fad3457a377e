/* sf_neighbor.h - cell lists and neighbour lists for periodic boxes.
 *
 * Two layers:
 *
 *  - sf_cells: atoms binned into cells of the (possibly triclinic) box, with
 *    a per-atom query that visits only the rows of cells that can hold a
 *    neighbour closer than rc (a stencil computed once per radius and
 *    cached).  Queries are thread safe, so any number of threads may query
 *    one sf_cells at once, each with its own sf_nbuf.  Analyses that do not
 *    need to keep the pairs (g(r), descriptors) query atom by atom and never
 *    store the whole list.
 *
 *  - sf_neighbor_list: the pairs closer than a cutoff, in compressed-row
 *    (CSR) form: the neighbours of atom i are entries offsets[i] ..
 *    offsets[i+1]-1 of j[], dist[] and vec[] (x_j - x_i for the image of j
 *    that is close to i).
 *
 * Periodic images.  Every image of every atom closer than the cutoff is a
 * neighbour, however small the box: when the box is narrower than twice the
 * cutoff the same j appears several times (with different vec), and an atom
 * sees its own images (j == i, vec a non-zero lattice vector).  An atom is
 * never its own neighbour at zero shift.  Distinct atoms at the same
 * position are neighbours at distance 0.  Non-periodic directions
 * (box->periodic[k] == 0) have no images.
 *
 * Cutoff convention: a pair is a neighbour when r < cutoff (as in LAMMPS).
 *
 * Determinism: the neighbours of an atom are listed in a fixed order that
 * depends only on the positions, the box and the cutoff (the rows of the
 * cell stencil in a fixed order, atoms by index inside a cell), never on
 * the number of threads.  Builds are multi-threaded with OpenMP: one pass
 * records every atom's neighbours (as entry indices) and row lengths, a
 * prefix sum places the rows, a second pass writes them; so the output is
 * the same bytes for any OMP_NUM_THREADS.
 *
 * Half lists keep each pair once: (i, j, vec) is stored under i when the
 * cell of the image of j is "above" the cell of i (lexicographically larger
 * unwrapped cell offset, z first), or in the same cell with j after i in the
 * cell order.  So j may be smaller than i, and which atom of a pair holds it
 * depends on the cell grid.  The full list is the half list plus every
 * entry mirrored: (j, i, -vec).
 *
 * Limits: at most 2^32 - 1 atoms (indices are stored as uint32_t). */
#ifndef SF_NEIGHBOR_H
#define SF_NEIGHBOR_H

#include <stddef.h>
#include <stdint.h>

#include "sf_atoms.h"
#include "sf_box.h"

/* ---- cell lists -------------------------------------------------------- */

typedef struct sf_cells sf_cells;

/* Bin the n positions x (3n, Cartesian, wrapped or not) of box into cells
 * for queries up to rmax.  group (NULL, or n values 0..ngroups-1) splits the
 * atoms into groups that are queried separately (e.g. species).  Returns
 * NULL and sets an error on failure. */
sf_cells *sf_cells_new(const sf_box *box, size_t n, const double *x,
                       const int32_t *group, int ngroups, double rmax);
/* The same with the target cell width (0: rmax).  Cells as wide as the
 * cutoff (a stencil of 9 rows of 3 cells) measured fastest for neighbour
 * lists and descriptors on this project's glasses: the long contiguous
 * rows stream well, finer cells lose more to per-row work and scattered
 * memory than they save in distance tests. */
sf_cells *sf_cells_new_sized(const sf_box *box, size_t n, const double *x,
                             const int32_t *group, int ngroups, double rmax,
                             double cell);
/* Rebuild c in place for new positions (or atoms), reusing its memory
 * when large enough.  Not while other threads query c. */
int sf_cells_rebuild(sf_cells *c, const sf_box *box, size_t n, const double *x,
                     const int32_t *group, int ngroups, double rmax,
                     double cell);
void sf_cells_free(sf_cells *c);

size_t sf_cells_count(const sf_cells *c);
/* Cell-sorted order: order[s] is the atom index of the s-th atom in cell
 * order.  Looping over atoms in this order keeps queries cache friendly. */
const uint32_t *sf_cells_order(const sf_cells *c);
/* Atom index of each stored entry (atoms and their periodic images near
 * the faces): query results name entries, this maps them to atoms. */
const uint32_t *sf_cells_atoms(const sf_cells *c);
/* Number of cells along a, b, c. */
void sf_cells_shape(const sf_cells *c, int nc[3]);

/* Query results, appended: the neighbour's entry (sf_cells_atoms maps it
 * to the atom index), squared distance and, with SF_CELLS_VEC, the
 * displacement x_j(image) - x_i. */
typedef struct sf_nbuf {
    size_t n, cap;
    uint32_t *j;
    double *d2;
    double *dx, *dy, *dz;
} sf_nbuf;

void sf_nbuf_free(sf_nbuf *b);

enum {
    SF_CELLS_HALF = 1, /* each pair once (see the half-list rule above) */
    SF_CELLS_VEC = 2,  /* also fill dx, dy, dz */
    SF_CELLS_D2ONLY = 4, /* fill d2 only (j left undefined); the fastest */
};

/* Append to b the neighbours of atom i (atom index) in group g (g < 0: all
 * groups) with r < rc; rc must not exceed the rmax given to sf_cells_new.
 * Returns SF_ERR on allocation failure (b keeps what it had).  Thread safe
 * for distinct b. */
int sf_cells_query(const sf_cells *c, size_t i, int g, double rc, int flags,
                   sf_nbuf *b);
/* Only the number of such neighbours (flags: SF_CELLS_HALF or 0). */
size_t sf_cells_count_within(const sf_cells *c, size_t i, int g, double rc,
                             int flags);

/* ---- neighbour lists ---------------------------------------------------- */

enum {
    SF_NEIGHBOR_HALF = 1,  /* each pair once */
    SF_NEIGHBOR_NOVEC = 2, /* do not store displacement vectors */
};

typedef struct sf_neighbor_list {
    size_t n;        /* atoms */
    size_t npairs;   /* entries */
    double cutoff;
    int half;
    size_t *offsets; /* n + 1 */
    uint32_t *j;     /* npairs: neighbour atom index (0-based) */
    double *dist;    /* npairs */
    double *vec;     /* 3 npairs (x, y, z), or NULL with SF_NEIGHBOR_NOVEC */
    size_t cap;      /* entries allocated (>= npairs) */
    int want_vec;
    sf_cells *cells; /* private: the cell list kept by sf_neighbor_update */
    sf_nbuf *work;   /* private: index buffers kept by sf_neighbor_update */
    size_t nwork;
} sf_neighbor_list;

/* Pairs of a closer than cutoff.  Returns NULL and sets an error on
 * failure. */
sf_neighbor_list *sf_neighbor_build(const sf_atoms *a, double cutoff,
                                    int flags);
/* The same from a bare box and positions. */
sf_neighbor_list *sf_neighbor_build_x(const sf_box *box, size_t n,
                                      const double *x, double cutoff,
                                      int flags);
/* Rebuild nl in place for new positions (same cutoff and flags; n may
 * change), reusing its arrays when they are large enough; the cell list is
 * kept in nl from the first update on, so a trajectory is processed
 * without fresh memory for every frame.  On failure nl is left empty (no
 * pairs) and SF_ERR is returned. */
int sf_neighbor_update(sf_neighbor_list *nl, const sf_box *box, size_t n,
                       const double *x);
void sf_neighbor_free(sf_neighbor_list *nl);

/* Bytes held by the list (for reports). */
size_t sf_neighbor_bytes(const sf_neighbor_list *nl);

#endif
