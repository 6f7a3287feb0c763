"""Round 11: false accepts of 1:N identification against the gallery size, from the dev sets' embeddings.
Input: emb.csv from EmbedAll.java (set, identity, photo, 512 values per row). Prints per-pair FAR at the threshold
(all-vs-all pairs), and open-set identification measured directly: each identity in turn is left out of the gallery
(templates = normalised mean of each other identity's photos, as `picrypt enroll` makes them) and its photos probe it;
a false positive is a probe with some template at d^2 <= threshold."""
import csv, math, sys
import numpy as np
t = float(sys.argv[1]) if len(sys.argv) > 1 else 1.2386
rows = list(csv.reader(open('emb.csv')))
sets = np.array([r[0] for r in rows]); ids = np.array([r[1] for r in rows])
X = np.array([[float(x) for x in r[3:]] for r in rows])
n = len(rows); iu = np.triu_indices(n, 1)
D = np.clip(2 - 2 * X @ X.T, 0, 4)
d = D[iu]; same = ids[iu[0]] == ids[iu[1]]
imp, gen = d[~same], d[same]
print(f"{n} photos, {len(set(ids))} identities; threshold {t}")
for name in ('bbt', 'lfw10', 'att', 'all'):
    m = np.ones(len(d), bool) if name == 'all' else (sets[iu[0]] == name) & (sets[iu[1]] == name)
    im, ge = d[m & ~same], d[m & same]
    print(f"  {name:6s} impostor pairs {len(im):6d}: {int((im <= t).sum()):4d} accepted (FAR {(im <= t).mean():.5f}); "
          f"genuine {len(ge):5d}: FRR {(ge > t).mean():.4f}")
uid = sorted(set(ids))
T = {u: X[ids == u].mean(0) for u in uid}
T = {u: v / np.linalg.norm(v) for u, v in T.items()}
M = np.array([T[u] for u in uid])
fp = probes = 0; cmp_acc = cmp = 0
for k, u in enumerate(uid):
    P = X[ids == u]
    dd = np.clip(2 - 2 * P @ np.delete(M, k, 0).T, 0, 4)
    fp += int((dd.min(1) <= t).sum()); probes += len(P)
    cmp_acc += int((dd <= t).sum()); cmp += dd.size
far_t = cmp_acc / cmp
print(f"open-set, gallery of {len(uid) - 1} templates: {fp} of {probes} non-enrolled probes named someone (FPIR {fp / probes:.4f}); "
      f"probe-template FAR {far_t:.5f} ({cmp_acc} of {cmp})")
for N in (100, 1000, 10_000, 1_000_000):
    print(f"  extrapolated FPIR at N = {N:>9,}: 1 - (1 - FAR)^N = {1 - (1 - far_t) ** N:.3f}")
s = np.sort(imp)
for target in (1e-3, 1e-4):
    k = int(math.floor(target * len(s)))
    print(f"  per-pair FAR {target:g}: threshold {s[k]:.4f}, FRR there {(gen > s[k]).mean():.4f}")
