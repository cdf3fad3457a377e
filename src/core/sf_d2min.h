/* sf_d2min.h - non-affine squared displacement (Falk & Langer 1998).
 *
 * For atom i with neighbours j closer than a cutoff in the reference
 * configuration, d0_ij = r0_j - r0_i (minimum image in the reference box) and
 * d_ij = r_j - r_i (minimum image in the deformed box).  The local
 * deformation gradient F_i minimises the squared residual
 *
 *     D2min_i = min_F  sum_j | d_ij - F d0_ij |^2 ,
 *
 * so F_i = X Y^-1 with X = sum_j d_ij (x) d0_ij and Y = sum_j d0_ij (x) d0_ij,
 * and D2min_i is the residual at that F (computed term by term, so an affine
 * deformation gives zero to rounding: ~1e-28 A^2, not the difference of two
 * large numbers).
 *
 * Atoms are matched by id: the two configurations may list them in any
 * order, and an atom may have crossed a periodic boundary (different image
 * or wrapping) in between.  Results are indexed like the reference atoms.
 * The neighbour vectors are minimum images, so each neighbour must be
 * closer than half the box width: the cutoff must be below half the
 * perpendicular width of the reference box along every periodic direction,
 * and between the two configurations no neighbour may move by more than
 * about half the deformed box (true for any sensible strain step).
 *
 * An atom whose neighbours do not span three dimensions (fewer than three,
 * or all in a plane) has no unique F: its D2min and F are NAN and it is
 * counted in ninvalid.
 *
 * Memory is O(N) (neighbours are visited atom by atom through a cell list,
 * never stored); the work is spread over OpenMP threads.  Each atom's sums
 * run over its neighbours in id order, so the results are the same bytes
 * whatever the thread count, the order of the atoms in either input or the
 * cell list's visiting order. */
#ifndef SF_D2MIN_H
#define SF_D2MIN_H

#include <stddef.h>
#include <stdint.h>

#include "sf_atoms.h"

typedef struct sf_d2min_opts {
    double cutoff;  /* neighbour cutoff in the reference (r < cutoff) */
    int normalize;  /* 1: divide D2min by the number of neighbours */
} sf_d2min_opts;

typedef struct sf_d2min_result {
    size_t n;          /* atoms (reference order) */
    double *d2min;     /* n: D2min (A^2, or A^2 per neighbour if normalized) */
    double *F;         /* 9n: F_i row-major (Fxx Fxy Fxz Fyx ... Fzz) */
    int32_t *nneigh;   /* n: neighbours in the reference */
    size_t *match;     /* n: index in the deformed configuration of atom i */
    size_t ninvalid;   /* atoms with no unique F (d2min = NAN) */
} sf_d2min_result;

void sf_d2min_opts_init(sf_d2min_opts *o);
/* Message for bad options, or NULL (LIBLINEAR's check_parameter). */
const char *sf_d2min_check_opts(const sf_d2min_opts *o);

/* D2min of every reference atom.  Fills *out (free with
 * sf_d2min_result_free).  Errors: ids that do not match (different counts,
 * an id missing in one configuration, duplicate ids), a cutoff not below half
 * the box width, invalid positions. */
int sf_d2min_compute(const sf_atoms *ref, const sf_atoms *def,
                     const sf_d2min_opts *o, sf_d2min_result *out);
void sf_d2min_result_free(sf_d2min_result *r);

/* The fit for one atom: m neighbour vectors d0 (3m, reference) and d (3m,
 * deformed).  Writes F (9, row-major, may be NULL) and the residual.
 * Returns SF_ERR (with a message) when the d0 do not span 3D. */
int sf_d2min_fit(size_t m, const double *d0, const double *d, double F[9],
                 double *d2min);

/* Index in b of each atom of a, by id: map[i] = k with b->id[k] == a->id[i].
 * Errors name the first id found in one configuration and not the other. */
int sf_d2min_match_ids(const sf_atoms *a, const sf_atoms *b, size_t *map);

#endif
