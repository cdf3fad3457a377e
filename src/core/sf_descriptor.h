/* sf_descriptor.h - per-atom radial structure functions (paper eq. 5) and
 * coarse-graining of per-atom values over neighbours.
 *
 *   G_i^b(rbar_k) = sum over j of type b with rbar_ij <= rbar_c of
 *                   exp(-(rbar_k - rbar_ij)^2 / (2 sigma^2))
 *
 * reduced = 1: rbar_ij = r_ij / rp(type_i, b), grid and cutoff in units of
 *   the first-peak positions rp (paper: grid 0.6 .. 3.0 step 0.05, sigma
 *   0.05, rbar_c = 3.0).  reduced = 0: rbar = r in Angstrom (paper: cutoff
 *   6.6 A).
 * Grid: rbar_k = r0 + k h, k = 0 .. ngrid-1, ngrid = floor((r1 - r0)/h) + 1
 * (r1 is included when (r1 - r0)/h is whole, up to 1e-9 of a step).
 *
 * One row per atom: block b (types 1..ntypes, the species order) of ngrid
 * values, then a bias column of ones: ncols = ntypes * ngrid + 1.
 *
 * Evaluation: per pair only the grid points within `window` sigmas of
 * rbar_ij are evaluated (default 9 sigma; a neglected term is below
 * exp(-81/2) = 2.6e-18 of a full Gaussian), with the geometric recurrence
 *     g_{k+1} = g_k q_k,  q_{k+1} = q_k c,  c = exp(-h^2/sigma^2),
 *     g_k0 = exp(-x^2 / 2 sigma^2),  q_k0 = exp(-(2 x h + h^2) / 2 sigma^2),
 *     x = r_k0 - rbar_ij,
 * i.e. two exponentials per pair (the recurrence is applied in closed form
 * g_k0+m = g_k0 q_k0^m c^(m(m-1)/2), four grid points at a time).  The
 * result matches the full sum to 1e-12 relative per value, plus an absolute
 * 2.6e-18 per neighbour from the truncation.
 *
 * Neighbours are found straight from per-species cell lists atom by atom,
 * no pair list is stored; each atom's row is computed by one thread, so the
 * output is the same bytes for any number of threads. */
#ifndef SF_DESCRIPTOR_H
#define SF_DESCRIPTOR_H

#include <stddef.h>

#include "sf_atoms.h"

typedef struct sf_descriptor_params {
    double r0, r1, h; /* grid */
    double sigma;
    double cutoff;    /* rbar_c (reduced) or r_c in Angstrom */
    int reduced;
    /* ntypes x ntypes first-peak positions in Angstrom, row-major,
     * symmetric (reduced only; not copied: must outlive the call) */
    const double *rp;
    double window;    /* truncation in sigmas (0: default 9) */
} sf_descriptor_params;

/* Paper defaults, reduced units: 0.6 .. 3.0 step 0.05, sigma 0.05, cutoff
 * 3.0 (rp must still be set). */
void sf_descriptor_params_init(sf_descriptor_params *p);
/* Angstrom defaults: 1.5 .. 6.6 step 0.1, sigma 0.1, cutoff 6.6. */
void sf_descriptor_params_init_angstrom(sf_descriptor_params *p);

/* SF_ERR with a message naming the bad parameter. */
int sf_descriptor_check(const sf_descriptor_params *p, int ntypes);
/* First-peak positions rp (ntypes x ntypes, row-major): present, positive,
 * finite and symmetric; errors start with `who`. */
int sf_rp_check(const double *rp, int ntypes, const char *who);
size_t sf_descriptor_ngrid(const sf_descriptor_params *p);
size_t sf_descriptor_ncols(const sf_descriptor_params *p, int ntypes);
/* Name of column col (0-based): "G_<species>_<r with 3 decimals>" (the type
 * number when the species is unnamed) or "bias".  Returns the length that
 * was needed (snprintf style). */
int sf_descriptor_colname(const sf_descriptor_params *p, const sf_atoms *a,
                          size_t col, char *buf, size_t len);

/* Descriptors of every atom: out (double, n * ncols, row i = atom i) or
 * outf (float) - exactly one of them non-NULL. */
int sf_descriptor_compute(const sf_atoms *a, const sf_descriptor_params *p,
                          double *out, float *outf);

/* Coarse-graining: out[i] = mean of values[j] over the atoms j within
 * radius of i, i itself included (each periodic image counts as a
 * neighbour, as in sf_neighbor.h). */
int sf_coarse_grain(const sf_atoms *a, const double *values, double radius,
                    double *out);
/* The same for every column of a row-major n x ncols matrix (values and out
 * n * ncols; out must not alias values): row i of out is the mean of the
 * rows of i and its neighbours within radius, summed in a fixed order
 * (the same bytes for any thread count; ncols = 1 is sf_coarse_grain). */
int sf_coarse_grain_cols(const sf_atoms *a, const double *values, size_t ncols,
                         double radius, double *out);

#endif
