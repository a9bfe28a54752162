#!/usr/bin/env python3
"""PyTorch CPU times for the CnnHarness --quick list (pooling, softmax, residual conv): the CPU
backend's anchor for issue 14 item 10 ("within 80 % of PyTorch CPU"). Same shapes, same rule:
warm-up, then the median of the repeats, wall clock. Prints Markdown; --json FILE writes the rows.

    /usr/bin/python3 benchmarks/scripts/cnn_torch_cpu.py [--threads N] [--reps 10] [--json f.json]
"""
import argparse, json, statistics, time
import torch
import torch.nn.functional as F

def median_ms(fn, reps, warmup):
    for _ in range(warmup):
        fn()
    t = []
    for _ in range(reps):
        t0 = time.perf_counter(); fn(); t.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(t)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--json")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    rows = []
    # The --quick (small) lists of CnnHarness.pools/softmaxes/residuals.
    pools = [
        ("resnet stem max 3x3/2", (1, 64, 56, 56), False, lambda x: F.max_pool2d(x, 3, 2, 1)),
        ("resnet stem max 3x3/2 NHWC", (1, 64, 56, 56), True, lambda x: F.max_pool2d(x, 3, 2, 1)),
        ("vgg max 2x2/2", (1, 128, 56, 56), False, lambda x: F.max_pool2d(x, 2)),
        ("avg 3x3/1 pad 1 (inception)", (1, 192, 14, 14), False, lambda x: F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)),
        ("global avg 7x7", (8, 512, 7, 7), False, lambda x: F.adaptive_avg_pool2d(x, 1)),
        ("global avg 7x7 NHWC", (8, 512, 7, 7), True, lambda x: F.adaptive_avg_pool2d(x, 1)),
    ]
    for name, shape, nhwc, fn in pools:
        x = torch.rand(shape) * 2 - 1
        if nhwc:
            x = x.contiguous(memory_format=torch.channels_last)
        y = fn(x)
        ms = median_ms(lambda: fn(x), a.reps, a.warmup)
        gbps = 4 * (x.numel() + y.numel()) / ms / 1e6
        rows.append({"op": "pool2d " + name, "shape": list(shape), "ms": ms, "gbps": gbps})
    for name, shape, dim in [("classifier 1000 classes", (256, 1000), -1), ("attention rows 4096", (64, 4096), -1),
                             ("segmentation 21 classes, channel axis", (1, 21, 64, 64), 1), ("short rows 10 classes", (4096, 10), -1)]:
        x = torch.rand(shape) * 16 - 8
        ms = median_ms(lambda: torch.softmax(x, dim), a.reps, a.warmup)
        rows.append({"op": "softmax " + name, "shape": list(shape), "ms": ms, "gbps": 8 * x.numel() / ms / 1e6})
    for name, (n, c, h, w, k) in [("resnet18 conv2_x 64", (1, 64, 28, 28, 64)), ("resnet18 conv3_x 128", (1, 128, 28, 28, 128)),
                                  ("resnet18 conv4_x 256", (1, 256, 14, 14, 256)), ("resnet18 conv5_x 512", (1, 512, 7, 7, 512)),
                                  ("small channels 8", (1, 8, 28, 28, 8))]:
        x = torch.rand(n, c, h, w); wt = torch.rand(k, c, 3, 3) * 0.1; b = torch.rand(k); r = torch.rand(n, k, h, w)
        ms = median_ms(lambda: torch.relu(F.conv2d(x, wt, b, padding=1) + r), a.reps, a.warmup)
        rows.append({"op": "residual " + name, "shape": [n, c, h, w, k], "ms": ms})
    print(f"# PyTorch {torch.__version__} CPU, {torch.get_num_threads()} threads\n")
    print("| op | shape | ms | GB/s |\n|---|---|---:|---:|")
    for r in rows:
        print(f"| {r['op']} | {r['shape']} | {r['ms']:.4f} | {r.get('gbps', float('nan')):.1f} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"torch": torch.__version__, "threads": torch.get_num_threads(), "rows": rows}, f, indent=1)

if __name__ == "__main__":
    main()
