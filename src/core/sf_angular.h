/* sf_angular.h - per-atom bond-angle structure functions (Cubuk et al.,
 * PRL 114, 108001 (2015); Schoenholz et al., Nat. Phys. 12, 469 (2016)):
 *
 *   Psi_i^{bc}(xi, lambda, zeta) = sum over unordered pairs {j, k} of
 *       neighbours of i, j of species b and k of species c (either order),
 *       exp(-(r_ij^2 + r_ik^2 + r_jk^2) / xi^2) (1 + lambda cos theta_jik)^zeta
 *
 * where j, k are neighbours of i within the cutoff (r_jk is not limited),
 * j != k as neighbours (two periodic images of one atom are two
 * neighbours), theta_jik the angle between x_j - x_i and x_k - x_i.  No
 * 2^(1-zeta) normalisation (Behler's G4 has one; the brief's formula and
 * Cubuk's have none).
 *
 * reduced = 1: every distance is divided by the first-peak position of its
 *   pair of species, rbar_ij = r_ij / rp(type_i, type_j), rbar_jk =
 *   r_jk / rp(type_j, type_k); xi and the cutoff are in those units (the
 *   cutoff applies to rbar_ij and rbar_ik).  reduced = 0: Angstrom.
 *   The angle is always the geometric one.
 * Neighbour test: rbar <= cutoff (as the radial descriptor, sf_descriptor.h).
 * A neighbour at distance 0 (two atoms on one site) has no direction:
 * cos theta is taken as 0 for its pairs.
 *
 * Columns: species pairs (b, c) with b <= c in type order (1-1, 1-2, ...,
 * 2-2, ...), within a pair xi-major, then lambda, then zeta:
 *   col = ((pair * nxi + x) * nlambda + l) * nzeta + z,
 * ncols = ntypes (ntypes + 1) / 2 * nxi * nlambda * nzeta (no bias column).
 *
 * Neighbours come from the cell lists of sf_neighbor.h atom by atom (no
 * pair list is stored: memory O(N)); each atom's row is computed by one
 * thread in a fixed order, so the output is the same bytes for any number
 * of threads.  Cost per atom: O(m^2 (nxi + nlambda nzeta)) for m
 * neighbours; integer zeta is raised by repeated squaring, other values by
 * pow(). */
#ifndef SF_ANGULAR_H
#define SF_ANGULAR_H

#include <stddef.h>

#include "sf_atoms.h"

#define SF_ANGULAR_MAXPAR 64 /* at most this many xi, lambda or zeta */

typedef struct sf_angular_params {
    int nxi, nlambda, nzeta;
    double xi[SF_ANGULAR_MAXPAR];     /* > 0 */
    double lambda[SF_ANGULAR_MAXPAR]; /* |lambda| <= 1 */
    double zeta[SF_ANGULAR_MAXPAR];   /* >= 0 */
    double cutoff;
    int reduced;
    /* ntypes x ntypes first-peak positions in Angstrom, row-major,
     * symmetric (reduced only; not copied: must outlive the call) */
    const double *rp;
} sf_angular_params;

/* Defaults, reduced units: xi {1.0, 1.5, 2.0}, lambda {-1, 1}, zeta {1, 2,
 * 4, 16}, cutoff 1.4 (the first shell: the first minimum of the Cu-Zr
 * partial g(r) lies near 1.3-1.4 rp).  rp must still be set. */
void sf_angular_params_init(sf_angular_params *p);
/* Angstrom defaults: xi {2.5, 4.0, 5.5}, same lambda and zeta, cutoff 4.2. */
void sf_angular_params_init_angstrom(sf_angular_params *p);

/* SF_ERR with a message naming the bad parameter. */
int sf_angular_check(const sf_angular_params *p, int ntypes);
size_t sf_angular_ncols(const sf_angular_params *p, int ntypes);
/* Name of column col (0-based): "Psi_<b>_<c>_xi<xi>_l<lambda>_z<zeta>",
 * e.g. "Psi_Cu_Zr_xi1.500_l-1_z16" (type numbers for unnamed species).
 * Returns the length that was needed (snprintf style). */
int sf_angular_colname(const sf_angular_params *p, const sf_atoms *a,
                       size_t col, char *buf, size_t len);

/* Psi of every atom: out (double, n * ncols, row i = atom i) or outf
 * (float, the double values rounded) - exactly one of them non-NULL. */
int sf_angular_compute(const sf_atoms *a, const sf_angular_params *p,
                       double *out, float *outf);

#endif
