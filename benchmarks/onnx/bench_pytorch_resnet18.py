#!/usr/bin/python3
"""PyTorch CPU inference speed of the same ResNet-18 as benchmarks/onnx/make_resnet18.py (torchvision, the same
seeded weights), eval mode, no_grad, at batch 1 and 32: images/s, the median of REPS runs after warm-up
(3 runs and 2 s). The thread count is torch.set_num_threads(THREADS) (default 2: what jkernels' CPU backend
uses on this machine). Also checks the model's logits against the exported reference output, so the
model timed is the model jkernels runs.

Usage: /usr/bin/python3 benchmarks/onnx/bench_pytorch_resnet18.py [--threads N] [--reps N] [--batches 1,32] [--json FILE]
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torchvision


def arg(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def main():
    threads = int(arg("--threads", 2))
    reps = int(arg("--reps", 7))
    batches = [int(b) for b in arg("--batches", "1,32").split(",")]
    torch.set_num_threads(threads)
    torch.manual_seed(18)
    model = torchvision.models.resnet18(weights=None)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
    model.eval()
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ref = os.path.join(root, "target-onnx", "resnet18_output.f32")
    check = None
    with torch.no_grad():
        x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(2026))
        if os.path.exists(ref):
            want = np.fromfile(ref, dtype="<f4").reshape(2, 1000)
            check = float(np.abs(model(x).numpy() - want).max())
    rows = []
    print(f"PyTorch {torch.__version__} CPU, {torch.get_num_threads()} threads; same weights as the ONNX file: max |diff| = {check}")
    print("| batch | median ms/batch | images/s |")
    print("|---:|---:|---:|")
    with torch.no_grad():
        for n in batches:
            x = torch.randn(n, 3, 224, 224, generator=torch.Generator().manual_seed(n))
            start, warm = time.perf_counter(), 0
            while warm < 3 or time.perf_counter() - start < 2:
                model(x)
                warm += 1
            ms = []
            for _ in range(reps):
                t = time.perf_counter()
                model(x)
                ms.append((time.perf_counter() - t) * 1000)
            med = sorted(ms)[reps // 2]
            rows.append({"batch": n, "median_ms": med, "images_per_s": n / (med / 1000), "ms": ms})
            print(f"| {n} | {med:.1f} | {n / (med / 1000):.1f} |", flush=True)
    out = arg("--json", None)
    if out:
        with open(out, "w") as f:
            json.dump({"torch": torch.__version__, "threads": threads, "reps": reps, "check_max_abs_diff": check, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
