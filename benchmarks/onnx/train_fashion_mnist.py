#!/usr/bin/python3
"""A small CNN trained with PyTorch on Fashion-MNIST (Debian's dataset-fashion-mnist), exported to ONNX,
with PyTorch's logits for the 10,000 test images.

Writes into OUTDIR (default: src/test/resources/onnx/fashion-mnist, committed):
  fashion_cnn.onnx         opset 11, initialisers as raw_data, BN folded by the exporter (TrainingMode.EVAL)
  fashion_cnn_logits.f32   PyTorch's logits [10000, 10], float32 little-endian
  fashion_cnn.json         architecture, training settings, PyTorch's test accuracy, versions

The test images are read by the Java test from the same Debian files (t10k-images-idx3-ubyte.gz), scaled
to [0, 1] and normalised with mean 0.2860, std 0.3530, exactly as here.

Usage: /usr/bin/python3 benchmarks/onnx/train_fashion_mnist.py [OUTDIR] [--epochs N]
"""
import gzip
import json
import os
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn as nn

DATA = "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2860, 0.3530


def idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def images(name):
    x = idx(name).astype(np.float32) / 255.0
    return torch.from_numpy(((x - MEAN) / STD)[:, None, :, :].copy())


class SmallCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.2), nn.Linear(32 * 7 * 7, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = args[0] if args else os.path.join(root, "src", "test", "resources", "onnx", "fashion-mnist")
    epochs = int(sys.argv[sys.argv.index("--epochs") + 1]) if "--epochs" in sys.argv else 2
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(7)
    torch.set_num_threads(2)
    xtr, ytr = images("train-images-idx3-ubyte.gz"), torch.from_numpy(idx("train-labels-idx1-ubyte.gz").astype(np.int64))
    xte, yte = images("t10k-images-idx3-ubyte.gz"), torch.from_numpy(idx("t10k-labels-idx1-ubyte.gz").astype(np.int64))
    model = SmallCnn()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    t0 = time.time()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr), 128):
            b = perm[i:i + 128]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xtr[b]), ytr[b])
            loss.backward()
            opt.step()
        print(f"epoch {epoch + 1}: last loss {loss.item():.4f} ({time.time() - t0:.0f} s)", flush=True)
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(xte[i:i + 1000]) for i in range(0, len(xte), 1000)])
    acc = (logits.argmax(1) == yte).float().mean().item()
    path = os.path.join(out, "fashion_cnn.onnx")
    torch.onnx.export(model, xte[:1], path, opset_version=11, input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "N"}, "logits": {0: "N"}})
    onnx.checker.check_model(path)
    logits.numpy().astype("<f4").tofile(os.path.join(out, "fashion_cnn_logits.f32"))
    m = onnx.load(path)
    info = {"model": "Conv(1,16,3,p1)+BN+ReLU+MaxPool2, Conv(16,32,3,p1)+BN+ReLU+MaxPool2, Flatten, Dropout(0.2), Linear(1568,10)",
            "training": f"Adam lr 2e-3, batch 128, {epochs} epochs, torch.manual_seed(7), 2 threads",
            "normalisation": {"mean": MEAN, "std": STD}, "opset": 11,
            "pytorch_test_accuracy": acc, "test_images": len(xte),
            "ops": sorted({n.op_type for n in m.graph.node}),
            "torch": torch.__version__, "onnx": onnx.__version__}
    with open(os.path.join(out, "fashion_cnn.json"), "w") as f:
        json.dump(info, f, indent=1)
    print("fashion-mnist: wrote", out, info)


if __name__ == "__main__":
    main()
