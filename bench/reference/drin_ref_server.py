"""Time the reference PyTorch DRIN (starreeze/drin) on demand, for bench/model.bench.ts.

Usage: DRIN_REF=<checkout> python3 drin_ref_server.py DATASET THREADS SLOTS_JSON
  DATASET: wikidiverse (11 candidate slots, entity text pooled [B,R,768]) or wikimel (101 slots,
  entity text as 64 tokens [B,R,64,768] with a mask, pooled inside the reference's model).
  SLOTS_JSON: {"entity": [B][R], "image": [B][R], "answer": [B], "entities", "images"} — which entity and
  image each candidate slot holds (the same slots as our side of the bench).

Contains no reference code: the checkout is copied to a temporary folder, switched to CPU and the
chosen dataset there (common/args.py), and imported; modules the model does not need (transformers,
torchmetrics, PIL) are stubbed. Same procedure as ../shared/tools/reference-bench/drin_bench.py, kept
alive between requests so that the bench can interleave rounds with ours.

Protocol (one JSON object per line on stdout):
  start: {"ready": true, "dataset", "threads", "batch", "torch", "blas": {...}}
  stdin "train N" / "eval N": N timed steps (one training step = zero_grad, forward, TripletLoss(0.25),
  backward, Adam lr 1e-3; one eval step = a no-grad forward) → {"op", "steps", "seconds": [per step]}
  stdin "rss" → {"peak_rss_mib"};  "quit" or end of input: exit.
The first train and eval requests include no warm-up; the bench sends one untimed request first.
"""
import ctypes
import json
import os
import re
import shutil
import sys
import tempfile
import time
import types


def blas_info(torch):
    """Which BLAS library the process loaded and, for OpenBLAS, its kernel (core) name and threads."""
    info = {"torch_blas": "unknown", "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}}
    m = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
    if m:
        info["torch_blas"] = m.group(1)
    torch.ones(64, 64) @ torch.ones(64, 64)  # make sure the BLAS is loaded
    libs = []
    with open("/proc/self/maps") as f:
        for line in f:
            p = line.split()[-1]
            if ("blas" in p or "mkl" in p) and p.startswith("/") and p not in libs:
                libs.append(p)
    info["libraries"] = libs
    for p in libs:
        if "openblas" not in os.path.basename(p):
            continue
        try:
            lib = ctypes.CDLL(p)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            info["openblas_core"] = lib.openblas_get_corename().decode()
            info["openblas_config"] = lib.openblas_get_config().decode().strip()
            info["openblas_threads"] = lib.openblas_get_num_threads()
            break
        except (OSError, AttributeError):
            continue
    try:
        import threadpoolctl  # optional

        info["threadpoolctl"] = threadpoolctl.threadpool_info()
    except ImportError:
        pass
    return info


def load_reference(dataset):
    work = os.path.join(tempfile.mkdtemp(prefix="drin-ref-"), "ref")
    shutil.copytree(os.environ["DRIN_REF"], work)
    args_py = os.path.join(work, "common", "args.py")
    with open(args_py) as f:
        s = f.read()
    s = re.sub(r"^dataset_name = .*$", f'dataset_name = "{dataset}"', s, flags=re.M)
    s = re.sub(r"^use_device = .*$", 'use_device = "cpu"', s, flags=re.M)
    with open(args_py, "w") as f:
        f.write(s)
    tr = types.ModuleType("transformers")
    tr.BertModel = object
    sys.modules["transformers"] = tr
    tm = types.ModuleType("torchmetrics")

    class Metric:
        def __init__(self):
            pass

        def add_state(self, name, default, dist_reduce_fx=None):
            setattr(self, name, default)

    tm.Metric = Metric
    sys.modules["torchmetrics"] = tm
    pil = types.ModuleType("PIL")
    pil.Image = object
    sys.modules["PIL"] = pil
    sys.path.insert(0, work)
    from drin.model import Model  # noqa: E402  (the reference, imported at run time)
    from common.utils import TripletLoss  # noqa: E402

    return Model, TripletLoss, work


def paper_batch(torch, dataset, slots, B=64):
    """Random inputs with the reference dataloader's shapes at the paper's sizes. The candidate slots hold the
    entities and images of `slots` (the bench's bench/reference/candidate-slots.ts): one random row per
    distinct entity (text tokens) and per distinct image (image, object feature and score), gathered."""
    C = 10 if dataset == "wikidiverse" else 100
    R = C + 1
    g = torch.Generator().manual_seed(0)

    def rn(*s):
        return torch.randn(*s, generator=g)

    entity = torch.tensor(slots["entity"], dtype=torch.long)  # [B,R]
    image = torch.tensor(slots["image"], dtype=torch.long)  # [B,R]
    if tuple(entity.shape) != (B, R) or tuple(image.shape) != (B, R):
        sys.exit(f"drin_ref_server.py: slots are {tuple(entity.shape)}, expected {(B, R)}")
    E, I = slots["entities"], slots["images"]
    mt = rn(B, 128, 768)
    mm = torch.ones(B, 128, dtype=torch.long)
    st = torch.full((B,), 3)
    en = torch.full((B,), 6)
    mi = rn(B, 49, 2048).relu()
    mo = rn(B, 3, 1, 2048).relu()
    ms = torch.rand(B, 3)
    if dataset == "wikidiverse":
        et = rn(E, 768)[entity]
        em = torch.zeros(B, dtype=torch.long)
        ei = rn(I, 2048).relu()[image]
        eo = rn(I, 1, 2048).relu()[image]
    else:
        table = rn(E, 64, 768)
        et = table[entity]  # [B,R,64,768]
        del table
        em = torch.ones(B, R, 64, dtype=torch.long)
        em[:, :, 40:] = 0
        ei = rn(I, 1, 2048).relu()[image]
        eo = rn(I, 1, 1, 2048).relu()[image]
    es = torch.rand(I, 1)[image]
    s1 = torch.rand(B, R) * 30
    s2 = torch.rand(B, R) * 30
    y = torch.zeros(B, C)
    for b, a in enumerate(slots["answer"]):
        if a < C:
            y[b, a] = 1
    return [mt, mm, st, en, mi, mo, ms, et, em, ei, eo, es, s1, s2], y


def main():
    dataset, threads, slots_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if dataset not in ("wikidiverse", "wikimel"):
        sys.exit(f"drin_ref_server.py: dataset must be wikidiverse or wikimel, got {dataset!r}")
    if not os.environ.get("DRIN_REF"):
        sys.exit("drin_ref_server.py: DRIN_REF (a checkout of starreeze/drin) is not set")
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    Model, TripletLoss, work = load_reference(dataset)
    with open(slots_file) as f:
        slots = json.load(f)
    batch, y = paper_batch(torch, dataset, slots)
    model = Model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = TripletLoss(0.25)

    def train_step():
        opt.zero_grad()
        loss = loss_fn(y, model(batch))
        loss.backward()
        opt.step()

    def eval_step():
        with torch.no_grad():
            model(batch)

    def say(obj):
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    say({"ready": True, "dataset": dataset, "threads": threads, "batch": len(y), "torch": torch.__version__, "blas": blas_info(torch), "copy": work})
    for line in sys.stdin:
        parts = line.split()
        if not parts or parts[0] == "quit":
            break
        if parts[0] == "rss":
            import resource

            say({"peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
            continue
        op, n = parts[0], int(parts[1])
        fn = {"train": train_step, "eval": eval_step}.get(op)
        if fn is None:
            say({"error": f"unknown request {line.strip()!r}"})
            continue
        secs = []
        for _ in range(n):
            t = time.perf_counter()
            fn()
            secs.append(time.perf_counter() - t)
        say({"op": op, "steps": n, "seconds": secs})
    shutil.rmtree(os.path.dirname(work), ignore_errors=True)


if __name__ == "__main__":
    main()
