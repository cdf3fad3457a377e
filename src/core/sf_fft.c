/* sf_fft.c - autocorrelations and spectra with FFTW (see sf_fft.h). */
#include "sf_fft.h"

#include <fftw3.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "sf_error.h"

/* FFTW's planner is not thread-safe; sflex plans from one thread at a time,
 * but keep concurrent callers (OpenMP regions elsewhere) out anyway. */
#define PLAN_LOCK _Pragma("omp critical(sf_fft_planner)")

/* ---- autocorrelation ------------------------------------------------------------ */

struct sf_acf_plan {
    size_t n, nlag, len;  /* samples, lags, padded length */
    double *in;           /* len */
    fftw_complex *spec;   /* len/2 + 1 */
    double *power;        /* len/2 + 1: sum of |X|^2 of a batch */
    fftw_plan fwd, bwd;   /* r2c in -> spec, c2r spec -> in */
};

/* Smallest 2^a 3^b 5^c 7^d >= n (FFTW is fastest on these). */
static size_t fast_size(size_t n)
{
    for (size_t m = n > 1 ? n : 1;; m++) {
        size_t r = m;
        static const size_t f[] = {2, 3, 5, 7};
        for (int k = 0; k < 4; k++)
            while (r % f[k] == 0)
                r /= f[k];
        if (r == 1)
            return m;
    }
}

sf_acf_plan *sf_acf_plan_create(size_t n, size_t nlag)
{
    if (n < 1 || nlag < 1 || nlag > n) {
        sf_error("sf_acf_plan_create: need 1 <= lags (%zu) <= samples (%zu)",
                 nlag, n);
        return NULL;
    }
    if (n > ((size_t)1 << 40)) {
        sf_error("sf_acf_plan_create: %zu samples is too many", n);
        return NULL;
    }
    sf_acf_plan *p = sf_calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->n = n;
    p->nlag = nlag;
    p->len = fast_size(n + nlag - 1);
    size_t nc = p->len / 2 + 1;
    p->in = fftw_malloc(p->len * sizeof *p->in);
    p->spec = fftw_malloc(nc * sizeof *p->spec);
    p->power = fftw_malloc(nc * sizeof *p->power);
    if (!p->in || !p->spec || !p->power) {
        sf_acf_plan_destroy(p);
        sf_error("sf_acf_plan_create: out of memory (%zu points)", p->len);
        return NULL;
    }
    PLAN_LOCK
    {
        p->fwd = fftw_plan_dft_r2c_1d((int)p->len, p->in, p->spec, FFTW_ESTIMATE);
        p->bwd = fftw_plan_dft_c2r_1d((int)p->len, p->spec, p->in, FFTW_ESTIMATE);
    }
    if (!p->fwd || !p->bwd) {
        sf_acf_plan_destroy(p);
        sf_error("sf_acf_plan_create: FFTW could not plan a transform of %zu points",
                 (size_t)p->len);
        return NULL;
    }
    return p;
}

size_t sf_acf_plan_length(const sf_acf_plan *p) { return p->len; }

/* acf[tau] += sum over the count series x + j dist of their correlations:
 * the power spectra are summed first, so one inverse transform serves all. */
static void acf_batch(sf_acf_plan *p, const double *x, size_t stride,
                      size_t count, size_t dist, double *acf)
{
    size_t nc = p->len / 2 + 1;
    memset(p->power, 0, nc * sizeof *p->power);
    for (size_t j = 0; j < count; j++) {
        const double *xj = x + j * dist;
        for (size_t t = 0; t < p->n; t++)
            p->in[t] = xj[t * stride];
        memset(p->in + p->n, 0, (p->len - p->n) * sizeof *p->in);
        fftw_execute(p->fwd);
        for (size_t k = 0; k < nc; k++)
            p->power[k] += p->spec[k][0] * p->spec[k][0] + p->spec[k][1] * p->spec[k][1];
    }
    for (size_t k = 0; k < nc; k++) {
        p->spec[k][0] = p->power[k];
        p->spec[k][1] = 0;
    }
    fftw_execute(p->bwd); /* unnormalised: len times the correlation */
    double s = 1.0 / (double)p->len;
    for (size_t tau = 0; tau < p->nlag; tau++)
        acf[tau] += s * p->in[tau];
}

void sf_acf_execute(sf_acf_plan *p, const double *x, size_t stride, double *acf)
{
    acf_batch(p, x, stride ? stride : 1, 1, 0, acf);
}

void sf_acf_plan_destroy(sf_acf_plan *p)
{
    if (!p)
        return;
    PLAN_LOCK
    {
        if (p->fwd)
            fftw_destroy_plan(p->fwd);
        if (p->bwd)
            fftw_destroy_plan(p->bwd);
    }
    fftw_free(p->in);
    fftw_free(p->spec);
    fftw_free(p->power);
    free(p);
}

/* ---- spectrum --------------------------------------------------------------------- */

static const char *const window_names[] = {"hann", "none"};

int sf_window_parse(const char *name)
{
    for (int w = 0; w < 2; w++)
        if (name && strcmp(name, window_names[w]) == 0)
            return w;
    return -1;
}

const char *sf_window_name(sf_window w)
{
    return (unsigned)w < 2 ? window_names[w] : "?";
}

struct sf_spectrum_plan {
    size_t nlag, m;
    double dt;
    double *w;     /* nlag window values */
    double *in, *out;
    fftw_plan plan;
};

sf_spectrum_plan *sf_spectrum_plan_create(size_t nlag, double dt, size_t pad,
                                          sf_window window)
{
    if (nlag < 2 || !(dt > 0) || !isfinite(dt) || pad < 1 || pad > 1024 ||
        (unsigned)window > 1) {
        sf_error("sf_spectrum_plan_create: need lags >= 2 (%zu), dt > 0 (%g), "
                 "1 <= pad <= 1024 (%zu) and a known window", nlag, dt, pad);
        return NULL;
    }
    if (nlag > ((size_t)1 << 30) / pad) {
        sf_error("sf_spectrum_plan_create: %zu lags x pad %zu is too many", nlag, pad);
        return NULL;
    }
    sf_spectrum_plan *p = sf_calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->nlag = nlag;
    p->dt = dt;
    p->m = pad * (nlag - 1) + 1;
    p->w = sf_malloc(nlag * sizeof *p->w);
    p->in = fftw_malloc(p->m * sizeof *p->in);
    p->out = fftw_malloc(p->m * sizeof *p->out);
    if (!p->w || !p->in || !p->out) {
        sf_spectrum_plan_destroy(p);
        sf_error("sf_spectrum_plan_create: out of memory (%zu points)", p->m);
        return NULL;
    }
    for (size_t t = 0; t < nlag; t++)
        p->w[t] = window == SF_WINDOW_HANN
                      ? 0.5 * (1.0 + cos(M_PI * (double)t / (double)(nlag - 1)))
                      : 1.0;
    PLAN_LOCK
    p->plan = fftw_plan_r2r_1d((int)p->m, p->in, p->out, FFTW_REDFT00, FFTW_ESTIMATE);
    if (!p->plan) {
        sf_spectrum_plan_destroy(p);
        sf_error("sf_spectrum_plan_create: FFTW could not plan a DCT of %zu points", p->m);
        return NULL;
    }
    return p;
}

size_t sf_spectrum_plan_size(const sf_spectrum_plan *p) { return p->m; }

double sf_spectrum_plan_dnu(const sf_spectrum_plan *p)
{
    return 1.0 / (2.0 * (double)(p->m - 1) * p->dt);
}

void sf_spectrum_execute(sf_spectrum_plan *p, const double *c, double *S)
{
    for (size_t t = 0; t < p->nlag; t++)
        p->in[t] = c[t] * p->w[t];
    memset(p->in + p->nlag, 0, (p->m - p->nlag) * sizeof *p->in);
    /* REDFT00: Y_k = X_0 + (-1)^k X_{m-1} + 2 sum_{j=1}^{m-2} X_j cos(pi j k/(m-1)),
     * i.e. 2/dt times the trapezoid rule of int_0^T c w cos(2 pi nu_k t) dt */
    fftw_execute(p->plan);
    for (size_t k = 0; k < p->m; k++)
        S[k] = 2.0 * p->dt * p->out[k];
}

void sf_spectrum_plan_destroy(sf_spectrum_plan *p)
{
    if (!p)
        return;
    if (p->plan) {
        PLAN_LOCK
        fftw_destroy_plan(p->plan);
    }
    free(p->w);
    fftw_free(p->in);
    fftw_free(p->out);
    free(p);
}

void sf_mode_acf(const double *nu, const double *w, size_t nmodes, size_t nlag,
                 double dt, double *c)
{
#pragma omp parallel for schedule(static)
    for (size_t t = 0; t < nlag; t++) {
        double s = 0, tt = 2.0 * M_PI * (double)t * dt;
        for (size_t k = 0; k < nmodes; k++)
            s += (w ? w[k] : 1.0) * cos(nu[k] * tt);
        c[t] = s;
    }
}

/* ---- per-atom velocity autocorrelation ------------------------------------------- */

struct sf_vacf {
    size_t natoms, nframes, nlag;
    double dt;
    double *mass;        /* natoms (1 without masses) */
    double *buf;         /* 3 natoms series of nframes: (3 i + c) nframes + f */
    double *sum;         /* natoms x nlag: sums over segments and origins */
    size_t frame;        /* frames of the segment in progress */
    size_t segments;
    int nplans;
    sf_acf_plan **plans; /* one per thread */
};

sf_vacf *sf_vacf_create(size_t natoms, size_t nframes, size_t nlag, double dt,
                        const double *mass)
{
    if (natoms < 1 || nframes < 2 || nlag < 1 || nlag > nframes || !(dt > 0) ||
        !isfinite(dt)) {
        sf_error("sf_vacf_create: need atoms >= 1 (%zu), frames >= 2 (%zu), "
                 "1 <= lags <= frames (%zu) and dt > 0 (%g)", natoms, nframes, nlag, dt);
        return NULL;
    }
    if (natoms > ((size_t)1 << 40) / nframes || natoms > ((size_t)1 << 40) / nlag) {
        sf_error("sf_vacf_create: %zu atoms x %zu frames is too much memory", natoms, nframes);
        return NULL;
    }
    for (size_t i = 0; mass && i < natoms; i++)
        if (!(mass[i] > 0) || !isfinite(mass[i])) {
            sf_error("sf_vacf_create: mass of atom %zu is %g (must be > 0)", i + 1, mass[i]);
            return NULL;
        }
    sf_vacf *a = sf_calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->natoms = natoms;
    a->nframes = nframes;
    a->nlag = nlag;
    a->dt = dt;
    a->mass = sf_malloc(natoms * sizeof *a->mass);
    a->buf = sf_malloc(3 * natoms * nframes * sizeof *a->buf);
    a->sum = sf_calloc(natoms * nlag, sizeof *a->sum);
    a->nplans = omp_get_max_threads();
    if (a->nplans < 1)
        a->nplans = 1;
    a->plans = sf_calloc((size_t)a->nplans, sizeof *a->plans);
    if (!a->mass || !a->buf || !a->sum || !a->plans) {
        sf_vacf_destroy(a);
        return NULL;
    }
    for (size_t i = 0; i < natoms; i++)
        a->mass[i] = mass ? mass[i] : 1.0;
    for (int k = 0; k < a->nplans; k++)
        if (!(a->plans[k] = sf_acf_plan_create(nframes, nlag))) {
            sf_vacf_destroy(a);
            return NULL;
        }
    return a;
}

void sf_vacf_destroy(sf_vacf *a)
{
    if (!a)
        return;
    for (int k = 0; a->plans && k < a->nplans; k++)
        sf_acf_plan_destroy(a->plans[k]);
    free(a->plans);
    free(a->mass);
    free(a->buf);
    free(a->sum);
    free(a);
}

/* Correlations of the buffered segment, atom by atom: each atom's row is
 * computed by one thread alone, so the bytes do not depend on the threads. */
static void close_segment(sf_vacf *a)
{
    long long n = (long long)a->natoms;
#pragma omp parallel num_threads(a->nplans)
    {
        sf_acf_plan *p = a->plans[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 16)
        for (long long i = 0; i < n; i++)
            acf_batch(p, a->buf + 3 * (size_t)i * a->nframes, 1, 3, a->nframes,
                      a->sum + (size_t)i * a->nlag);
    }
    a->segments++;
    a->frame = 0;
}

int sf_vacf_add_frame(sf_vacf *a, const double *v)
{
    size_t f = a->frame, T = a->nframes;
    for (size_t i = 0; i < 3 * a->natoms; i++)
        if (!isfinite(v[i]))
            return sf_error("velocity of atom %zu (frame %zu of segment %zu) is not finite",
                            i / 3 + 1, f + 1, a->segments + 1);
    for (size_t i = 0; i < 3 * a->natoms; i++)
        a->buf[i * T + f] = v[i];
    a->frame++;
    if (a->frame == T)
        close_segment(a);
    return SF_OK;
}

size_t sf_vacf_segments(const sf_vacf *a) { return a->segments; }
size_t sf_vacf_pending(const sf_vacf *a) { return a->frame; }
size_t sf_vacf_natoms(const sf_vacf *a) { return a->natoms; }
size_t sf_vacf_nframes(const sf_vacf *a) { return a->nframes; }
size_t sf_vacf_nlag(const sf_vacf *a) { return a->nlag; }
double sf_vacf_dt(const sf_vacf *a) { return a->dt; }

int sf_vacf_sum(const sf_vacf *a, const unsigned char *mask, double *acf)
{
    if (a->segments == 0)
        return sf_error("no complete segment yet (%zu of %zu frames added)",
                        a->frame, a->nframes);
    memset(acf, 0, a->nlag * sizeof *acf);
    for (size_t i = 0; i < a->natoms; i++) {
        if (mask && !mask[i])
            continue;
        const double *s = a->sum + i * a->nlag;
        for (size_t t = 0; t < a->nlag; t++)
            acf[t] += a->mass[i] * s[t];
    }
    for (size_t t = 0; t < a->nlag; t++)
        acf[t] /= (double)a->segments * (double)(a->nframes - t);
    return SF_OK;
}

int sf_vacf_atom(const sf_vacf *a, size_t i, double *acf)
{
    if (i >= a->natoms)
        return sf_error("atom index %zu out of range 1..%zu", i + 1, a->natoms);
    if (a->segments == 0)
        return sf_error("no complete segment yet (%zu of %zu frames added)",
                        a->frame, a->nframes);
    const double *s = a->sum + i * a->nlag;
    for (size_t t = 0; t < a->nlag; t++)
        acf[t] = a->mass[i] * s[t] / ((double)a->segments * (double)(a->nframes - t));
    return SF_OK;
}
