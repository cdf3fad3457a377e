/* sf_descriptor.c - radial structure functions (eq. 5) computed from
 * per-species cell lists, atom by atom. */
#include "sf_descriptor.h"
#include "sf_error.h"
#include "sf_neighbor.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_WINDOW 9.0

void sf_descriptor_params_init(sf_descriptor_params *p)
{
    memset(p, 0, sizeof *p);
    p->r0 = 0.6;
    p->r1 = 3.0;
    p->h = 0.05;
    p->sigma = 0.05;
    p->cutoff = 3.0;
    p->reduced = 1;
    p->window = DEFAULT_WINDOW;
}

void sf_descriptor_params_init_angstrom(sf_descriptor_params *p)
{
    memset(p, 0, sizeof *p);
    p->r0 = 1.5;
    p->r1 = 6.6;
    p->h = 0.1;
    p->sigma = 0.1;
    p->cutoff = 6.6;
    p->reduced = 0;
    p->window = DEFAULT_WINDOW;
}

size_t sf_descriptor_ngrid(const sf_descriptor_params *p)
{
    return (size_t)floor((p->r1 - p->r0) / p->h + 1e-9) + 1;
}

size_t sf_descriptor_ncols(const sf_descriptor_params *p, int ntypes)
{
    return (size_t)ntypes * sf_descriptor_ngrid(p) + 1;
}

int sf_descriptor_check(const sf_descriptor_params *p, int ntypes)
{
    if (!isfinite(p->r0) || !isfinite(p->r1) || p->r0 < 0)
        return sf_error("descriptor: grid start %g must be finite and >= 0",
                        p->r0);
    if (!(p->h > 0) || !isfinite(p->h))
        return sf_error("descriptor: grid step %g must be positive", p->h);
    if (!(p->r1 >= p->r0))
        return sf_error("descriptor: grid end %g is below its start %g", p->r1,
                        p->r0);
    if ((p->r1 - p->r0) / p->h > 1e6)
        return sf_error("descriptor: grid of %g points is too long",
                        (p->r1 - p->r0) / p->h);
    if (!(p->sigma > 0) || !isfinite(p->sigma))
        return sf_error("descriptor: sigma %g must be positive", p->sigma);
    if (!(p->cutoff > 0) || !isfinite(p->cutoff))
        return sf_error("descriptor: cutoff %g must be positive", p->cutoff);
    if (p->window < 0 || !isfinite(p->window) ||
        (p->window > 0 && p->window < 3))
        return sf_error("descriptor: window %g sigmas (use >= 3, 0 = %g)",
                        p->window, DEFAULT_WINDOW);
    if (p->reduced)
        return sf_rp_check(p->rp, ntypes, "descriptor");
    return SF_OK;
}

int sf_rp_check(const double *rp, int ntypes, const char *who)
{
    if (!rp)
        return sf_error("%s: reduced units need the first-peak positions rp",
                        who);
    for (int a = 0; a < ntypes; a++)
        for (int b = 0; b < ntypes; b++) {
            double v = rp[a * ntypes + b];
            if (!(v > 0) || !isfinite(v))
                return sf_error("%s: rp for types %d-%d is %g (must be "
                                "positive)", who, a + 1, b + 1, v);
            if (v != rp[b * ntypes + a])
                return sf_error("%s: rp is not symmetric: %d-%d %g vs %d-%d "
                                "%g", who, a + 1, b + 1, v, b + 1, a + 1,
                                rp[b * ntypes + a]);
        }
    return SF_OK;
}

int sf_descriptor_colname(const sf_descriptor_params *p, const sf_atoms *a,
                          size_t col, char *buf, size_t len)
{
    size_t ng = sf_descriptor_ngrid(p);
    size_t b = col / ng;
    if (b >= (size_t)a->ntypes)
        return snprintf(buf, len, "bias");
    double r = p->r0 + (double)(col % ng) * p->h;
    const char *sp = a->species[b];
    if (sp)
        return snprintf(buf, len, "G_%s_%.3f", sp, r);
    return snprintf(buf, len, "G_%zu_%.3f", b + 1, r);
}

/* ---- the kernel ------------------------------------------------------------ */

/* Windows start on a multiple of 4 grid points (so that the vector adds of
 * successive neighbours hit the same aligned addresses) and span nb4 blocks
 * of 4 points; the accumulator of a species has pad points on each side so
 * that windows hanging over the ends of the grid need no clipping. */
typedef struct kernel {
    int nt;
    size_t ng;        /* grid points */
    size_t nwin;      /* points within +-W of a distance: floor(2W/h) + 1 */
    size_t nb4;       /* 4-point blocks per window */
    size_t pad, stride;
    double r0, h, inv_h, W, inv2s2, c, cutoff;
    double c4l6[4];   /* c^(4l+6), l = 0..3 */
    double c16;       /* c^16 */
    int mode;         /* KERNEL_RECUR or KERNEL_DIRECT */
} kernel;

enum { KERNEL_RECUR, KERNEL_DIRECT };

/* Scalar closed form of the recurrence for one neighbour at reduced
 * distance rb: adds g_k for the window's 4 nb4 points. */
static inline void add_window(const kernel *K, double rb, double *acc)
{
    double t = ceil((rb - K->W - K->r0) * K->inv_h);
    if (!(t < (double)K->ng && t > -(double)K->nwin))
        return;
    long k0 = (long)t;
    long ka = k0 >= 0 ? k0 & ~3L : -((-k0 + 3) & ~3L);
    double x = K->r0 + (double)ka * K->h - rb;
    double g = exp(-x * x * K->inv2s2);
    double q = exp(-(2.0 * x * K->h + K->h * K->h) * K->inv2s2);
    double *o = acc + K->pad + ka;
    /* four lanes: g_l = g q^l c^(l(l-1)/2), advanced by q^4 c^(4l+6) c^16b */
    double q2 = q * q, q4 = q2 * q2, c = K->c;
    double G[4] = {g, g * q, g * q2 * c, g * q2 * q * c * c * c};
    double Q[4] = {q4 * K->c4l6[0], q4 * K->c4l6[1], q4 * K->c4l6[2],
                   q4 * K->c4l6[3]};
    for (size_t b = 0; b < K->nb4; b++) {
        for (int l = 0; l < 4; l++) {
            o[4 * b + l] += G[l];
            G[l] *= Q[l];
            Q[l] *= K->c16;
        }
    }
}

static void accumulate_generic(const kernel *K, double inv, const double *r2,
                               size_t nb, double *acc)
{
    for (size_t e = 0; e < nb; e++) {
        double rb = sqrt(r2[e]) * inv;
        if (!(rb <= K->cutoff))
            continue;
        if (K->mode == KERNEL_RECUR) {
            add_window(K, rb, acc);
        } else {
            for (size_t k = 0; k < K->ng; k++) {
                double x = K->r0 + (double)k * K->h - rb;
                if (fabs(x) <= K->W)
                    acc[K->pad + k] += exp(-x * x * K->inv2s2);
            }
        }
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#define SF_HAVE_AVX2_PATH 1
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))

/* exp(x) for x in [-700, 700], 4 lanes: x = n ln2 + r, |r| <= ln2/2,
 * exp(r) by its degree-12 Taylor polynomial (truncation < 2e-16
 * relative), 2^n through the exponent bits.  About 1 ulp. */
static inline AVX2 __m256d exp4(__m256d x)
{
    const __m256d log2e = _mm256_set1_pd(1.4426950408889634074);
    const __m256d ln2hi = _mm256_set1_pd(6.93147180369123816490e-01);
    const __m256d ln2lo = _mm256_set1_pd(1.90821492927058770002e-10);
    x = _mm256_max_pd(x, _mm256_set1_pd(-700.0));
    x = _mm256_min_pd(x, _mm256_set1_pd(700.0));
    __m256d n = _mm256_round_pd(_mm256_mul_pd(x, log2e),
                                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256d r = _mm256_fnmadd_pd(n, ln2hi, x);
    r = _mm256_fnmadd_pd(n, ln2lo, r);
    __m256d p = _mm256_set1_pd(1.0 / 479001600.0);
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 39916800.0));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 3628800.0));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 362880.0));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 40320.0));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 5040.0));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 720.0));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 120.0));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 24.0));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 6.0));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(0.5));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0));
    __m128i ni = _mm256_cvtpd_epi32(n);
    __m256i e = _mm256_cvtepi32_epi64(ni);
    e = _mm256_slli_epi64(_mm256_add_epi64(e, _mm256_set1_epi64x(1023)), 52);
    return _mm256_mul_pd(p, _mm256_castsi256_pd(e));
}

/* Phase 1, four neighbours at a time: window start (multiple of 4), g and
 * q of every neighbour; neighbours beyond the cutoff or with a window
 * outside the grid get g = 0 (they add zeros).  r2 must have 3 readable
 * slack entries after nb. */
static AVX2 void prepare_avx2(const kernel *K, double inv, const double *r2,
                              size_t nb, int32_t *ka, double *g, double *q)
{
    const __m256d vinv = _mm256_set1_pd(inv), vcut = _mm256_set1_pd(K->cutoff);
    const __m256d vW = _mm256_set1_pd(K->W + K->r0);
    const __m256d vih = _mm256_set1_pd(K->inv_h), vh = _mm256_set1_pd(K->h);
    const __m256d vr0 = _mm256_set1_pd(K->r0);
    const __m256d vng = _mm256_set1_pd((double)K->ng);
    const __m256d vnw = _mm256_set1_pd(-(double)K->nwin);
    const __m256d vm = _mm256_set1_pd(-K->inv2s2);
    const __m256d vhh = _mm256_set1_pd(K->h * K->h);
    const __m256d quarter = _mm256_set1_pd(0.25), four = _mm256_set1_pd(4.0);
    const __m256d one = _mm256_set1_pd(1.0), zero = _mm256_setzero_pd();
    for (size_t e = 0; e < nb; e += 4) {
        __m256d rb = _mm256_mul_pd(_mm256_sqrt_pd(_mm256_loadu_pd(r2 + e)), vinv);
        __m256d t = _mm256_round_pd(_mm256_mul_pd(_mm256_sub_pd(rb, vW), vih),
                                    _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC);
        __m256d ok = _mm256_and_pd(_mm256_cmp_pd(rb, vcut, _CMP_LE_OQ),
                                   _mm256_and_pd(_mm256_cmp_pd(t, vng, _CMP_LT_OQ),
                                                 _mm256_cmp_pd(t, vnw, _CMP_GT_OQ)));
        __m256d a = _mm256_mul_pd(
            _mm256_round_pd(_mm256_mul_pd(t, quarter),
                            _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC),
            four);
        a = _mm256_blendv_pd(zero, a, ok);
        __m256d rbs = _mm256_blendv_pd(vr0, rb, ok);
        /* x = r0 + a h - rb, as the scalar code computes it */
        __m256d x = _mm256_sub_pd(_mm256_add_pd(vr0, _mm256_mul_pd(a, vh)), rbs);
        __m256d ea = _mm256_mul_pd(_mm256_mul_pd(x, x), vm);
        __m256d eb = _mm256_mul_pd(
            _mm256_add_pd(_mm256_mul_pd(_mm256_add_pd(x, x), vh), vhh), vm);
        __m256d gv = _mm256_blendv_pd(zero, exp4(ea), ok);
        __m256d qv = _mm256_blendv_pd(one, exp4(eb), ok);
        _mm_storeu_si128((__m128i *)(ka + e), _mm256_cvtpd_epi32(a));
        _mm256_storeu_pd(g + e, gv);
        _mm256_storeu_pd(q + e, qv);
    }
}

/* Phase 2: add each neighbour's window, 4 aligned points at a time. */
static AVX2 void windows_avx2(const kernel *K, const int32_t *ka,
                              const double *g, const double *q, size_t nb,
                              double *acc)
{
    const double c = K->c, c3 = c * c * c;
    const __m256d cq = _mm256_loadu_pd(K->c4l6);
    const __m256d c16 = _mm256_set1_pd(K->c16);
    const size_t nb4 = K->nb4;
    double *base = acc + K->pad;
    for (size_t e = 0; e < nb; e++) {
        double g0 = g[e], q0 = q[e];
        double q2 = q0 * q0;
        __m256d G = _mm256_mul_pd(_mm256_set1_pd(g0),
                                  _mm256_set_pd(q2 * q0 * c3, q2 * c, q0, 1.0));
        __m256d Q = _mm256_mul_pd(_mm256_set1_pd(q2 * q2), cq);
        double *o = base + ka[e];
        for (size_t b = 0; b < nb4; b++) {
            __m256d v = _mm256_load_pd(o + 4 * b);
            _mm256_store_pd(o + 4 * b, _mm256_add_pd(v, G));
            G = _mm256_mul_pd(G, Q);
            Q = _mm256_mul_pd(Q, c16);
        }
    }
}

static int use_avx2 = -1;

static void choose_isa(void)
{
    const char *no = getenv("SF_NO_AVX2");
    use_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
               !(no && *no && *no != '0');
}
#else
static int use_avx2 = 0;
static void choose_isa(void) {}
#endif

static pthread_once_t isa_once = PTHREAD_ONCE_INIT;

/* Per-thread scratch. */
typedef struct scratch {
    sf_nbuf nb;
    double *acc;
    int32_t *ka;
    double *g, *q;
    size_t cap;
} scratch;

static int scratch_reserve(scratch *w, size_t n)
{
    if (n <= w->cap)
        return SF_OK;
    size_t cap = w->cap ? w->cap : 256;
    while (cap < n)
        cap *= 2;
    int32_t *ka = realloc(w->ka, cap * sizeof *ka);
    if (!ka)
        return SF_ERR;
    w->ka = ka;
    double *g = realloc(w->g, cap * sizeof *g);
    if (!g)
        return SF_ERR;
    w->g = g;
    double *q = realloc(w->q, cap * sizeof *q);
    if (!q)
        return SF_ERR;
    w->q = q;
    w->cap = cap;
    return SF_OK;
}

static void scratch_free(scratch *w)
{
    sf_nbuf_free(&w->nb);
    free(w->acc);
    free(w->ka);
    free(w->g);
    free(w->q);
}

/* The accumulated row of one atom: species blocks at acc + b * stride. */
static int atom_row(const kernel *K, const sf_cells *cells, size_t i, int ti,
                    const double *inv, const double *rq, scratch *w)
{
    const int nt = K->nt;
    memset(w->acc, 0, (size_t)nt * K->stride * sizeof *w->acc);
    for (int tb = 0; tb < nt; tb++) {
        w->nb.n = 0;
        if (sf_cells_query(cells, i, tb, rq[ti * nt + tb], SF_CELLS_D2ONLY,
                           &w->nb))
            return SF_ERR;
        double *blk = w->acc + (size_t)tb * K->stride;
        size_t nb = w->nb.n;
#ifdef SF_HAVE_AVX2_PATH
        if (use_avx2 && K->mode == KERNEL_RECUR) {
            /* slack after the hits: the query reserved 4 entries */
            if (w->nb.cap < nb + 4 || scratch_reserve(w, nb + 4))
                return SF_ERR;
            for (size_t k = nb; k < nb + 4; k++)
                w->nb.d2[k] = INFINITY;
            prepare_avx2(K, inv[ti * nt + tb], w->nb.d2, nb, w->ka, w->g, w->q);
            windows_avx2(K, w->ka, w->g, w->q, nb, blk);
            continue;
        }
#endif
        accumulate_generic(K, inv[ti * nt + tb], w->nb.d2, nb, blk);
    }
    return SF_OK;
}

int sf_descriptor_compute(const sf_atoms *a, const sf_descriptor_params *p,
                          double *out, float *outf)
{
    if ((out == NULL) == (outf == NULL))
        return sf_error("descriptor: give exactly one output array");
    const int nt = a->ntypes;
    if (sf_descriptor_check(p, nt))
        return SF_ERR;
    pthread_once(&isa_once, choose_isa);
    kernel K;
    memset(&K, 0, sizeof K);
    K.nt = nt;
    K.ng = sf_descriptor_ngrid(p);
    K.r0 = p->r0;
    K.h = p->h;
    K.inv_h = 1.0 / p->h;
    const double sigma = p->sigma, h = p->h;
    K.W = (p->window > 0 ? p->window : DEFAULT_WINDOW) * sigma;
    K.inv2s2 = 1.0 / (2.0 * sigma * sigma);
    K.c = exp(-h * h / (sigma * sigma));
    for (int l = 0; l < 4; l++)
        K.c4l6[l] = exp(-(4.0 * l + 6.0) * h * h / (sigma * sigma));
    K.c16 = exp(-16.0 * h * h / (sigma * sigma));
    K.cutoff = p->cutoff;
    K.nwin = (size_t)floor(2.0 * K.W / h) + 1;
    K.nb4 = (K.nwin + 6) / 4;
    K.pad = (K.nwin + 3 + 3) / 4 * 4;
    K.stride = (K.pad + K.ng + 4 * K.nb4 + 3) / 4 * 4;
    /* The recurrence starts up to 3 steps before the window: its first
     * value exp(-(W + 3h)^2 / 2 sigma^2) must not underflow and the lane
     * factors q^4 must stay finite.  Otherwise (h > ~5 sigma, a few points
     * per Gaussian) evaluate every point directly. */
    double wide = K.W + 4.0 * h;
    K.mode = (wide * wide * K.inv2s2 < 650.0 &&
              8.0 * wide * h / (sigma * sigma) < 650.0)
                 ? KERNEL_RECUR
                 : KERNEL_DIRECT;
    const size_t ng = K.ng, ncols = (size_t)nt * ng + 1;

    double *inv = sf_malloc((size_t)nt * nt * sizeof *inv);
    double *rq = sf_malloc((size_t)nt * nt * sizeof *rq);
    int32_t *grp = sf_malloc((a->n + 1) * sizeof *grp);
    if (!inv || !rq || !grp) {
        free(inv);
        free(rq);
        free(grp);
        return SF_ERR;
    }
    double rmax = 0;
    for (int x = 0; x < nt * nt; x++) {
        double rp = p->reduced ? p->rp[x] : 1.0;
        inv[x] = 1.0 / rp;
        /* query a hair beyond the cutoff; the kernel tests rbar <= cutoff */
        rq[x] = p->cutoff * rp * (1.0 + 1e-12);
        if (rq[x] > rmax)
            rmax = rq[x];
    }
    for (size_t i = 0; i < a->n; i++) {
        if (a->type[i] < 1 || a->type[i] > nt) {
            free(inv);
            free(rq);
            free(grp);
            return sf_error("descriptor: atom %zu has type %d, not in 1..%d",
                            i + 1, a->type[i], nt);
        }
        grp[i] = a->type[i] - 1;
    }
    sf_cells *cells = sf_cells_new(&a->box, a->n, a->x, grp, nt, rmax);
    free(grp);
    if (!cells) {
        free(inv);
        free(rq);
        return sf_error_prefix("descriptor");
    }
    const uint32_t *order = sf_cells_order(cells);
    int failed = 0;
    long long nn = (long long)a->n;
#pragma omp parallel
    {
        scratch w;
        memset(&w, 0, sizeof w);
        w.acc = aligned_alloc(64, ((size_t)nt * K.stride * sizeof(double) + 63) / 64 * 64);
        if (!w.acc) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 256)
        for (long long s = 0; s < nn; s++) {
            if (failed)
                continue;
            size_t i = order[s];
            if (atom_row(&K, cells, i, a->type[i] - 1, inv, rq, &w)) {
#pragma omp atomic write
                failed = 1;
                continue;
            }
            const double *acc = w.acc;
            if (out) {
                double *row = out + i * ncols;
                for (int tb = 0; tb < nt; tb++)
                    memcpy(row + (size_t)tb * ng,
                           acc + (size_t)tb * K.stride + K.pad, ng * sizeof *row);
                row[ncols - 1] = 1.0;
            } else {
                float *row = outf + i * ncols;
                for (int tb = 0; tb < nt; tb++) {
                    const double *src = acc + (size_t)tb * K.stride + K.pad;
                    for (size_t k = 0; k < ng; k++)
                        row[(size_t)tb * ng + k] = (float)src[k];
                }
                row[ncols - 1] = 1.0f;
            }
        }
        scratch_free(&w);
    }
    sf_cells_free(cells);
    free(inv);
    free(rq);
    if (failed)
        return sf_error("descriptor: out of memory");
    return SF_OK;
}

/* ---- coarse-graining ------------------------------------------------------- */

int sf_coarse_grain(const sf_atoms *a, const double *values, double radius,
                    double *out)
{
    return sf_coarse_grain_cols(a, values, 1, radius, out);
}

int sf_coarse_grain_cols(const sf_atoms *a, const double *values, size_t ncols,
                         double radius, double *out)
{
    if (ncols == 0)
        return sf_error("coarse_grain: no columns");
    sf_cells *c = sf_cells_new(&a->box, a->n, a->x, NULL, 1, radius);
    if (!c)
        return sf_error_prefix("coarse_grain");
    const uint32_t *order = sf_cells_order(c);
    const uint32_t *atom = sf_cells_atoms(c);
    int failed = 0;
    long long nn = (long long)a->n;
#pragma omp parallel
    {
        sf_nbuf b = {0};
#pragma omp for schedule(dynamic, 256)
        for (long long s = 0; s < nn; s++) {
            size_t i = order[s];
            b.n = 0;
            if (sf_cells_query(c, i, -1, radius, 0, &b)) {
#pragma omp atomic write
                failed = 1;
                continue;
            }
            double *o = out + i * ncols;
            memcpy(o, values + i * ncols, ncols * sizeof *o);
            for (size_t e = 0; e < b.n; e++) {
                const double *v = values + (size_t)atom[b.j[e]] * ncols;
                for (size_t k = 0; k < ncols; k++)
                    o[k] += v[k];
            }
            double inv = (double)(b.n + 1);
            for (size_t k = 0; k < ncols; k++)
                o[k] /= inv;
        }
        sf_nbuf_free(&b);
    }
    sf_cells_free(c);
    if (failed)
        return sf_error("coarse_grain: out of memory");
    return SF_OK;
}
