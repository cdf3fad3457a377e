/* test_fft.c - autocorrelation plans, windowed spectra and the per-atom
 * velocity autocorrelation accumulator (sf_fft.c) on synthetic signals with
 * known frequencies. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "sf_error.h"
#include "sf_fft.h"
#include "sf_test.h"

static double urand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return ((*s >> 8) & 0xffffff) / (double)0x1000000;
}

/* FFT correlation == the O(n^2) sum, for a size FFTW has no codelet for */
static void test_acf_brute(void)
{
    size_t n = 37, nlag = 20, stride = 2;
    double x[74], acf[20], ref[20];
    unsigned s = 7;
    for (size_t i = 0; i < 2 * n; i++)
        x[i] = urand(&s) - 0.5;
    sf_acf_plan *p = sf_acf_plan_create(n, nlag);
    CHECK(p != NULL);
    CHECK(sf_acf_plan_length(p) >= n + nlag - 1);
    for (size_t t = 0; t < nlag; t++)
        acf[t] = 1.0; /* execute adds */
    sf_acf_execute(p, x, stride, acf);
    double maxerr = 0;
    for (size_t t = 0; t < nlag; t++) {
        ref[t] = 1.0;
        for (size_t i = 0; i + t < n; i++)
            ref[t] += x[i * stride] * x[(i + t) * stride];
        maxerr = fmax(maxerr, fabs(acf[t] - ref[t]));
    }
    CHECK_MSG(maxerr < 1e-13, "max error %g", maxerr);
    sf_acf_plan_destroy(p);

    CHECK(sf_acf_plan_create(10, 11) == NULL);
    CHECK(strstr(sf_error_message(), "lags") != NULL);
    CHECK(sf_acf_plan_create(0, 0) == NULL);
}

/* peak position (grid maximum) of S in [lo, hi] */
static double peak(const double *S, size_t m, double dnu, double lo, double hi)
{
    size_t best = 0;
    for (size_t k = 0; k < m; k++) {
        double nu = k * dnu;
        if (nu >= lo && nu <= hi && (best == 0 || S[k] > S[best]))
            best = k;
    }
    return best * dnu;
}

/* trapezoid integral of S over [lo, hi] */
static double integral(const double *S, size_t m, double dnu, double lo, double hi)
{
    double s = 0;
    for (size_t k = 0; k < m; k++) {
        double nu = k * dnu;
        if (nu < lo || nu > hi)
            continue;
        s += (k == 0 || k == m - 1 ? 0.5 : 1.0) * S[k];
    }
    return s * dnu;
}

/* c(t) = 0.3 cos(2 pi 2 t) + 0.7 cos(2 pi 5.5 t): peaks at 2 and 5.5 THz
 * holding 0.3 and 0.7 of the weight, total weight c(0) */
static void test_spectrum_known_lines(void)
{
    size_t nlag = 801;
    double dt = 0.01; /* ps: tau_max = 8 ps, Nyquist 50 THz */
    double nu[2] = {2.0, 5.5}, w[2] = {0.3, 0.7};
    double *c = malloc(nlag * sizeof *c);
    sf_mode_acf(nu, w, 2, nlag, dt, c);
    CHECK_NEAR(c[0], 1.0, 1e-15);
    CHECK_NEAR(c[100], 0.3 * cos(2 * M_PI * 2.0 * 1.0) + 0.7 * cos(2 * M_PI * 5.5 * 1.0), 1e-14);
    for (int win = 0; win < 2; win++) {
        sf_spectrum_plan *p = sf_spectrum_plan_create(nlag, dt, 4, (sf_window)win);
        CHECK(p != NULL);
        size_t m = sf_spectrum_plan_size(p);
        double dnu = sf_spectrum_plan_dnu(p);
        CHECK(m == 4 * 800 + 1);
        CHECK_NEAR(dnu, 1.0 / (2 * 4 * 8.0), 1e-15);
        CHECK_NEAR((m - 1) * dnu, 1.0 / (2 * dt), 1e-12); /* up to Nyquist */
        double *S = malloc(m * sizeof *S);
        sf_spectrum_execute(p, c, S);
        /* the discrete grid integrates to c(0) exactly */
        CHECK_NEAR(integral(S, m, dnu, 0, 1e9), 1.0, 1e-12);
        CHECK_NEAR(peak(S, m, dnu, 0, 4), 2.0, 1e-9);
        CHECK_NEAR(peak(S, m, dnu, 4, 10), 5.5, 1e-9);
        if (win == SF_WINDOW_HANN) {
            /* Hann: the lines are ~2/tau_max wide; side lobes < 3e-3 */
            CHECK_NEAR(integral(S, m, dnu, 1.5, 2.5), 0.3, 3e-3);
            CHECK_NEAR(integral(S, m, dnu, 5.0, 6.0), 0.7, 3e-3);
            CHECK(fabs(S[(size_t)(3.7 / dnu)]) < 1e-3 * S[(size_t)(5.5 / dnu + 0.5)]);
            /* height of a line: 4 w int_0^T hann(t) cos^2 ~ 2 w T/2 = w T */
            CHECK_NEAR(S[(size_t)(5.5 / dnu + 0.5)], 0.7 * 8.0, 0.7 * 8.0 * 1e-3);
        }
        free(S);
        sf_spectrum_plan_destroy(p);
    }
    CHECK(sf_spectrum_plan_create(1, dt, 4, SF_WINDOW_HANN) == NULL);
    CHECK(sf_spectrum_plan_create(10, -1, 4, SF_WINDOW_HANN) == NULL);
    CHECK(sf_spectrum_plan_create(10, dt, 0, SF_WINDOW_HANN) == NULL);
    CHECK(sf_window_parse("hann") == SF_WINDOW_HANN);
    CHECK(sf_window_parse("none") == SF_WINDOW_NONE);
    CHECK(sf_window_parse("hamming") == -1);
    CHECK(strcmp(sf_window_name(SF_WINDOW_HANN), "hann") == 0);
    free(c);
}

/* Velocities of natoms "atoms": atom i vibrates at nu_i (3 or 7 THz by
 * parity) with a random phase per component and segment; amplitude a_i. */
static void fill_frame(double *v, size_t natoms, size_t f, double dt, int seg)
{
    for (size_t i = 0; i < natoms; i++) {
        double nu = i % 2 ? 7.0 : 3.0, amp = 1.0 + 0.1 * (double)i;
        for (int c = 0; c < 3; c++) {
            unsigned s = (unsigned)(1000 * seg + 3 * i + c + 1);
            double phase = 2 * M_PI * urand(&s);
            v[3 * i + c] = amp * cos(2 * M_PI * nu * f * dt + phase);
        }
    }
}

static sf_vacf *run_vacf(size_t natoms, size_t nframes, size_t nlag, double dt,
                         const double *mass, int segments)
{
    sf_vacf *a = sf_vacf_create(natoms, nframes, nlag, dt, mass);
    if (!a)
        return NULL;
    double *v = malloc(3 * natoms * sizeof *v);
    for (int s = 0; s < segments; s++)
        for (size_t f = 0; f < nframes; f++) {
            fill_frame(v, natoms, f, dt, s);
            if (sf_vacf_add_frame(a, v)) {
                free(v);
                sf_vacf_destroy(a);
                return NULL;
            }
        }
    free(v);
    return a;
}

static void test_vacf(void)
{
    size_t natoms = 40, nframes = 1200, nlag = 600;
    double dt = 0.008;
    double mass[40];
    for (size_t i = 0; i < natoms; i++)
        mass[i] = i % 3 ? 63.546 : 91.224;
    sf_vacf *a = run_vacf(natoms, nframes, nlag, dt, mass, 2);
    CHECK(a != NULL);
    CHECK(sf_vacf_segments(a) == 2 && sf_vacf_pending(a) == 0);
    CHECK(sf_vacf_natoms(a) == natoms && sf_vacf_nlag(a) == nlag && sf_vacf_nframes(a) == nframes);

    /* per atom: C_i(0) = m_i <|v|^2> = 3 m_i amp^2 / 2 (to the finite-time
     * average: 1200 frames span 28.8 periods at 3 THz) */
    double *ci = malloc(nlag * sizeof *ci), *tot = malloc(nlag * sizeof *tot);
    double *even = malloc(nlag * sizeof *even), *odd = malloc(nlag * sizeof *odd);
    for (size_t i = 0; i < natoms; i += 7) {
        CHECK(sf_vacf_atom(a, i, ci) == SF_OK);
        double amp = 1.0 + 0.1 * (double)i;
        CHECK_NEAR(ci[0] / (1.5 * mass[i] * amp * amp), 1.0, 0.02);
        /* unbiased estimate: C_i(tau)/C_i(0) ~ cos(2 pi nu tau) */
        double nu = i % 2 ? 7.0 : 3.0;
        CHECK_NEAR(ci[100] / ci[0], cos(2 * M_PI * nu * 100 * dt), 0.05);
    }
    CHECK(sf_vacf_atom(a, natoms, ci) == SF_ERR);

    /* partial sums over a partition add up to the total */
    unsigned char me[40], mo[40];
    for (size_t i = 0; i < natoms; i++) {
        me[i] = i % 2 == 0;
        mo[i] = i % 2 == 1;
    }
    CHECK(sf_vacf_sum(a, NULL, tot) == SF_OK);
    CHECK(sf_vacf_sum(a, me, even) == SF_OK);
    CHECK(sf_vacf_sum(a, mo, odd) == SF_OK);
    double maxerr = 0;
    for (size_t t = 0; t < nlag; t++)
        maxerr = fmax(maxerr, fabs(even[t] + odd[t] - tot[t]));
    CHECK_MSG(maxerr < 1e-12 * tot[0], "partial sums: %g", maxerr);

    /* spectra: the even atoms at 3 THz, the odd ones at 7 THz, the total at
     * both, in proportion to their kinetic energies */
    sf_spectrum_plan *p = sf_spectrum_plan_create(nlag, dt, 4, SF_WINDOW_HANN);
    size_t m = sf_spectrum_plan_size(p);
    double dnu = sf_spectrum_plan_dnu(p);
    double *Se = malloc(m * sizeof *Se), *So = malloc(m * sizeof *So), *St = malloc(m * sizeof *St);
    sf_spectrum_execute(p, even, Se);
    sf_spectrum_execute(p, odd, So);
    sf_spectrum_execute(p, tot, St);
    CHECK_NEAR(peak(Se, m, dnu, 0, 60), 3.0, dnu);
    CHECK_NEAR(peak(So, m, dnu, 0, 60), 7.0, dnu);
    CHECK_NEAR(integral(Se, m, dnu, 0, 1e9), even[0], 1e-12 * even[0]);
    CHECK_NEAR(integral(St, m, dnu, 0, 5), even[0], 0.01 * tot[0]);
    CHECK_NEAR(integral(St, m, dnu, 5, 1e9), odd[0], 0.01 * tot[0]);
    maxerr = 0;
    for (size_t k = 0; k < m; k++)
        maxerr = fmax(maxerr, fabs(Se[k] + So[k] - St[k]));
    CHECK_MSG(maxerr < 1e-11 * St[(size_t)(3.0 / dnu + 0.5)], "spectra add up: %g", maxerr);
    free(Se);
    free(So);
    free(St);
    sf_spectrum_plan_destroy(p);

    /* the same bytes with 1 thread as with several */
    int nt = omp_get_max_threads();
    omp_set_num_threads(1);
    sf_vacf *b = run_vacf(natoms, nframes, nlag, dt, mass, 2);
    omp_set_num_threads(nt > 1 ? nt : 3);
    sf_vacf *c = run_vacf(natoms, nframes, nlag, dt, mass, 2);
    omp_set_num_threads(nt);
    double *tb = malloc(nlag * sizeof *tb), *tc = malloc(nlag * sizeof *tc);
    CHECK(b && c && sf_vacf_sum(b, NULL, tb) == SF_OK && sf_vacf_sum(c, NULL, tc) == SF_OK);
    CHECK(memcmp(tb, tot, nlag * sizeof *tb) == 0);
    CHECK(memcmp(tc, tot, nlag * sizeof *tc) == 0);
    free(tb);
    free(tc);
    sf_vacf_destroy(b);
    sf_vacf_destroy(c);

    /* a frame half added does not count; a NaN velocity is an error */
    double v[120] = {0};
    CHECK(sf_vacf_add_frame(a, v) == SF_OK);
    CHECK(sf_vacf_pending(a) == 1 && sf_vacf_segments(a) == 2);
    v[3 * 5 + 1] = NAN;
    CHECK(sf_vacf_add_frame(a, v) == SF_ERR);
    CHECK(strstr(sf_error_message(), "atom 6") != NULL);
    sf_vacf_destroy(a);

    sf_vacf *e = sf_vacf_create(4, 10, 4, 0.01, NULL);
    CHECK(sf_vacf_sum(e, NULL, tot) == SF_ERR);
    CHECK(strstr(sf_error_message(), "no complete segment") != NULL);
    sf_vacf_destroy(e);
    CHECK(sf_vacf_create(4, 10, 11, 0.01, NULL) == NULL);
    double badm[2] = {1, 0};
    CHECK(sf_vacf_create(2, 10, 5, 0.01, badm) == NULL);
    CHECK(strstr(sf_error_message(), "mass of atom 2") != NULL);
    free(ci);
    free(tot);
    free(even);
    free(odd);
}

int main(void)
{
    test_acf_brute();
    test_spectrum_known_lines();
    test_vacf();
    return sf_test_summary();
}
