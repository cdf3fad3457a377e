/* sf_rdf.h - partial pair distribution functions g_ab(r), coordination
 * numbers, first-peak positions, partial structure factors S_ab(q), and the
 * per-atom partial g(r)_{i,b}.
 *
 * Global partials (paper eq. 2), for centre atoms i of type a (all atoms, or
 * a chosen group of centres) and neighbours j of type b:
 *
 *     g_ab(r_k) = H_ab(k) / ( C_a * (N_b - delta_ab) / V * dV_k )
 *
 * H_ab(k): number of (i, j) pairs with r_ij in bin k = [k dr, (k+1) dr),
 * C_a: number of centre atoms of type a, N_b: atoms of type b, V: box volume,
 * dV_k = 4/3 pi ((k+1)^3 - k^3) dr^3 the exact shell volume.  (N_b - 1) for
 * like pairs is the finite-size-exact ideal-gas count (an atom is not its own
 * neighbour); eq. 2 of the paper writes N_b, which differs by a factor
 * 1 - 1/N_b.  This is the normalisation of LAMMPS `compute rdf`, so the two
 * agree bin by bin.  r_k is the bin centre (k + 1/2) dr.
 *
 * Coordination: cn_ab(k) = (number of b neighbours within (k+1) dr) / C_a,
 * the running coordination number (LAMMPS' second column).
 *
 * Histograms are integer counts summed over threads, so the results are the
 * same bytes for any number of threads. */
#ifndef SF_RDF_H
#define SF_RDF_H

#include <stddef.h>
#include <stdint.h>

#include "sf_atoms.h"

typedef struct sf_rdf {
    int ntypes;
    size_t nbins;
    double rmax, dr;   /* rmax = nbins * dr */
    double volume;
    size_t ncentres;   /* centre atoms */
    size_t *centres;   /* ntypes: centre atoms of each type */
    size_t *counts;    /* ntypes: atoms of each type */
    uint64_t *hist;    /* ntypes * ntypes * nbins, [(a*ntypes + b)*nbins + k] */
    double *r;         /* nbins bin centres */
    double *g;         /* like hist */
    double *cn;        /* like hist: running coordination number */
    double *gtotal;    /* nbins: all pairs, centres of any type */
} sf_rdf;

/* Histogram every pair closer than rmax (rounded up to whole bins of width
 * dr).  centres: NULL (all atoms are centres) or n flags.  Types are
 * 1..ntypes; index arrays with a-1, b-1.  Returns NULL and sets an error on
 * failure. */
sf_rdf *sf_rdf_compute(const sf_atoms *a, double rmax, double dr,
                       const unsigned char *centres);
void sf_rdf_free(sf_rdf *r);

/* Offset of the partial (a, b) (types 1-based) in hist, g and cn. */
static inline size_t sf_rdf_offset(const sf_rdf *r, int a, int b)
{
    return ((size_t)(a - 1) * (size_t)r->ntypes + (size_t)(b - 1)) * r->nbins;
}

/* ---- peaks ------------------------------------------------------------ */

typedef struct sf_peak_opts {
    int smooth;       /* half-width of the moving average, in bins (2) */
    double threshold; /* a peak must reach this fraction of the highest
                         smoothed value (0.5) */
} sf_peak_opts;

void sf_peak_opts_init(sf_peak_opts *o);

/* First peak of a curve g sampled at r (uniform spacing): smooth with a
 * centred moving average of 2*smooth+1 points; the first run of samples at
 * or above threshold * max is the first shell, its highest point the peak
 * (so noise on the rising edge is never taken for the peak); refine by the
 * parabola through it and its two neighbours.  Writes the position and
 * height; *kpeak (may be NULL) gets the sample index.  SF_ERR when there is
 * no such peak inside the range. */
int sf_peak_first(const double *r, const double *g, size_t n,
                  const sf_peak_opts *o, double *rpeak, double *gpeak,
                  size_t *kpeak);
/* First minimum after the first peak (same smoothing): the lowest point of
 * the valley where the smoothed curve is below min(1, threshold * peak),
 * refined by a parabola.  SF_ERR when the valley does not close inside the
 * range. */
int sf_peak_first_min(const double *r, const double *g, size_t n,
                      const sf_peak_opts *o, double *rmin, double *gmin);

/* First peak of g_ab (types 1-based). */
int sf_rdf_first_peak(const sf_rdf *r, int a, int b, const sf_peak_opts *o,
                      double *rpeak, double *gpeak);
/* First coordination shell of (a, b): position of the first minimum after
 * the first peak and the number of b neighbours of an a atom inside it
 * (running coordination number interpolated linearly at rmin). */
int sf_rdf_first_shell(const sf_rdf *r, int a, int b, const sf_peak_opts *o,
                       double *rmin, double *cn);

/* ---- structure factors -------------------------------------------------- */

typedef enum sf_sq_window {
    SF_SQ_NONE = 0, /* plain truncation at rmax */
    SF_SQ_LORCH = 1 /* W(r) = sin(pi r / rmax) / (pi r / rmax) */
} sf_sq_window;

/* Faber-Ziman partial structure factor of (a, b) (types 1-based; a = b = 0
 * gives the number-number total built from gtotal) at nq wave numbers q
 * (1/A):
 *     S_ab(q) = 1 + 4 pi rho Int_0^rmax r^2 (g_ab(r) - 1) sin(qr)/(qr) W(r) dr
 * with rho = N / V, evaluated as a direct sine transform over the bin
 * centres (midpoint rule).  Returns SF_ERR on bad arguments. */
int sf_rdf_sq(const sf_rdf *r, int a, int b, const double *q, size_t nq,
              sf_sq_window window, double *s);

/* ---- per-atom partial g(r) (paper eq. 3) ---------------------------------- */

/* For the m atoms idx[0..m) (0-based indices) write
 *     g_{i,b}(r_k) = (b atoms around i in bin k) / (dV_k (N_b - d) / V)
 * (d = 1 when i is of type b, else 0): eq. 3 of the paper with the number
 * density made explicit (eq. 3 as printed omits it), normalised like g_ab
 * above so that the mean over all type-a atoms is exactly g_ab.  out is
 * m * ntypes *
 * nbins, row i: block b (type b = 1..ntypes) of nbins values.  nbins =
 * ceil(rmax / dr). */
int sf_rdf_per_atom(const sf_atoms *a, const size_t *idx, size_t m,
                    double rmax, double dr, double *out);

#endif
