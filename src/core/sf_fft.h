/* sf_fft.h - spectra with FFTW: autocorrelations by Wiener-Khinchin and
 * windowed cosine transforms of them, plus the per-atom velocity
 * autocorrelation accumulator behind the MD vibrational density of states
 * (doc/vibrations.md).
 *
 * Life cycle after FFTW's: a plan does the allocations and the FFTW
 * planning once (FFTW_ESTIMATE, so the algorithm, hence the bytes of the
 * result, never depend on timings), execute runs it any number of times,
 * destroy frees it.  One plan is not to be executed by two threads at once
 * (it owns its work arrays); make one plan per thread.
 *
 * Units are the caller's; sflex uses ps for times and THz for frequencies
 * (nu, not omega). */
#ifndef SF_FFT_H
#define SF_FFT_H

#include <stddef.h>

/* ---- autocorrelation: acf[tau] += sum_t x[t] x[t + tau] ------------------- */

typedef struct sf_acf_plan sf_acf_plan;

/* Plan for series of n samples and lags 0..nlag-1 (1 <= nlag <= n).  The
 * series is zero-padded to a length >= n + nlag - 1 (the next product of
 * 2, 3, 5, 7), so that |FFT|^2 transforms back to the linear, not the
 * circular, correlation.  NULL and an error on bad sizes or no memory. */
sf_acf_plan *sf_acf_plan_create(size_t n, size_t nlag);
/* acf[tau] += sum_{t=0}^{n-1-tau} x[t s] x[(t+tau) s] for tau < nlag, with
 * s = stride (in doubles).  O(n log n). */
void sf_acf_execute(sf_acf_plan *p, const double *x, size_t stride,
                    double *acf);
/* Padded FFT length of the plan. */
size_t sf_acf_plan_length(const sf_acf_plan *p);
void sf_acf_plan_destroy(sf_acf_plan *p);

/* ---- spectrum of an autocorrelation ----------------------------------------- */

typedef enum {
    SF_WINDOW_HANN = 0, /* w(tau) = (1 + cos(pi tau / tau_max)) / 2 */
    SF_WINDOW_NONE = 1, /* w = 1: the raw (truncated) transform */
} sf_window;

/* Name <-> window ("hann", "none"); parse returns -1 for an unknown name. */
int sf_window_parse(const char *name);
const char *sf_window_name(sf_window w);

typedef struct sf_spectrum_plan sf_spectrum_plan;

/* Plan the one-sided cosine transform of an even function c(|t|) given at
 * lags tau = 0..nlag-1 (step dt, nlag >= 2), multiplied by the window w:
 *
 *   S(nu) = 4 int_0^tau_max c(t) w(t) cos(2 pi nu t) dt     (trapezoid rule)
 *
 * so that int_0^inf S dnu = c(0) (exactly, on the discrete grid: the sum
 * of S over the grid times dnu is c(0)).  The lags are zero-padded to
 * m = pad (nlag - 1) + 1 points (pad >= 1) and transformed with FFTW's
 * DCT-I (REDFT00): S is returned at nu_k = k / (2 (m-1) dt), k = 0..m-1
 * (0 to the Nyquist frequency 1/(2 dt), spacing 1/(2 pad tau_max)). */
sf_spectrum_plan *sf_spectrum_plan_create(size_t nlag, double dt, size_t pad,
                                          sf_window window);
/* Number of output frequencies m, and their spacing. */
size_t sf_spectrum_plan_size(const sf_spectrum_plan *p);
double sf_spectrum_plan_dnu(const sf_spectrum_plan *p);
/* S[k] for k = 0..m-1 from c[0..nlag-1]. */
void sf_spectrum_execute(sf_spectrum_plan *p, const double *c, double *S);
void sf_spectrum_plan_destroy(sf_spectrum_plan *p);

/* c[tau] = sum_m w_m cos(2 pi nu_m tau dt), tau = 0..nlag-1: the velocity
 * autocorrelation a classical harmonic system with mode frequencies nu (and
 * mode weights w, NULL = 1) has in equipartition, up to a constant. */
void sf_mode_acf(const double *nu, const double *w, size_t nmodes,
                 size_t nlag, double dt, double *c);

/* ---- per-atom velocity autocorrelation --------------------------------------- */

typedef struct sf_vacf sf_vacf;

/* Accumulator of C_i(tau) = m_i <v_i(t) . v_i(t + tau)> for natoms atoms
 * over segments of nframes frames each (one segment = one MD run, frames
 * dt apart), lags 0..nlag-1 (nlag <= nframes).  mass: natoms values, NULL
 * for unit masses.  Memory: 3 natoms nframes + natoms nlag doubles. */
sf_vacf *sf_vacf_create(size_t natoms, size_t nframes, size_t nlag, double dt,
                        const double *mass);
void sf_vacf_destroy(sf_vacf *a);
/* Add one frame of velocities (natoms x 3, row-major).  The nframes-th frame
 * of a segment closes it: the per-atom correlations of its 3 natoms series
 * are computed (Wiener-Khinchin, OpenMP over atoms; the result does not
 * depend on the thread count) and added.  Non-finite velocities are an
 * error. */
int sf_vacf_add_frame(sf_vacf *a, const double *v);
/* Completed segments, and frames of the segment in progress. */
size_t sf_vacf_segments(const sf_vacf *a);
size_t sf_vacf_pending(const sf_vacf *a);
size_t sf_vacf_natoms(const sf_vacf *a);
size_t sf_vacf_nframes(const sf_vacf *a);
size_t sf_vacf_nlag(const sf_vacf *a);
double sf_vacf_dt(const sf_vacf *a);
/* acf[tau] = sum over the atoms with mask[i] != 0 (all for NULL) of C_i(tau),
 * each the mean over the completed segments and the nframes - tau time
 * origins of each.  Summed in atom order.  Error without a completed
 * segment. */
int sf_vacf_sum(const sf_vacf *a, const unsigned char *mask, double *acf);
/* C_i(tau) of one atom into acf[0..nlag-1]. */
int sf_vacf_atom(const sf_vacf *a, size_t i, double *acf);

#endif
