#!/usr/bin/env python3
"""make_seeds.py - (re)build the seed corpora of the fuzz harnesses in
fuzz/corpus/<target>/ from real files: tests/data/ and small consistent
excerpts (the first K atoms) of the files in ../shared/corpus/ when present.
Deterministic: the same inputs give the same seeds.

    python3 fuzz/make_seeds.py            (from the repository root)
"""
import gzip, os, re, shutil, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = os.path.join(root, "fuzz", "corpus")
data = os.path.join(root, "tests", "data")
shared = os.path.join(os.path.dirname(root), "shared", "corpus")
K = 24


def put(target, name, blob):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(blob, str):
        blob = blob.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(blob)


def gz(blob):
    # mtime=0 and no name: the same bytes every time
    return gzip.compress(blob.encode() if isinstance(blob, str) else blob, 9, mtime=0)


def excerpt_data(text, k=K):
    """First k atoms of a data file, with their velocities, count fixed."""
    lines = text.split("\n")
    res, section, kept_ids, count = [], None, set(), 0
    for line in lines:
        s = line.split("#")[0].strip()
        m = re.match(r"^(\d+)\s+atoms$", s)
        if m and section is None:
            res.append("%d atoms" % k)
            continue
        head = s.split()[0] if s else ""
        if head in ("Atoms", "Velocities", "Masses", "Bonds", "Pair"):
            section, count = head, 0
            res.append(line)
            continue
        if section in ("Atoms", "Velocities") and s:
            if section == "Atoms":
                if count < k:
                    kept_ids.add(s.split()[0])
                    res.append(line)
                count += 1
            elif s.split()[0] in kept_ids:
                res.append(line)
            continue
        res.append(line)
    return "\n".join(res)


def excerpt_dump(text, k=K, frames=2):
    """First k atoms of the first frames of a dump."""
    res, lines, i, nf = [], text.split("\n"), 0, 0
    while i < len(lines) and nf < frames:
        line = lines[i]
        if line.startswith("ITEM: NUMBER OF ATOMS"):
            n = int(lines[i + 1].split()[0])
            res += [line, str(min(n, k))]
            i += 2
            continue
        if line.startswith("ITEM: ATOMS"):
            res.append(line)
            body = lines[i + 1:i + 1 + n]
            res += body[:k]
            i += 1 + n
            nf += 1
            continue
        res.append(line)
        i += 1
    return "\n".join(res) + "\n"


def read(path):
    with open(path, "rb") as f:
        blob = f.read()
    if blob[:2] == b"\x1f\x8b":
        blob = gzip.decompress(blob)
    return blob.decode("latin-1")


if os.path.isdir(out):
    for t in ("dump", "data", "xyz"):
        shutil.rmtree(os.path.join(out, t), ignore_errors=True)

# tests/data: whole files (they are small)
for name, target in [("cuzr_tri.dump", "dump"), ("cuzr_tri.data", "data"),
                     ("cuzr_is250.data", "data"), ("ase.extxyz", "xyz"), ("ovito.xyz", "xyz")]:
    p = os.path.join(data, name)
    if os.path.exists(p):
        put(target, name, read(p))
put("dump", "cuzr_tri_1frame.dump.gz", gz(excerpt_dump(read(os.path.join(data, "cuzr_tri.dump")), 32, 1)))
put("xyz", "ase_two_frames.extxyz", read(os.path.join(data, "ase.extxyz")) * 2)

# ../shared/corpus: consistent excerpts of what other people's workflows wrote
if os.path.isdir(shared):
    for name in sorted(os.listdir(shared)):
        p = os.path.join(shared, name)
        if name.endswith(".data") or name.endswith(".lammps"):
            put("data", name, excerpt_data(read(p)))
        elif ".dump" in name:
            ex = excerpt_dump(read(p))
            put("dump", name.replace(".gz", ""), ex)
            put("dump", name if name.endswith(".gz") else name + ".gz", gz(ex))
else:
    print("make_seeds: %s absent: only tests/data seeds" % shared, file=sys.stderr)

for t in sorted(os.listdir(out)):
    print(t, len(os.listdir(os.path.join(out, t))), "seeds")
