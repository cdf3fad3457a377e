#!/usr/bin/python3
"""ref_vdos.py: per-atom velocity autocorrelation with numpy.fft, the
reference of bench/bench_vdos.lua (same velocities, same definition).

    /usr/bin/python3 bench/ref_vdos.py ATOMS FRAMES DIR [REPS]   (Debian numpy)

Reads DIR/vel.f64 (frames x atoms x 3), computes for every atom
C_i(tau) = sum_c sum_t v(t) v(t+tau) / (T - tau), tau < T//2 + 1, with
zero-padded rfft/irfft (Wiener-Khinchin, as sflex does), prints the best
wall time of REPS and the largest difference from DIR/acf_sflex.f64."""
import sys
import time

import numpy as np

n, T, d = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
reps = int(sys.argv[4]) if len(sys.argv) > 4 else 3
lags = T // 2 + 1
v = np.fromfile(d + "/vel.f64", dtype="<f8").reshape(T, n, 3)
x = np.ascontiguousarray(v.transpose(1, 2, 0))  # atoms x 3 x T
L = 1
while L < T + lags - 1:
    L *= 2
best = float("inf")
for _ in range(reps):
    t0 = time.perf_counter()
    X = np.fft.rfft(x, n=L, axis=2)
    P = (X.real ** 2 + X.imag ** 2).sum(axis=1)  # atoms x (L/2+1)
    c = np.fft.irfft(P, n=L, axis=1)[:, :lags] / (T - np.arange(lags))
    best = min(best, time.perf_counter() - t0)
ref = np.fromfile(d + "/acf_sflex.f64", dtype="<f8").reshape(n, lags)
err = np.abs(ref - c).max() / np.abs(c[:, 0]).max()
print("numpy %s: %d atoms x 3 x %d frames, %d lags (padded to %d): best of %d %.3f s; "
      "max |sflex - numpy| / max C(0) = %.2e" % (np.__version__, n, T, lags, L, reps, best, err))
