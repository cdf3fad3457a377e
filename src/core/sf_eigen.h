/* sf_eigen.h - eigen-solvers for force-constant matrices: the lowest normal
 * modes (dense LAPACK dsyevr, or ARPACK shift-invert on a SuiteSparse
 * CHOLMOD factorisation for large systems), per-atom participation in a set
 * of modes, and the classical harmonic mean-square displacement.
 *
 * Units: Hessian in eV/A^2, masses in amu; eigenvalues of the dynamical
 * matrix D = M^-1/2 H M^-1/2 are in eV/(A^2 amu); SF_EIGEN_THZ converts
 * sqrt(eigenvalue) to a frequency nu = omega/2pi in THz.
 *
 * The three uniform translations are exact zero modes of a periodic (or
 * free) EAM Hessian.  They are removed explicitly: the dense solver lifts
 * them above the spectrum with a rank-3 term, the sparse one projects them
 * out of the shift-invert operator; the k modes returned are the k lowest
 * of the remaining 3n - 3. */
#ifndef SF_EIGEN_H
#define SF_EIGEN_H

#include <stddef.h>

#include "sf_sparse.h"

/* nu[THz] = SF_EIGEN_THZ * sqrt(lambda[eV/(A^2 amu)]) */
#define SF_EIGEN_THZ 15.633302
/* Boltzmann constant, eV/K */
#define SF_KB_EV 8.617333262e-5

/* AUTO: dense for small systems, else SPARSE (BLOCK for k >= 100).
 * SPARSE: ARPACK shift-invert
 * (one solve per Lanczos vector); BLOCK: block Lanczos shift-invert on the
 * same CHOLMOD factor (one multi-vector solve per block). */
enum { SF_EIGEN_AUTO = 0, SF_EIGEN_DENSE = 1, SF_EIGEN_SPARSE = 2, SF_EIGEN_BLOCK = 3 };

/* Auto picks dense up to this many atoms, else ARPACK (SPARSE), or block
 * Lanczos (BLOCK) when 100 or more modes are wanted: for the lowest 1 % of
 * the modes the sparse solvers win from ~250 atoms on (doc/vibrations.md). */
#define SF_EIGEN_DENSE_MAX_ATOMS 200

typedef struct sf_modes_opts {
    size_t k;              /* number of lowest modes wanted (>= 1) */
    const double *mass;    /* n per-atom masses, or NULL: the bare Hessian */
    int method;            /* SF_EIGEN_AUTO, _DENSE, _SPARSE or _BLOCK */
    int keep_translations; /* 1: do not remove the 3 translations */
    double tol;            /* ARPACK relative tolerance; 0: 1e-10 */
    double sigma;          /* shift; 0: automatic (slightly negative) */
} sf_modes_opts;

typedef struct sf_modes_info {
    int method;        /* the solver that ran */
    double sigma;      /* the shift used (sparse) */
    int restarts;      /* ARPACK restart iterations */
    int op_applies;    /* shift-invert solves */
    int factor_tries;  /* CHOLMOD factorisations (sigma made more negative on failure) */
    double factor_nnz; /* entries of the Cholesky factor */
    int ordering;      /* CHOLMOD fill-reducing ordering used (CHOLMOD_AMD, ...) */
    double factor_seconds; /* analyse + factorise */
    double solve_seconds;  /* the shift-invert solves */
    double seconds;    /* wall time */
} sf_modes_info;

/* The k lowest eigenpairs of D (or of H when mass is NULL): eval[k]
 * ascending, evec[m*3n + i] component i of unit eigenvector m (may be
 * NULL).  Eigenvectors are signed so that their largest component is
 * positive.  Results do not depend on which solver ran beyond its
 * tolerance.  info may be NULL. */
int sf_eigen_modes(const sf_bsr *H, const sf_modes_opts *opts, double *eval,
                   double *evec, sf_modes_info *info);

/* Dense symmetric eigenproblem, eigenpairs il..iu (1-based, ascending) of
 * the n x n column-major matrix A (destroyed): w[iu-il+1], Z[n x (iu-il+1)]
 * column-major (may be NULL for values only).  LAPACK dsyevr. */
int sf_eigen_dense(size_t n, double *A, size_t il, size_t iu, double *w, double *Z);

/* Participation of each of the n atoms in k modes (evec as above):
 * p_i = sum_m sum_alpha e_m[3i+alpha]^2, so sum_i p_i = k. */
void sf_eigen_participation(size_t n, size_t k, const double *evec, double *p);

/* Harmonic MSD: auto uses the dense path up to this many atoms, else the
 * sparse one (crossover measured in doc/vibrations.md). */
#define SF_EIGEN_MSD_DENSE_MAX_ATOMS 2500

/* Classical harmonic mean-square displacement of each atom at temperature
 * T (K): msd_i = k_B T tr[(H^+)_ii] in A^2, H^+ the pseudo-inverse of the
 * mass-independent Hessian with the 3 translations removed.  DENSE: LAPACK
 * Cholesky inverse of H + s T T^T.  SPARSE (BLOCK is taken as SPARSE):
 * CHOLMOD factor of H with one atom pinned, the diagonal blocks of its
 * inverse from forward solves restricted to the elimination-tree paths, and
 * the pinning undone by projecting off the translations.  AUTO: dense up to
 * SF_EIGEN_MSD_DENSE_MAX_ATOMS.  info (may be NULL) receives the method,
 * and for SPARSE factor_seconds, factor_nnz, solve_seconds.  Fails (naming
 * the problem) when the Hessian is not positive definite on the
 * translation-free space, i.e. the structure is not at a minimum. */
int sf_eigen_harmonic_msd(const sf_bsr *H, double T, int method, double *msd,
                          sf_modes_info *info);

#endif
