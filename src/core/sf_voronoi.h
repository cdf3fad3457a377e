/* sf_voronoi.h - per-atom Voronoi cells of a periodic configuration: the
 * baselines the paper compares structural flexibility against (atomic
 * volume, local five-fold symmetry) and the interatomic distance a_i of the
 * flexibility volume.
 *
 * Each cell is built face by face: the face between atom i and a candidate
 * neighbour j is the bisector plane of i-j clipped by the bisector
 * half-spaces of every other candidate k (a convex polygon clipping in the
 * plane).  Candidates are all atoms (periodic images included) closer than
 * a cutoff; a cell is exact when the cutoff exceeds twice its largest
 * vertex distance, which is checked for every atom (the cutoff is raised
 * for that atom when needed).  O(N) time and memory, atoms in parallel with
 * OpenMP; the result does not depend on the thread count.
 *
 * Face and edge counts use thresholds, as is usual for metallic glasses: a
 * face smaller than face_min times the cell's surface does not count (for
 * nfaces, the edge histogram, fivefold and a), and an edge shorter than
 * edge_min times the face's perimeter does not count.  volume and area
 * always use the exact cell. */
#ifndef SF_VORONOI_H
#define SF_VORONOI_H

#include <stddef.h>
#include <stdint.h>

#include "sf_atoms.h"

#define SF_VORONOI_MAXEDGE 12 /* histogram bins 0..MAXEDGE (last: >=) */

typedef struct sf_voronoi_opts {
    double cutoff;   /* candidate radius; <= 0: 2 (V/N)^(1/3) */
    double face_min; /* fraction of the cell surface (default 0.01) */
    double edge_min; /* fraction of the face perimeter (default 0) */
} sf_voronoi_opts;

void sf_voronoi_opts_init(sf_voronoi_opts *o);

/* Per-atom outputs; each pointer may be NULL (not wanted) or point to n
 * values (edges: n * (SF_VORONOI_MAXEDGE + 1), row i is the histogram of
 * the number of edges of the counted faces of atom i). */
typedef struct sf_voronoi_out {
    double *volume;   /* cell volume */
    double *area;     /* cell surface */
    double *nfaces;   /* counted faces (= Voronoi coordination number) */
    double *fivefold; /* fraction of counted faces that are pentagons */
    double *a;        /* mean distance to the counted Voronoi neighbours */
    double *maxr;     /* largest vertex distance (cell radius) */
    int32_t *edges;   /* edge-count histogram, see above */
} sf_voronoi_out;

/* Compute the cells of a (fully periodic box).  Returns SF_ERR with a
 * message naming the atom when a cell cannot be built (e.g. two atoms at
 * the same position). */
int sf_voronoi_compute(const sf_atoms *a, const sf_voronoi_opts *opts,
                       sf_voronoi_out *out);

#endif
