/* sf_eam.h - embedded-atom method potentials in the DYNAMO setfl formats
 * (LAMMPS pair_style eam/alloy and eam/fs): energy, forces, per-atom
 * energy and the analytic Hessian.
 *
 * A force-field evaluator for analysis (normal modes, harmonic MSD), not an
 * MD engine.  Tabulated functions are interpolated exactly as LAMMPS's
 * pair_eam.cpp does (7-coefficient cubic splines on the file grids, the
 * same clamping at the table ends, the linear extrapolation of F above
 * rhomax, cutoff test on r^2), so energies and forces agree with LAMMPS to
 * rounding.
 *
 *   E = sum_i F_a(rho_i) + 1/2 sum_i sum_j phi_ab(r_ij),
 *   rho_i = sum_j f_ba(r_ij)     (a = element of i, b = element of j)
 *
 * eam/alloy: f_ba = f_b (one density per element); eam/fs: one density per
 * element pair (block b of element a's section in the file is the density
 * an atom of element a produces at an atom of element b).
 *
 * Atom types map to file elements through an int map[ntypes + 1]
 * (map[t] = 0-based element of type t), see sf_eam_type_map. */
#ifndef SF_EAM_H
#define SF_EAM_H

#include <stddef.h>

#include "sf_atoms.h"
#include "sf_sparse.h"

typedef struct sf_eam sf_eam;

enum { SF_EAM_AUTO = 0, SF_EAM_FS = 1, SF_EAM_ALLOY = 2 };

/* Read a setfl file.  kind SF_EAM_AUTO decides by the name (*.fs / *.alloy)
 * and otherwise by which layout the contents fit.  Errors name the file,
 * the line and the problem. */
sf_eam *sf_eam_read(const char *path, int kind);
void sf_eam_free(sf_eam *p);

int sf_eam_kind(const sf_eam *p);               /* SF_EAM_FS or SF_EAM_ALLOY */
int sf_eam_nelements(const sf_eam *p);
const char *sf_eam_element(const sf_eam *p, int e); /* 0-based */
double sf_eam_mass(const sf_eam *p, int e);       /* amu, from the file */
double sf_eam_cutoff(const sf_eam *p);            /* Angstrom */
const char *sf_eam_path(const sf_eam *p);
/* Index of an element name, or -1. */
int sf_eam_find_element(const sf_eam *p, const char *name);

/* Fill map[1..ntypes] for atoms a: with names (ntypes entries, as in
 * "pair_coeff * * file Cu Zr") when names is not NULL, else by the atoms'
 * species names, else type t -> element t-1.  Errors name the type. */
int sf_eam_type_map(const sf_eam *p, const sf_atoms *a,
                    const char *const *names, int nnames, int *map);

/* Energy (eV), per-atom energy (n, may be NULL), forces (3n eV/A, may be
 * NULL) and electron densities rho (n, may be NULL).  Periodic boxes of any
 * size (all images within the cutoff count, as LAMMPS's ghost atoms do),
 * orthogonal or triclinic.  O(N) cell list, OpenMP over atoms; results do
 * not depend on the thread count. */
int sf_eam_compute(const sf_eam *p, const sf_atoms *a, const int *map,
                   double *energy, double *eatom, double *f, double *rho);

/* The analytic Hessian d2E/dx_a dx_b (eV/A^2) as 3x3 blocks, symmetric.
 * It includes the embedding couplings between two neighbours j, k of a
 * common atom i, F''(rho_i) (drho_i/dx_j)(drho_i/dx_k)^T, so block rows
 * reach out to twice the cutoff.  upper != 0 stores the upper triangle
 * only (half the memory); upper == 0 stores every block, each row
 * assembled independently (for symmetry checks). */
sf_bsr *sf_eam_hessian(const sf_eam *p, const sf_atoms *a, const int *map,
                       int upper);

/* Per-atom masses (amu) for atoms a: the atoms' type masses where set,
 * else the file's masses of the mapped elements. */
int sf_eam_atom_masses(const sf_eam *p, const sf_atoms *a, const int *map,
                       double *mass);

/* ---- repeated evaluation (saddle searches, minimisation) --------------------
 * A work space for many energy/force evaluations of one configuration whose
 * atoms move a little between calls (sf_art).  Pairs are listed with the
 * cutoff plus a skin and the list is rebuilt only when a mobile atom has
 * moved more than skin/2 since the last build.  Only the mobile atoms move
 * (mobile[i] != 0; mobile NULL: all atoms): the others stay at the
 * positions of a, so every term among them is constant, computed once, and
 * a call costs O(mobile atoms x neighbours) whatever the system size.
 * Serial: one work space per thread; results are reproducible bit for bit.
 *
 * rho_ref / e_ref: the densities and energy of a (sf_eam_compute) when the
 * caller has them, else NULL (computed here). */
typedef struct sf_eam_work sf_eam_work;

sf_eam_work *sf_eam_work_new(const sf_eam *p, const sf_atoms *a, const int *map,
                             const unsigned char *mobile, double skin,
                             const double *rho_ref, const double *e_ref);
void sf_eam_work_free(sf_eam_work *w);
/* Total energy (eV) and forces (3n, eV/A; zero on immobile atoms) at
 * positions x (3n, the immobile atoms where a had them).  f may be NULL. */
int sf_eam_work_compute(sf_eam_work *w, const double *x, double *energy, double *f);
size_t sf_eam_work_builds(const sf_eam_work *w); /* pair-list builds so far */
size_t sf_eam_work_pairs(const sf_eam_work *w);  /* pairs in the current list */

#endif
