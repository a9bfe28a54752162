#!/usr/bin/env bash
# ResNet-18 inference on the CPU: jkernels (fused and unfused, batch 1 and 32) beside PyTorch CPU on the same
# model (the same seeded torchvision weights) with the same thread count, one after the other in one run.
# Hold the machine-wide lock while measuring on a shared machine:
#   flock /tmp/jk-full.lock bash benchmarks/onnx-resnet18.sh [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-benchmarks/results/$(date -u +%F)-cpu-resnet18}
mkdir -p "$out"
py=/usr/bin/python3
[[ -f target-onnx/resnet18.onnx ]] || { mkdir -p target-onnx; $py benchmarks/onnx/make_resnet18.py target-onnx > /dev/null; }
jar=benchmarks/target/dist/jkernels-benchmarks.jar
[[ -f $jar ]] || mvn -B -q -ntp -pl benchmarks -am package -DskipTests -Djk.skipFatbin=true
threads=$(nproc)
{
    echo "date: $(date -u '+%F %T UTC')"
    echo "cpu: $(lscpu | sed -n 's/^Model name: *//p') — $(nproc) cores visible"
    echo "memory: $(free -g | awk '/Mem:/ {print $2 " GiB"}')"
    echo "java: $(java -version 2>&1 | head -n 1)"
    echo "torch: $($py -c 'import torch; print(torch.__version__)')"
    echo "threads: jkernels CPU backend $threads (its default: the cores), PyTorch torch.set_num_threads($threads)"
    echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"
} > "$out/machine.txt"
java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -cp "$jar" dev.jkernels.bench.OnnxBench \
    --model target-onnx/resnet18.onnx --backend cpu --batches 1,32 --reps 7 --json "$out/jkernels.json" 2>&1 | grep -v WARNING | tee "$out/jkernels.md"
echo "load between: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/machine.txt"
$py benchmarks/onnx/bench_pytorch_resnet18.py --threads "$threads" --batches 1,32 --reps 7 --json "$out/pytorch.json" 2>&1 | tee "$out/pytorch.md"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/machine.txt"
cat "$out/machine.txt"
