#!/usr/bin/env bash
# Every GPU check the issues ask for, in one command, for a session that is lent a GPU.
#
#   OUT=results_dir bash benchmarks/gpu_session.sh        # from the repository root
#
# Needs python3 with numpy, cupy, pytest, matplotlib, pillow and tqdm (torch optional: the
# PyTorch rows). Writes log.txt (everything, in order) and the GPU training run's samples and
# loss curve to $OUT; each check has its own time limit so that one hang cannot eat the rest.
# The limits add up to 590 s, inside the device tool's 600 s per command; a normal run should
# take well under that. QUICK=1 times 3 repeats instead of 10.
set -u
OUT=${OUT:-gpu_results}
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 MPLBACKEND=Agg
PY=${PY:-python3}
LOG="$OUT/log.txt"
REPEAT=10; [ "${QUICK:-0}" = 1 ] && REPEAT=3

check() {  # check NAME SECONDS COMMAND...: run with a limit, log output and exit status
    local name=$1 limit=$2; shift 2
    echo "=== $name ($(date -u +%H:%M:%S), limit ${limit}s): $*" | tee -a "$LOG"
    timeout "$limit" "$@" >> "$LOG" 2>&1
    echo "=== $name: exit $?" | tee -a "$LOG"
}

check environment 30 sh -c "nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; \
  $PY -c 'import sys, numpy, cupy; print(sys.version.split()[0], \"numpy\", numpy.__version__, \"cupy\", cupy.__version__, cupy.cuda.runtime.getDeviceProperties(0)[\"name\"].decode())'; \
  $PY -c 'import torch; print(\"torch\", torch.__version__, torch.cuda.is_available())' || true"
# test_kernels_emulated.py: the CPU emulation of the kernels, and (marked gpu) emulation vs device
check pytest_cuda 120 "$PY" -m pytest -q -p no:cacheprovider --device cuda \
  tests/test_kernels.py tests/test_kernels_emulated.py tests/test_op_gradients.py tests/test_nn_functional.py tests/test_nn_modules.py \
  tests/test_tensor.py tests/test_optim.py tests/test_profiler.py
check selfcheck_cuda 60 "$PY" -m minigen selfcheck --device cuda
check bench_layers_cuda 60 "$PY" benchmarks/bench_layers.py --device cuda --repeat "$REPEAT"
TORCH=$($PY -c 'import torch; print("--torch" if torch.cuda.is_available() else "")' 2>/dev/null)
check run_cuda 120 "$PY" benchmarks/run.py --device cuda $TORCH --batches 16,64,256,512 --repeat "$REPEAT" \
  --memory --profile --plot "$OUT/dcgan_batch_scaling_cuda.png"
# minigen on the CPU at batch 512, 2 threads, for the "GPU >= 20x CPU" target (same machine)
check run_cpu_512 60 "$PY" benchmarks/run.py --device cpu --threads 2 --batches 512 --repeat 3
RUN=/tmp/minigen_gpu_dcgan
rm -rf "$RUN"
check train_dcgan_cuda 100 "$PY" -m minigen train dcgan --device cuda --steps 1700 --out "$RUN" --no-progress
[ -d "$RUN" ] && cp "$RUN/losses.png" "$OUT/dcgan_cuda_losses.png" 2>/dev/null
[ -d "$RUN/samples" ] && cp "$(ls -1 "$RUN"/samples/*.png | tail -n 1)" "$OUT/dcgan_cuda_samples.png" 2>/dev/null
# SIGTERM on the GPU finishes the step and saves (exit 143), and --resume continues the run
RUN2=/tmp/minigen_gpu_sigterm
rm -rf "$RUN2"
check sigterm_resume_cuda 40 sh -c "timeout -s TERM 15 $PY -m minigen train dcgan --device cuda --steps 100000 \
  --out $RUN2 --no-progress --checkpoint-every 100000; echo exit \$?; \
  $PY -m minigen train --resume $RUN2 --device cuda --steps 50 --no-progress 2>&1 | tail -n 2; \
  ls $RUN2/checkpoints"
echo "=== done ($(date -u +%H:%M:%S)); files: $(ls "$OUT" | tr '\n' ' ')" | tee -a "$LOG"
