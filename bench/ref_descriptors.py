#!/usr/bin/python3
"""Reference implementation of the radial structure functions (paper eq. 5)
with numpy + scipy's cKDTree, for the speed comparison in
doc/benchmarks.md (run with Debian's /usr/bin/python3).

    ref_descriptors.py DATAFILE NREP NCENTRES [--out FILE]

Reads a LAMMPS data file (atomic style, orthogonal box, types 1 = Cu,
2 = Zr), replicates it NREP x NREP x NREP in the same order as
sflex's atoms:replicate (z blocks outermost, x innermost, the file's atom
order inside a block), builds a periodic cKDTree over all atoms and
computes the descriptors of the first NCENTRES atoms: neighbours within
3.0 * rp(type_i, type_j) (rp CuCu 2.5, CuZr 2.7, ZrZr 3.1), the full
Gaussian sum on the grid 0.6 .. 3.0 step 0.05 (sigma 0.05), one block per
neighbour species, then a bias column.  Vectorised numpy throughout (no
Python loop over pairs; per-centre sums as a sparse 0/1 matrix times the
pair values); centres in chunks to bound memory.

Prints the tree-build time, the descriptor time, seconds per atom and the
time extrapolated to all atoms, as wall-clock and as process CPU time
(the machine may be shared).  --out writes the NCENTRES rows (%.17g) for
a cross-check against sflex.
"""
import sys
import time

import numpy as np
from scipy.sparse import csr_matrix
from scipy.spatial import cKDTree

RP = np.array([[2.5, 2.7], [2.7, 3.1]])
RBAR_C = 3.0
GRID = 0.6 + 0.05 * np.arange(49)
SIGMA = 0.05


def read_data(path):
    with open(path) as f:
        lines = f.read().split("\n")
    n = None
    lo = np.zeros(3)
    hi = np.zeros(3)
    start = None
    for k, line in enumerate(lines):
        w = line.split()
        if len(w) >= 2 and w[1] == "atoms" and n is None:
            n = int(w[0])
        for a, name in enumerate(("x", "y", "z")):
            if len(w) >= 4 and w[2] == name + "lo" and w[3] == name + "hi":
                lo[a], hi[a] = float(w[0]), float(w[1])
        if "xy xz yz" in line and any(float(v) != 0 for v in w[:3]):
            sys.exit("ref_descriptors.py: triclinic boxes are not supported")
        if line.startswith("Atoms"):
            start = k + 1
            break
    rows = []
    k = start
    while len(rows) < n:
        w = lines[k].split()
        k += 1
        if len(w) >= 5:
            rows.append((float(w[1]), float(w[2]), float(w[3]), float(w[4])))
    arr = np.array(rows)
    return arr[:, 0].astype(int) - 1, arr[:, 1:4], lo, hi


def replicate(types, x, lo, hi, nrep):
    L = hi - lo
    blocks_t, blocks_x = [], []
    for k in range(nrep):
        for j in range(nrep):
            for i in range(nrep):
                blocks_t.append(types)
                blocks_x.append(x + np.array([i, j, k]) * L)
    return np.concatenate(blocks_t), np.concatenate(blocks_x), L * nrep


def descriptors(tree, types, x, box, centres, chunk=4096):
    ng = len(GRID)
    out = np.zeros((len(centres), 2 * ng + 1))
    out[:, -1] = 1.0
    rmax = RBAR_C * RP.max()
    inv2s2 = 1.0 / (2 * SIGMA * SIGMA)
    for s in range(0, len(centres), chunk):
        c = centres[s:s + chunk]
        lists = tree.query_ball_point(x[c], r=rmax, return_sorted=False)
        counts = np.fromiter((len(l) for l in lists), dtype=np.int64, count=len(c))
        j = np.fromiter((v for l in lists for v in l), dtype=np.int64,
                        count=int(counts.sum()))
        i = np.repeat(c, counts)
        row = np.repeat(np.arange(len(c)), counts)
        keep = j != i
        i, j, row = i[keep], j[keep], row[keep]
        d = x[j] - x[i]
        d -= box * np.round(d / box)
        r = np.sqrt((d * d).sum(axis=1))
        ti, tj = types[i], types[j]
        rb = r / RP[ti, tj]
        ok = rb <= RBAR_C
        rb, tj, row = rb[ok], tj[ok], row[ok]
        for b in (0, 1):
            m = tj == b
            g = np.exp(-(GRID[None, :] - rb[m][:, None]) ** 2 * inv2s2)
            # sum the pairs of each centre: a sparse 0/1 matrix times g
            k = int(m.sum())
            sel = csr_matrix((np.ones(k), (row[m], np.arange(k))), shape=(len(c), k))
            out[s:s + len(c), b * ng:(b + 1) * ng] = sel @ g
    return out


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    path, nrep, ncent = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    outpath = sys.argv[sys.argv.index("--out") + 1] if "--out" in sys.argv else None
    types, x, lo, hi = read_data(path)
    types, x, box = replicate(types, x - lo, lo, hi, nrep)
    x = np.mod(x, box)
    n = len(types)
    t0, c0 = time.perf_counter(), time.process_time()
    tree = cKDTree(x, boxsize=box)
    t1, c1 = time.perf_counter(), time.process_time()
    centres = np.arange(min(ncent, n))
    X = descriptors(tree, types, x, box, centres)
    t2, c2 = time.perf_counter(), time.process_time()
    per, cper = (t2 - t1) / len(centres), (c2 - c1) / len(centres)
    print("numpy %s scipy %s" % (np.__version__, __import__("scipy").__version__))
    print("atoms=%d centres=%d tree_seconds=%.3f descriptor_seconds=%.3f "
          "seconds_per_atom=%.3e extrapolated_all_atoms_seconds=%.1f "
          "tree_cpu=%.3f descriptor_cpu=%.3f cpu_per_atom=%.3e "
          "extrapolated_all_atoms_cpu=%.1f"
          % (n, len(centres), t1 - t0, t2 - t1, per, per * n + (t1 - t0),
             c1 - c0, c2 - c1, cper, cper * n + (c1 - c0)))
    if outpath:
        np.savetxt(outpath, X, fmt="%.17g")


if __name__ == "__main__":
    main()
