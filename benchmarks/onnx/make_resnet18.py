#!/usr/bin/python3
"""ResNet-18 (torchvision, seeded random weights) exported to ONNX, with PyTorch's output for a fixed batch.

Writes into OUTDIR (default: target-onnx/ at the repository root):
  resnet18.onnx        the graph (opset 17; input [N, 3, H, W]), BatchNormalization kept (TrainingMode.PRESERVE on an eval model),
  resnet18.onnx.data   its initialisers as an ONNX external-data file (~45 MB: not committed, made by .ci/run)
  resnet18_input.f32   the input batch [2, 3, 224, 224], float32 little-endian
  resnet18_output.f32  PyTorch's logits [2, 1000] for it
  resnet18_input_32.f32, resnet18_output_32.f32   one 32x32 image and its logits (the graph is fully
                       convolutional up to the global pool): the small case the emulator runs
  resnet18.json        shapes, seed, versions

BN's running statistics and affine parameters are seeded random too (torchvision initialises them to
0/1), so folding BN into the convolutions is exercised with non-trivial values.

Usage: /usr/bin/python3 benchmarks/onnx/make_resnet18.py [OUTDIR] [--batch N]
"""
import json
import os
import sys

import numpy as np
import onnx
import torch
import torchvision


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = args[0] if args else os.path.join(root, "target-onnx")
    batch = 2
    if "--batch" in sys.argv:
        batch = int(sys.argv[sys.argv.index("--batch") + 1])
    os.makedirs(out, exist_ok=True)
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
    x = torch.randn(batch, 3, 224, 224, generator=torch.Generator().manual_seed(2026))
    with torch.no_grad():
        y = model(x)
    path = os.path.join(out, "resnet18.onnx")
    tmp = os.path.join(out, "resnet18.tmp.onnx")
    torch.onnx.export(model, x, tmp, opset_version=17, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N", 2: "H", 3: "W"}, "logits": {0: "N"}},
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True)
    m = onnx.load(tmp)
    os.remove(tmp)
    data = "resnet18.onnx.data"
    if os.path.exists(os.path.join(out, data)):
        os.remove(os.path.join(out, data))
    onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True, location=data,
                    size_threshold=1024)
    onnx.checker.check_model(path)
    x.numpy().astype("<f4").tofile(os.path.join(out, "resnet18_input.f32"))
    xs = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(2027))
    with torch.no_grad():
        ys = model(xs)
    xs.numpy().astype("<f4").tofile(os.path.join(out, "resnet18_input_32.f32"))
    ys.numpy().astype("<f4").tofile(os.path.join(out, "resnet18_output_32.f32"))
    y.numpy().astype("<f4").tofile(os.path.join(out, "resnet18_output.f32"))
    ops = sorted({n.op_type for n in m.graph.node})
    info = {"model": "torchvision.models.resnet18(weights=None), torch.manual_seed(18), random BN statistics",
            "opset": 17, "input": [batch, 3, 224, 224], "output": [batch, 1000], "input_seed": 2026,
            "torch": torch.__version__, "torchvision": torchvision.__version__, "onnx": onnx.__version__,
            "ops": ops, "nodes": len(m.graph.node)}
    with open(os.path.join(out, "resnet18.json"), "w") as f:
        json.dump(info, f, indent=1)
    print("resnet18: wrote", out, info)


if __name__ == "__main__":
    main()
