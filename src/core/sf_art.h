/* sf_art.h - thermally activated events by the activation-relaxation
 * technique (ART nouveau) on the EAM evaluator, and FIRE minimisation.
 *
 * One event, from the minimum x0 (energy E0), centred on atom c:
 *   1. kick: a random displacement of c and the atoms within init_radius
 *      of it, of norm init_disp (the direction is Gaussian per component);
 *   2. iterate: the lowest curvature lambda and its mode v from a Lanczos
 *      iteration on Hessian-vector products by finite differences of
 *      forces, H q = -(F(x + h q) - F(x)) / h (started from the previous v;
 *      rigid translations projected out when every atom moves).
 *      - lambda >= eig_threshold (in the harmonic well, or the curvature
 *        was lost): push by push_step along x - x0 (follow_mode: along the
 *        last negative mode, away from x0, once the curvature was lost),
 *        then at most perp_steps FIRE steps in the hyperplane perpendicular
 *        to it; at most max_escape such pushes per event;
 *      - lambda < eig_threshold (and, once there, while lambda < 0): a
 *        Newton step uphill along v, |F.v|/|lambda| capped at push_step,
 *        then FIRE perpendicular to v (velocity kept, its v part removed)
 *        for at most act_steps steps or until the perpendicular force is
 *        below the parallel one;
 *      until the total force norm |F| < force_tol with lambda < 0: the
 *      saddle, barrier = E_saddle - E0;
 *   3. relax: from the saddle pushed by relax_push along v away from x0,
 *      FIRE to |F| < min_force_tol: the new minimum.
 * Outcomes (sf_art_status): a new minimum (counted); returned to x0 (no
 * atom more than return_tol from x0); delocalised (the atom that moved most
 * at the saddle is farther than deloc_radius from c); failed (no negative
 * curvature after max_escape pushes, no saddle within max_activation +
 * max_escape iterations or above max_energy, or no minimum); disconnected
 * (check_connect: relaxing the saddle back the other way did not reach x0).
 *
 * Forces: full system (local_radius = 0) or only the atoms within
 * local_radius of c move (the rest stay at x0, their constant terms are
 * computed once: the cost is then O(local atoms), not O(N)); a pair list
 * with a skin, rebuilt when an atom has moved more than skin/2.
 * refine: the local saddle is the start of a second climb in which the
 * atoms within refine_radius (0: every atom) move too (Lanczos from the
 * local mode, Newton step along it, FIRE perpendicular, to |F| < force_tol
 * over all mobile atoms with lambda < 0); barrier, saddle and relaxation
 * are then those of the larger region (the frozen shell of a local search
 * holds the elastic field of the event and biases barriers upwards).
 *
 * Events run in parallel (OpenMP, dynamic schedule), one serial force
 * evaluator per thread.  The random stream of event k on atom c is seeded
 * from (seed, id of c, k) only, so results do not depend on the thread
 * count or on which events run together. */
#ifndef SF_ART_H
#define SF_ART_H

#include <stddef.h>
#include <stdint.h>

#include "sf_atoms.h"
#include "sf_eam.h"

typedef struct sf_art_params {
    double init_disp;     /* A, norm of the kick (0.5) */
    double init_radius;   /* A, atoms kicked with the centre (3.5) */
    double eig_threshold; /* eV/A^2, start activation below (-0.01) */
    double force_tol;     /* eV/A, total force norm at the saddle (0.05) */
    double min_force_tol; /* eV/A, total force norm at minima (0.01) */
    double push_step;     /* A, push per escape step, cap of the Newton step (0.2) */
    int max_escape;       /* pushes with lambda >= threshold, in all (150) */
    int perp_steps;       /* max FIRE steps perpendicular per escape step (4) */
    int act_steps;        /* max FIRE steps per activation step (12) */
    int max_activation;   /* iterations beyond max_escape (300) */
    int max_lost;         /* times the negative curvature may be lost after
                           * activation before the event fails (0: no limit) */
    int follow_mode;      /* once the curvature was lost, push along the last
                           * negative mode (away from x0), not x - x0 (1) */
    double lanczos_h;     /* A, finite-difference step (0.01) */
    int lanczos_max;      /* Lanczos vectors (20) */
    double lanczos_tol;   /* stop when lambda changes < tol max(|lambda|, 1) (1e-2) */
    double max_move;      /* A, largest step of one atom per FIRE step (0.1) */
    double fire_dt;       /* FIRE initial / max time step (0.1 / 10x) */
    int max_min_steps;    /* FIRE steps per minimisation (5000) */
    double relax_push;    /* A, push off the saddle to relax (0.2) */
    double return_tol;    /* A, "returned" and displaced-atom threshold (0.1) */
    double deloc_radius;  /* A (8.0) */
    double max_energy;    /* eV above E0 that fails the event (10) */
    double local_radius;  /* A, mobile region, 0 = all atoms (0) */
    double skin;          /* A, pair-list skin (0.5) */
    int check_connect;    /* also relax the saddle back towards x0 (0) */
    int refine;           /* local_radius > 0: once the local saddle is found,
                           * let the atoms within refine_radius move too and
                           * converge the saddle again, then relax (0) */
    double refine_radius; /* A, mobile region of the refinement, 0 = all atoms (0) */
    uint64_t seed;        /* (1) */
} sf_art_params;

void sf_art_defaults(sf_art_params *par);
/* NULL when the parameters are usable, else what is wrong. */
const char *sf_art_check(const sf_art_params *par);

typedef enum sf_art_status {
    SF_ART_NEW_MINIMUM = 0,
    SF_ART_RETURNED = 1,
    SF_ART_DELOCALISED = 2,
    SF_ART_FAILED = 3,
    SF_ART_DISCONNECTED = 4,
} sf_art_status;
const char *sf_art_status_name(int status); /* "new_minimum", ... */

typedef struct sf_art_event {
    size_t center;        /* 0-based atom index */
    int index;            /* event number on this centre, 0-based */
    int status;           /* sf_art_status */
    const char *why;      /* for FAILED: a static reason, else "" */
    double barrier;       /* E_saddle - E0 (eV) */
    double relaxation;    /* E_final - E0 (eV); barrier - relaxation is the way back */
    double e_saddle, e_final;
    double eigenvalue;    /* lowest curvature at the saddle (eV/A^2) */
    double saddle_force;  /* |F| at the saddle */
    double saddle_disp;   /* |x_saddle - x0| (A) */
    double max_disp;      /* largest atomic displacement, final vs x0 (A) */
    size_t max_atom;      /* atom that moved most at the saddle (0-based) */
    double max_atom_dist; /* its distance from the centre at x0 (A) */
    int ndisplaced;       /* atoms moved > return_tol, final vs x0 */
    int nmobile;          /* atoms allowed to move */
    long force_calls;     /* in all, = the five calls_* below */
    long calls_lanczos;   /* in the Lanczos iterations (every phase) */
    long calls_escape;    /* kick, pushes and their perpendicular FIRE (lambda >= threshold) */
    long calls_activation;/* Newton steps and perpendicular FIRE while active */
    long calls_relax;     /* relaxation from the saddle (and check_connect) */
    long calls_refine;    /* refine: the second climb (its Lanczos calls included) */
    double local_barrier; /* refine: barrier of the local saddle, else NAN */
    int nrefine;          /* refine: atoms mobile in the refinement, else 0 */
    int iterations;       /* Lanczos computations (iterations of the search) */
    int escapes;          /* pushes along x - x0 */
    int lost;             /* times the negative curvature was lost once active */
    long builds;          /* pair-list builds */
    double seconds;       /* wall time of the event (not reproducible) */
    double *x_saddle, *x_final; /* 3n each when requested, else NULL (sf_art_free_events) */
} sf_art_event;

/* Minimise a (in place) with FIRE on the full system to |F| < ftol (total
 * norm); energy and steps may be NULL.  SF_ERR if not converged in maxsteps. */
int sf_art_minimize(const sf_eam *p, sf_atoms *a, const int *map, const sf_art_params *par,
                    double ftol, int maxsteps, double *energy, int *steps);

/* nev events on each of the ncenter atoms centers[] (0-based) of a, which
 * must be a minimum (sf_art_minimize).  ev[c * nev + k] is event k of
 * center c.  keep_configs: store x_saddle/x_final of every event that found
 * a saddle.  threads <= 0: OpenMP's default.  Returns SF_ERR only for bad
 * arguments or out of memory; failed searches are events. */
int sf_art_run(const sf_eam *p, const sf_atoms *a, const int *map,
               const sf_art_params *par, const size_t *centers, size_t ncenter,
               int nev, int keep_configs, int threads, sf_art_event *ev);
void sf_art_free_events(sf_art_event *ev, size_t n);

/* Lowest curvature of the energy at positions x (3n) of a by the Lanczos
 * iteration of the events (full system): lambda, and the unit mode in v
 * (3n; on input a start vector, or all zeros for a fixed default).
 * force_calls may be NULL. */
int sf_art_lowest_mode(const sf_eam *p, const sf_atoms *a, const int *map,
                       const sf_art_params *par, const double *x, double *lambda,
                       double *v, long *force_calls);

#endif
