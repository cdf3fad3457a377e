/* sf_art.c - ART nouveau events and FIRE minimisation on the EAM evaluator
 * (see sf_art.h for the algorithm).  Vectors are 3n long; components of
 * immobile atoms stay zero because every direction is built from forces
 * (zero there) or from kicks on mobile atoms. */
#include "sf_art.h"
#include "sf_eigen.h"
#include "sf_error.h"
#include "sf_stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

void sf_art_defaults(sf_art_params *par)
{
    memset(par, 0, sizeof *par);
    par->init_disp = 0.5;
    par->init_radius = 3.5;
    par->eig_threshold = -0.01;
    par->force_tol = 0.05;
    par->min_force_tol = 0.01;
    par->push_step = 0.2;
    par->max_escape = 150;
    par->perp_steps = 4;
    par->act_steps = 12;
    par->max_activation = 300;
    par->max_lost = 0;
    par->follow_mode = 1;
    par->lanczos_h = 0.01;
    par->lanczos_max = 20;
    par->lanczos_tol = 1e-2;
    par->max_move = 0.1;
    par->fire_dt = 0.1;
    par->max_min_steps = 5000;
    par->relax_push = 0.2;
    par->return_tol = 0.1;
    par->deloc_radius = 8.0;
    par->max_energy = 10.0;
    par->local_radius = 0.0;
    par->skin = 0.5;
    par->check_connect = 0;
    par->refine = 0;
    par->refine_radius = 0.0;
    par->seed = 1;
}

const char *sf_art_check(const sf_art_params *p)
{
#define POS(f)                                                                            \
    if (!(p->f > 0) || !isfinite(p->f))                                                    \
        return #f " must be a positive number";
    POS(init_disp)
    POS(init_radius)
    POS(force_tol)
    POS(min_force_tol)
    POS(push_step)
    POS(lanczos_h)
    POS(lanczos_tol)
    POS(max_move)
    POS(fire_dt)
    POS(relax_push)
    POS(return_tol)
    POS(deloc_radius)
    POS(max_energy)
    POS(skin)
#undef POS
    if (!(p->eig_threshold < 0))
        return "eig_threshold must be negative";
    if (p->max_lost < 0)
        return "max_lost must be >= 0 (0: no limit)";
    if (p->max_escape < 1 || p->perp_steps < 0 || p->act_steps < 1 || p->max_activation < 1 ||
        p->max_min_steps < 1)
        return "step counts must be positive (perp_steps may be 0)";
    if (p->lanczos_max < 3 || p->lanczos_max > 200)
        return "lanczos_max must be in 3..200";
    if (!(p->local_radius >= 0) || !isfinite(p->local_radius))
        return "local_radius must be >= 0 (0: all atoms move)";
    if (p->local_radius > 0 && p->local_radius < p->init_radius + 2.0)
        return "local_radius must be 0 or at least init_radius + 2 A";
    if (!(p->refine_radius >= 0) || !isfinite(p->refine_radius))
        return "refine_radius must be >= 0 (0: all atoms move)";
    if (p->refine && p->local_radius > 0 && p->refine_radius > 0 &&
        p->refine_radius <= p->local_radius)
        return "refine_radius must be 0 (all atoms) or larger than local_radius";
    return NULL;
}

static const char *const status_names[] = {"new_minimum", "returned", "delocalised", "failed",
                                           "disconnected"};

const char *sf_art_status_name(int s)
{
    return s >= 0 && s <= 4 ? status_names[s] : "unknown";
}

/* ---- the state of one search ------------------------------------------------ */

typedef struct ctx {
    const sf_art_params *par;
    sf_eam_work *w;
    size_t n, n3;
    const sf_box *box;
    const double *x0;
    double e0;
    double *x, *f, *xt, *ft, *g, *v, *vel, *d0, *vl, *Q, *T;
    double e, lam;
    long calls;
    int all_mobile; /* every atom moves: rigid translations are zero modes */
    /* FIRE */
    double dt, alpha;
    int npos;
} ctx;

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t k = 0; k < n; k++)
        s += a[k] * b[k];
    return s;
}

static int force(ctx *c, const double *x, double *e, double *f)
{
    c->calls++;
    return sf_eam_work_compute(c->w, x, e, f);
}

static int ctx_alloc(ctx *c, const sf_art_params *par, size_t n)
{
    memset(c, 0, sizeof *c);
    c->par = par;
    c->n = n;
    c->n3 = 3 * n;
    size_t m = c->n3 ? c->n3 : 1, k = (size_t)par->lanczos_max;
    double **bufs[] = {&c->x, &c->f, &c->xt, &c->ft, &c->g, &c->v, &c->vel, &c->d0, &c->vl};
    for (size_t b = 0; b < sizeof bufs / sizeof *bufs; b++)
        if (!(*bufs[b] = sf_calloc(m, sizeof(double))))
            return SF_ERR;
    if (!(c->Q = sf_malloc(k * m * sizeof *c->Q)) || !(c->T = sf_malloc(k * k * sizeof *c->T)))
        return SF_ERR;
    return SF_OK;
}

static void ctx_free(ctx *c)
{
    free(c->x);
    free(c->f);
    free(c->xt);
    free(c->ft);
    free(c->g);
    free(c->v);
    free(c->vel);
    free(c->d0);
    free(c->vl);
    free(c->Q);
    free(c->T);
    sf_eam_work_free(c->w);
    c->w = NULL;
}

/* Remove the rigid translation (the mean of each Cartesian component) when
 * every atom moves: with periodic boundaries it is a zero mode, and a
 * Lanczos vector that became one would never leave it. */
static void drop_translation(const ctx *c, double *u)
{
    if (!c->all_mobile || c->n == 0)
        return;
    double m[3] = {0, 0, 0};
    for (size_t a = 0; a < c->n; a++)
        for (int d = 0; d < 3; d++)
            m[d] += u[3 * a + d];
    for (int d = 0; d < 3; d++)
        m[d] /= (double)c->n;
    for (size_t a = 0; a < c->n; a++)
        for (int d = 0; d < 3; d++)
            u[3 * a + d] -= m[d];
}

/* Lowest curvature at c->x (c->f current) from start: c->lam, c->v. */
static int lanczos(ctx *c, const double *start)
{
    const sf_art_params *par = c->par;
    size_t n3 = c->n3;
    int kmax = par->lanczos_max;
    double h = par->lanczos_h;
    double alpha[200], beta[200], y[200], theta = 0, prev = NAN;
    memcpy(c->Q, start, n3 * sizeof *c->Q);
    drop_translation(c, c->Q);
    double nrm = sqrt(dot(c->Q, c->Q, n3));
    if (!(nrm > 0))
        return sf_error("Lanczos: zero start vector");
    for (size_t k = 0; k < n3; k++)
        c->Q[k] /= nrm;
    int m = 0;
    for (int k = 0; k < kmax; k++) {
        double *q = c->Q + (size_t)k * n3, *wv = c->g;
        for (size_t i = 0; i < n3; i++)
            c->xt[i] = c->x[i] + h * q[i];
        double et;
        if (force(c, c->xt, &et, c->ft))
            return SF_ERR;
        for (size_t i = 0; i < n3; i++)
            wv[i] = -(c->ft[i] - c->f[i]) / h;
        drop_translation(c, wv);
        alpha[k] = dot(q, wv, n3);
        const double *qp = k ? q - n3 : q;
        double bp = k ? beta[k - 1] : 0.0;
        for (size_t i = 0; i < n3; i++)
            wv[i] -= alpha[k] * q[i] + bp * qp[i];
        for (int j = 0; j <= k; j++) { /* full reorthogonalisation */
            const double *qj = c->Q + (size_t)j * n3;
            double s = dot(qj, wv, n3);
            for (size_t i = 0; i < n3; i++)
                wv[i] -= s * qj[i];
        }
        beta[k] = sqrt(dot(wv, wv, n3));
        m = k + 1;
        memset(c->T, 0, (size_t)m * m * sizeof *c->T);
        for (int i = 0; i < m; i++) {
            c->T[(size_t)i * m + i] = alpha[i];
            if (i + 1 < m)
                c->T[(size_t)i * m + i + 1] = c->T[(size_t)(i + 1) * m + i] = beta[i];
        }
        if (sf_eigen_dense((size_t)m, c->T, 1, 1, &theta, y))
            return SF_ERR;
        int done = (k >= 2 && fabs(theta - prev) < par->lanczos_tol * fmax(fabs(theta), 1.0)) ||
                   beta[k] < 1e-10 || k + 1 == kmax;
        prev = theta;
        if (done)
            break;
        double *qn = c->Q + (size_t)(k + 1) * n3;
        for (size_t i = 0; i < n3; i++)
            qn[i] = wv[i] / beta[k];
    }
    memset(c->v, 0, n3 * sizeof *c->v);
    for (int j = 0; j < m; j++) {
        const double *qj = c->Q + (size_t)j * n3;
        for (size_t i = 0; i < n3; i++)
            c->v[i] += y[j] * qj[i];
    }
    nrm = sqrt(dot(c->v, c->v, n3));
    for (size_t i = 0; i < n3; i++)
        c->v[i] /= nrm;
    c->lam = theta;
    return SF_OK;
}

/* ---- FIRE (Bitzek et al. 2006), unit masses ------------------------------------ */

enum { PLAIN = 0, PERP = 1, INVERT = 2 };

static void fire_reset(ctx *c)
{
    memset(c->vel, 0, c->n3 * sizeof *c->vel);
    c->dt = c->par->fire_dt;
    c->alpha = 0.1;
    c->npos = 0;
}

/* The driving force of mode at c->x: plain F, F without its component
 * along dir, or F with that component reversed. */
static void drive(ctx *c, int mode, const double *dir)
{
    size_t n3 = c->n3;
    double s = mode == PLAIN ? 0.0 : dot(c->f, dir, n3) * (mode == PERP ? 1.0 : 2.0);
    for (size_t i = 0; i < n3; i++)
        c->g[i] = c->f[i] - s * (dir ? dir[i] : 0.0);
}

static int fire_step(ctx *c, int mode, const double *dir)
{
    size_t n3 = c->n3;
    drive(c, mode, dir);
    double P = dot(c->vel, c->g, n3);
    if (P > 0) {
        double vn = sqrt(dot(c->vel, c->vel, n3)), gn = sqrt(dot(c->g, c->g, n3));
        double mixg = gn > 0 ? c->alpha * vn / gn : 0.0;
        for (size_t i = 0; i < n3; i++)
            c->vel[i] = (1.0 - c->alpha) * c->vel[i] + mixg * c->g[i];
        if (++c->npos > 5) {
            c->dt = fmin(c->dt * 1.1, 10.0 * c->par->fire_dt);
            c->alpha *= 0.99;
        }
    } else {
        memset(c->vel, 0, n3 * sizeof *c->vel);
        c->dt *= 0.5;
        c->alpha = 0.1;
        c->npos = 0;
    }
    double big = 0;
    for (size_t i = 0; i < n3; i++)
        c->vel[i] += c->dt * c->g[i];
    for (size_t a = 0; a < c->n; a++) {
        const double *u = c->vel + 3 * a;
        double s = (u[0] * u[0] + u[1] * u[1] + u[2] * u[2]) * c->dt * c->dt;
        if (s > big)
            big = s;
    }
    double scale = c->dt;
    big = sqrt(big);
    if (big > c->par->max_move)
        scale *= c->par->max_move / big;
    for (size_t i = 0; i < n3; i++)
        c->x[i] += scale * c->vel[i];
    return force(c, c->x, &c->e, c->f);
}

/* FIRE to |F| < ftol; 1 converged, 0 not, SF_ERR. */
static int minimize(ctx *c, double ftol, int maxsteps, int *steps)
{
    fire_reset(c);
    for (int s = 0;; s++) {
        if (sqrt(dot(c->f, c->f, c->n3)) < ftol) {
            if (steps)
                *steps = s;
            return 1;
        }
        if (s >= maxsteps) {
            if (steps)
                *steps = s;
            return 0;
        }
        if (fire_step(c, PLAIN, NULL))
            return SF_ERR;
    }
}

/* ---- one event ------------------------------------------------------------------- */

static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double dist_mi(const sf_box *box, const double *a, const double *b)
{
    double d[3] = {a[0] - b[0], a[1] - b[1], a[2] - b[2]};
    sf_box_minimum_image(box, d);
    return sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct shared {
    const sf_eam *p;
    const sf_atoms *a; /* at the minimum x0 */
    const int *map;
    const double *rho0;
    double e0;
    int keep;
} shared;

/* largest atomic displacement of x vs x0 (less the mean displacement when
 * every atom moves); *who its atom; *count above tol */
static double max_disp(const ctx *c, const double *x, size_t *who, double tol, int *count)
{
    double big = -1, m[3] = {0, 0, 0};
    int cnt = 0;
    if (c->all_mobile && c->n) {
        for (size_t a = 0; a < c->n; a++)
            for (int d = 0; d < 3; d++)
                m[d] += x[3 * a + d] - c->x0[3 * a + d];
        for (int d = 0; d < 3; d++)
            m[d] /= (double)c->n;
    }
    for (size_t a = 0; a < c->n; a++) {
        double d0 = x[3 * a] - c->x0[3 * a] - m[0], d1 = x[3 * a + 1] - c->x0[3 * a + 1] - m[1],
               d2 = x[3 * a + 2] - c->x0[3 * a + 2] - m[2];
        double d = sqrt(d0 * d0 + d1 * d1 + d2 * d2);
        if (d > tol)
            cnt++;
        if (d > big) {
            big = d;
            if (who)
                *who = a;
        }
    }
    if (count)
        *count = cnt;
    return big;
}

/* A Newton step uphill along the mode c->v (curvature c->lam < 0), its
 * length |F.v|/|lambda| capped at push_step. */
static void newton_step(ctx *c)
{
    double fpar = dot(c->f, c->v, c->n3);
    double step = fmin(c->par->push_step, fabs(fpar) / -c->lam);
    step = copysign(step, -fpar);
    for (size_t k = 0; k < c->n3; k++)
        c->x[k] += step * c->v[k];
}

/* Forces at the moved c->x, then at most perp_steps (escape) / act_steps
 * (active) FIRE steps in the hyperplane perpendicular to dir; active, only
 * until the perpendicular force is below the parallel one.  The FIRE
 * velocity is kept, less its dir component. */
static int perp_relax(ctx *c, const double *dir, int active)
{
    const sf_art_params *par = c->par;
    size_t n3 = c->n3;
    if (force(c, c->x, &c->e, c->f))
        return SF_ERR;
    double vv = dot(c->vel, dir, n3);
    for (size_t k = 0; k < n3; k++)
        c->vel[k] -= vv * dir[k];
    int nsteps = active ? par->act_steps : par->perp_steps;
    for (int k = 0; k < nsteps; k++) {
        double fp = dot(c->f, dir, n3), ff = dot(c->f, c->f, n3);
        double fperp = sqrt(fmax(ff - fp * fp, 0.0));
        if (fperp < (active ? fmax(fabs(fp), par->force_tol) : par->force_tol))
            break;
        if (fire_step(c, PERP, dir))
            return SF_ERR;
    }
    return SF_OK;
}

/* The mobile atoms of a search centred at ctr: within radius of it at x0
 * (radius 0: every atom).  Returns their number. */
static int mobile_set(const ctx *c, size_t ctr, double radius, unsigned char *mob)
{
    int nmob = 0;
    for (size_t i = 0; i < c->n; i++) {
        mob[i] = radius <= 0 || dist_mi(c->box, c->x0 + 3 * i, c->x0 + 3 * ctr) <= radius;
        nmob += mob[i];
    }
    return nmob;
}

/* Force evaluator for the mobile set mob (nmob atoms). */
static int use_region(ctx *c, const shared *sh, const unsigned char *mob, int nmob)
{
    sf_eam_work_free(c->w);
    c->w = sf_eam_work_new(sh->p, sh->a, sh->map, mob, c->par->skin, sh->rho0, &sh->e0);
    c->all_mobile = (size_t)nmob == c->n;
    return c->w ? SF_OK : SF_ERR;
}

/* The second climb of refine: from a saddle of a smaller region (c->x, its
 * mode c->v), with the region of mob now mobile, to |F| < force_tol and
 * lambda < 0.  1 found, 0 not (*why says why), SF_ERR. */
static int refine_saddle(ctx *c, const shared *sh, const unsigned char *mob, int nmob,
                         const char **why)
{
    const sf_art_params *par = c->par;
    if (use_region(c, sh, mob, nmob) || force(c, c->x, &c->e, c->f))
        return SF_ERR;
    fire_reset(c);
    for (int it = 0;; it++) {
        if (lanczos(c, c->v))
            return SF_ERR;
        if (!(c->lam < 0)) {
            *why = "refinement lost the negative curvature";
            return 0;
        }
        if (sqrt(dot(c->f, c->f, c->n3)) < par->force_tol)
            return 1;
        if (it >= par->max_activation) {
            *why = "refinement found no saddle";
            return 0;
        }
        newton_step(c);
        if (perp_relax(c, c->v, 1))
            return SF_ERR;
        if (c->e - c->e0 > par->max_energy) {
            *why = "energy too high";
            return 0;
        }
    }
}

#define FAIL(reason)                                                                       \
    do {                                                                                   \
        ev->status = SF_ART_FAILED;                                                        \
        ev->why = reason;                                                                  \
        goto done;                                                                         \
    } while (0)

static int run_event(ctx *c, const shared *sh, unsigned char *mob, sf_art_event *ev)
{
    const sf_art_params *par = c->par;
    const sf_atoms *a = sh->a;
    size_t n = c->n, n3 = c->n3, ctr = ev->center;
    double t0 = now_s();
    ev->status = SF_ART_FAILED;
    ev->why = "";
    ev->barrier = ev->relaxation = ev->e_saddle = ev->e_final = NAN;
    ev->eigenvalue = ev->saddle_force = ev->saddle_disp = ev->max_disp = NAN;
    ev->max_atom_dist = NAN;
    ev->max_atom = ctr;
    ev->local_barrier = NAN;
    ev->nrefine = 0;
    c->calls = 0;
    long mark = 0, lcalls = 0, escc = 0, actc = 0;
    int saddle = 0, active = 0;
    /* mobile region and kick */
    const double *xc = c->x0 + 3 * ctr;
    int nmob = mobile_set(c, ctr, par->local_radius, mob);
    ev->nmobile = nmob;
    if (use_region(c, sh, mob, nmob))
        return SF_ERR;
    sf_stats_rng rng;
    sf_stats_rng_seed(&rng, mix64(mix64(mix64(par->seed) ^ (uint64_t)a->id[ctr]) ^
                                  (uint64_t)ev->index));
    memset(c->d0, 0, n3 * sizeof *c->d0);
    for (size_t i = 0; i < n; i++) {
        if (i != ctr && dist_mi(c->box, c->x0 + 3 * i, xc) > par->init_radius)
            continue;
        for (int d = 0; d < 3; d++) {
            double u1 = 1.0 - sf_stats_rng_uniform(&rng), u2 = sf_stats_rng_uniform(&rng);
            c->d0[3 * i + d] = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
        }
    }
    drop_translation(c, c->d0);
    double nd = sqrt(dot(c->d0, c->d0, n3));
    for (size_t k = 0; k < n3; k++) {
        c->d0[k] /= nd;
        c->x[k] = c->x0[k] + par->init_disp * c->d0[k];
    }
    if (force(c, c->x, &c->e, c->f))
        return SF_ERR;
    /* Each iteration: the lowest curvature lambda by Lanczos.  Below
     * eig_threshold (and, once there, while it stays negative) the search is
     * active: a capped Newton step uphill along v, then FIRE in the hyperplane
     * perpendicular to v.  Otherwise (the harmonic well, or the curvature was
     * lost): push by push_step along x - x0 and relax perpendicular to it. */
    fire_reset(c);
    int escapes = 0;
    for (int it = 0;; it++) {
        if (active)
            actc += c->calls - mark;
        else
            escc += c->calls - mark;
        mark = c->calls;
        ev->iterations = it + 1;
        if (lanczos(c, it == 0 ? c->d0 : c->v))
            return SF_ERR;
        lcalls += c->calls - mark;
        mark = c->calls;
        int was = active;
        active = c->lam < par->eig_threshold || (active && c->lam < 0);
        if (was && !active && ++ev->lost >= par->max_lost && par->max_lost > 0)
            FAIL("negative curvature lost max_lost times");
#ifdef SF_ART_TRACE
        fprintf(stderr, "it %d lam %.4f E %.4f |F| %.4f Fv %.4f active %d |x-x0| %.3f calls %ld\n", it,
                c->lam, c->e - c->e0, sqrt(dot(c->f, c->f, n3)), dot(c->f, c->v, n3), active,
                sqrt(max_disp(c, c->x, NULL, 0, NULL)), c->calls);
#endif
        if (active)
            memcpy(c->vl, c->v, n3 * sizeof *c->vl);
        if (active && sqrt(dot(c->f, c->f, n3)) < par->force_tol)
            break;
        if (it >= par->max_activation + par->max_escape)
            FAIL("no saddle");
        const double *dir;
        if (!active) {
            if (escapes++ >= par->max_escape)
                FAIL(ev->lost ? "lost the negative curvature" : "no negative curvature");
            for (size_t k = 0; k < n3; k++)
                c->d0[k] = c->x[k] - c->x0[k];
            if (par->follow_mode && ev->lost > 0) { /* along the last negative mode, away from x0 */
                double sg = dot(c->vl, c->d0, n3) >= 0 ? 1.0 : -1.0;
                for (size_t k = 0; k < n3; k++)
                    c->d0[k] = sg * c->vl[k];
            }
            drop_translation(c, c->d0);
            double nd = sqrt(dot(c->d0, c->d0, n3));
            for (size_t k = 0; k < n3; k++) {
                c->d0[k] /= nd;
                c->x[k] += par->push_step * c->d0[k];
            }
            ev->escapes = escapes;
            dir = c->d0;
        } else {
            newton_step(c);
            dir = c->v;
        }
        if (perp_relax(c, dir, active))
            return SF_ERR;
        if (c->e - c->e0 > par->max_energy)
            FAIL("energy too high");
    }
    saddle = 1;
    if (par->refine && par->local_radius > 0) {
        /* a local saddle already delocalised is recorded as such below, unrefined */
        size_t moved;
        max_disp(c, c->x, &moved, 0, NULL);
        if (dist_mi(c->box, c->x0 + 3 * moved, xc) <= par->deloc_radius) {
            ev->local_barrier = c->e - c->e0;
            int nr = mobile_set(c, ctr, par->refine_radius, mob);
            ev->nrefine = nr;
            const char *why = "";
            long r0 = c->calls;
            int ok = refine_saddle(c, sh, mob, nr, &why);
            ev->calls_refine = c->calls - r0;
            mark = c->calls;
            if (ok < 0)
                return SF_ERR;
            if (!ok)
                FAIL(why);
        }
    }
    ev->e_saddle = c->e;
    ev->barrier = c->e - c->e0;
    ev->eigenvalue = c->lam;
    ev->saddle_force = sqrt(dot(c->f, c->f, n3));
    {
        double s2 = 0;
        for (size_t k = 0; k < n3; k++)
            s2 += (c->x[k] - c->x0[k]) * (c->x[k] - c->x0[k]);
        ev->saddle_disp = sqrt(s2);
    }
    max_disp(c, c->x, &ev->max_atom, 0, NULL);
    ev->max_atom_dist = dist_mi(c->box, c->x0 + 3 * ev->max_atom, xc);
    if (sh->keep) {
        if (!(ev->x_saddle = sf_malloc(n3 * sizeof(double))))
            return SF_ERR;
        memcpy(ev->x_saddle, c->x, n3 * sizeof(double));
    }
    if (ev->max_atom_dist > par->deloc_radius) {
        ev->status = SF_ART_DELOCALISED;
        goto done;
    }
    /* relax into the new minimum: off the saddle, away from x0 */
    {
        double sgn = 0;
        for (size_t k = 0; k < n3; k++)
            sgn += c->v[k] * (c->x[k] - c->x0[k]);
        sgn = sgn >= 0 ? 1.0 : -1.0;
        memcpy(c->xt, c->x, n3 * sizeof *c->xt); /* keep the saddle */
        memcpy(c->ft, c->v, n3 * sizeof *c->ft); /* and its mode */
        for (size_t k = 0; k < n3; k++)
            c->x[k] += sgn * par->relax_push * c->v[k];
        if (force(c, c->x, &c->e, c->f))
            return SF_ERR;
        int ok = minimize(c, par->min_force_tol, par->max_min_steps, NULL);
        if (ok < 0)
            return SF_ERR;
        if (!ok)
            FAIL("no new minimum");
        ev->e_final = c->e;
        ev->relaxation = c->e - c->e0;
        ev->max_disp = max_disp(c, c->x, NULL, par->return_tol, &ev->ndisplaced);
        if (sh->keep) {
            if (!(ev->x_final = sf_malloc(n3 * sizeof(double))))
                return SF_ERR;
            memcpy(ev->x_final, c->x, n3 * sizeof(double));
        }
        if (ev->max_disp < par->return_tol) {
            ev->status = SF_ART_RETURNED;
            goto done;
        }
        ev->status = SF_ART_NEW_MINIMUM;
        if (par->check_connect) {
            /* the saddle and mode were kept in xt / ft; Lanczos is not called
             * again, so they are intact */
            double *xs = sf_malloc(n3 * sizeof *xs);
            if (!xs)
                return SF_ERR;
            for (size_t k = 0; k < n3; k++)
                xs[k] = c->xt[k] - sgn * par->relax_push * c->ft[k];
            memcpy(c->x, xs, n3 * sizeof *xs);
            free(xs);
            if (force(c, c->x, &c->e, c->f))
                return SF_ERR;
            ok = minimize(c, par->min_force_tol, par->max_min_steps, NULL);
            if (ok < 0)
                return SF_ERR;
            if (!ok || max_disp(c, c->x, NULL, 0, NULL) >= par->return_tol)
                ev->status = SF_ART_DISCONNECTED;
        }
    }
done:
    if (!saddle) { /* stopped in the search: the calls of the last iteration */
        if (active)
            actc += c->calls - mark;
        else
            escc += c->calls - mark;
        mark = c->calls;
    }
    ev->calls_lanczos = lcalls;
    ev->calls_escape = escc;
    ev->calls_activation = actc;
    ev->calls_relax = c->calls - mark;
    ev->force_calls = c->calls;
    ev->builds = (long)sf_eam_work_builds(c->w);
    ev->seconds = now_s() - t0;
    return SF_OK;
}
#undef FAIL

/* ---- public entry points ------------------------------------------------------------ */

static int check_args(const sf_art_params *par)
{
    const char *why = sf_art_check(par);
    if (why)
        return sf_error("ART parameters: %s", why);
    return SF_OK;
}

int sf_art_minimize(const sf_eam *p, sf_atoms *a, const int *map, const sf_art_params *par,
                    double ftol, int maxsteps, double *energy, int *steps)
{
    if (check_args(par))
        return SF_ERR;
    ctx c;
    int rc = SF_ERR, st = 0;
    if (ctx_alloc(&c, par, a->n))
        goto out;
    if (!(c.w = sf_eam_work_new(p, a, map, NULL, par->skin, NULL, NULL)))
        goto out;
    memcpy(c.x, a->x, c.n3 * sizeof *c.x);
    if (force(&c, c.x, &c.e, c.f))
        goto out;
    int ok = minimize(&c, ftol, maxsteps, &st);
    if (ok < 0)
        goto out;
    memcpy(a->x, c.x, c.n3 * sizeof *c.x);
    if (energy)
        *energy = c.e;
    if (steps)
        *steps = st;
    if (!ok) {
        sf_error("FIRE minimisation: |F| = %.3g eV/A after %d steps (tolerance %g)",
                 sqrt(dot(c.f, c.f, c.n3)), st, ftol);
        goto out;
    }
    rc = SF_OK;
out:
    ctx_free(&c);
    return rc;
}

int sf_art_lowest_mode(const sf_eam *p, const sf_atoms *a, const int *map,
                       const sf_art_params *par, const double *x, double *lambda, double *v,
                       long *force_calls)
{
    if (check_args(par))
        return SF_ERR;
    ctx c;
    int rc = SF_ERR;
    if (ctx_alloc(&c, par, a->n))
        goto out;
    if (!(c.w = sf_eam_work_new(p, a, map, NULL, par->skin, NULL, NULL)))
        goto out;
    memcpy(c.x, x, c.n3 * sizeof *c.x);
    c.all_mobile = 1;
    if (force(&c, c.x, &c.e, c.f))
        goto out;
    if (dot(v, v, c.n3) > 0)
        memcpy(c.d0, v, c.n3 * sizeof *c.d0);
    else {
        sf_stats_rng r;
        sf_stats_rng_seed(&r, par->seed);
        for (size_t k = 0; k < c.n3; k++)
            c.d0[k] = sf_stats_rng_uniform(&r) - 0.5;
    }
    if (lanczos(&c, c.d0))
        goto out;
    *lambda = c.lam;
    memcpy(v, c.v, c.n3 * sizeof *v);
    if (force_calls)
        *force_calls = c.calls;
    rc = SF_OK;
out:
    ctx_free(&c);
    return rc;
}

void sf_art_free_events(sf_art_event *ev, size_t n)
{
    if (!ev)
        return;
    for (size_t k = 0; k < n; k++) {
        free(ev[k].x_saddle);
        free(ev[k].x_final);
        ev[k].x_saddle = ev[k].x_final = NULL;
    }
}

int sf_art_run(const sf_eam *p, const sf_atoms *a, const int *map, const sf_art_params *par,
               const size_t *centers, size_t ncenter, int nev, int keep_configs, int threads,
               sf_art_event *ev)
{
    if (check_args(par))
        return SF_ERR;
    if (nev < 0)
        return sf_error("ART: number of events per atom must be >= 0, not %d", nev);
    for (size_t k = 0; k < ncenter; k++)
        if (centers[k] >= a->n)
            return sf_error("ART: centre %zu is atom %zu, outside 1..%zu", k + 1,
                            centers[k] + 1, a->n);
    size_t total = ncenter * (size_t)nev;
    for (size_t t = 0; t < total; t++) {
        memset(ev + t, 0, sizeof *ev);
        ev[t].center = centers[t / (size_t)nev];
        ev[t].index = (int)(t % (size_t)nev);
        ev[t].why = "";
    }
    if (total == 0)
        return SF_OK;
    shared sh = {p, a, map, NULL, 0.0, keep_configs};
    double *rho0 = sf_malloc((a->n ? a->n : 1) * sizeof *rho0);
    if (!rho0)
        return SF_ERR;
    if (sf_eam_compute(p, a, map, &sh.e0, NULL, NULL, rho0)) {
        free(rho0);
        return SF_ERR;
    }
    sh.rho0 = rho0;
    int err = 0;
    char msg[512] = "";
#ifdef _OPENMP
    int nth = threads > 0 ? threads : omp_get_max_threads();
#else
    int nth = 1;
    (void)threads;
#endif
#pragma omp parallel num_threads(nth)
    {
        ctx c;
        memset(&c, 0, sizeof c);
        unsigned char *mob = sf_malloc(a->n ? a->n : 1);
        int ok = mob && ctx_alloc(&c, par, a->n) == SF_OK;
        if (ok) {
            c.box = &a->box;
            c.x0 = a->x;
            c.e0 = sh.e0;
        }
#pragma omp for schedule(dynamic, 1)
        for (size_t t = 0; t < total; t++) {
            int bad;
#pragma omp atomic read
            bad = err;
            if (bad)
                continue;
            if (!ok || run_event(&c, &sh, mob, ev + t)) {
#pragma omp critical(sf_art_err)
                if (!err) {
                    err = 1;
                    snprintf(msg, sizeof msg, "ART event %d on atom id %lld: %s",
                             ev[t].index + 1, (long long)a->id[ev[t].center],
                             sf_error_message());
                }
            }
        }
        ctx_free(&c);
        free(mob);
    }
    free(rho0);
    if (err) {
        sf_art_free_events(ev, total);
        return sf_error("%s", msg);
    }
    return SF_OK;
}
