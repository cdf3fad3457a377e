/* sf_sparse.h - sparse symmetric matrices of 3x3 blocks (one block row per
 * atom), the storage of force-constant (Hessian) matrices.
 *
 * Block compressed rows: row a holds the blocks (a, col[k]) for k in
 * rowptr[a] .. rowptr[a+1]-1, columns ascending, each block 9 doubles in row
 * major order (val[9k + 3*alpha + beta] = H[3a+alpha][3col+beta]).  With
 * upper != 0 only the blocks with col >= a are stored and the matrix is
 * understood to be symmetric; otherwise every non-zero block is stored. */
#ifndef SF_SPARSE_H
#define SF_SPARSE_H

#include <stddef.h>
#include <stdint.h>

typedef struct sf_bsr {
    size_t n;        /* block rows (atoms); the matrix is 3n x 3n */
    int upper;       /* 1: upper triangle of a symmetric matrix */
    size_t *rowptr;  /* n + 1 */
    int32_t *col;    /* rowptr[n] block columns */
    double *val;     /* 9 * rowptr[n] */
} sf_bsr;

/* An empty matrix with room for nnzb blocks (rowptr zero-filled). */
sf_bsr *sf_bsr_new(size_t n, size_t nnzb, int upper);
void sf_bsr_free(sf_bsr *h);
/* Number of stored blocks. */
size_t sf_bsr_nnzb(const sf_bsr *h);
/* Pointer to block (a, b), or NULL if it is not stored.  For an upper
 * matrix with b < a the block (b, a) is returned and *transposed is set. */
const double *sf_bsr_block(const sf_bsr *h, size_t a, size_t b, int *transposed);
/* y = H x (x, y of length 3n, distinct).  Symmetric storage is expanded. */
void sf_bsr_matvec(const sf_bsr *h, const double *x, double *y);
/* Dense copy into A (3n x 3n, column major, leading dimension lda >= 3n),
 * with the scaling A_ij = H_ij * s_i * s_j when s (3n) is not NULL.  Both
 * triangles are filled. */
void sf_bsr_to_dense(const sf_bsr *h, const double *s, double *A, size_t lda);
/* Upper-triangle copy of a full matrix (blocks with b >= a); NULL on error. */
sf_bsr *sf_bsr_upper(const sf_bsr *h);
/* Largest |H_ab - H_ba^T| over stored blocks of a full matrix (0 for an
 * upper one), and the largest |entry|, for symmetry checks. */
double sf_bsr_asymmetry(const sf_bsr *h, double *maxabs);

#endif
