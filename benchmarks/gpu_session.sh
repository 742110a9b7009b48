#!/usr/bin/env bash
# Every GPU check the issues ask for, in one command, for a session that is lent a GPU.
#
#   OUT=results_dir bash benchmarks/gpu_session.sh        # from the repository root
#
# Needs python3 with numpy, cupy, pytest, matplotlib, pillow and tqdm (torch optional: the
# PyTorch rows). Writes log.txt (everything, in order) and the GPU training run's samples and
# loss curve to $OUT; each check has its own time limit so that one hang cannot eat the rest.
# The checks run in order of importance, each with a limit; a normal run takes well under the
# device tool's 600 s per command, and one that runs long loses only the last checks.
# QUICK=1 times 3 repeats instead of 5. If .whl/ holds wheels (nbclient, ipykernel and their
# needs, for a GPU image without Jupyter), they are installed to /tmp/site first so that the
# GPU lesson (02) and its solutions can be executed there into $OUT. To make them (Python 3.12
# wheels, from a machine with a package index; .whl/ is git-ignored through .git/info/exclude):
#   pip download -d .whl --only-binary=:all: --python-version 3.12 --platform manylinux_2_28_x86_64 \
#       --platform manylinux_2_17_x86_64 --platform any nbclient nbformat ipykernel
# then delete the wheels of packages the GPU image already has (attrs, packaging, psutil, pygments,
# python-dateutil, typing-extensions, tzdata on 2026-12-04). Two runs on an H200 took 275-282 s
# (before the 0.2 s rest between alternated steps, which adds about a minute).
set -u
OUT=${OUT:-gpu_results}
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 MPLBACKEND=Agg
PY=${PY:-python3}
LOG="$OUT/log.txt"
REPEAT=5; [ "${QUICK:-0}" = 1 ] && REPEAT=3

check() {  # check NAME SECONDS COMMAND...: run with a limit, log output and exit status
    local name=$1 limit=$2; shift 2
    echo "=== $name ($(date -u +%H:%M:%S), limit ${limit}s): $*" | tee -a "$LOG"
    timeout "$limit" "$@" >> "$LOG" 2>&1
    echo "=== $name: exit $?" | tee -a "$LOG"
}

check environment 20 sh -c "nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; \
  lscpu | grep 'Model name'; nproc; \
  $PY -c 'import sys, numpy, cupy; print(sys.version.split()[0], \"numpy\", numpy.__version__, \"cupy\", cupy.__version__, cupy.cuda.runtime.getDeviceProperties(0)[\"name\"].decode())'; \
  $PY -c 'import torch; print(\"torch\", torch.__version__, torch.cuda.is_available())' || true"
if ls .whl/*.whl >/dev/null 2>&1; then
  check install_wheels 30 $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH="$PYTHONPATH:/tmp/site"
fi
# test_kernels_emulated.py: the CPU emulation of the kernels, and (marked gpu) emulation vs device
check pytest_cuda 150 "$PY" -m pytest -q -p no:cacheprovider --device cuda \
  tests/test_kernels.py tests/test_kernels_emulated.py tests/test_op_gradients.py tests/test_nn_functional.py tests/test_nn_modules.py \
  tests/test_tensor.py tests/test_optim.py tests/test_profiler.py
check selfcheck_cuda 30 "$PY" -m minigen selfcheck --device cuda
TORCH=$($PY -c 'import torch; print("--torch" if torch.cuda.is_available() else "")' 2>/dev/null)
check run_cuda 110 "$PY" benchmarks/run.py --device cuda $TORCH --batches 16,64,256,512 --repeat "$REPEAT" \
  --profile --plot "$OUT/dcgan_batch_scaling_cuda.png"
# minigen on the CPU at batch 512, 2 threads, for the "GPU >= 20x CPU" target (same machine)
check run_cpu_512 40 "$PY" benchmarks/run.py --device cpu --threads 2 --batches 512 --repeat 3
# every model's step at its default batch and 8x it (issue 21's GPU target: <= 1.5x PyTorch)
check run_cuda_all 170 "$PY" benchmarks/run.py --device cuda $TORCH --workload all --scales 1,8 --repeat "$REPEAT"
# lesson 02 (and its solutions) executed here: its section 6 times the kernels on this GPU
# (without MPLBACKEND=Agg, which would keep the kernel's inline figures out of the notebook)
for nb in lessons/02_batchnorm_and_gpu.ipynb lessons/solutions/02_batchnorm_and_gpu_solutions.ipynb; do
  [ -f "$nb" ] && check "lesson_$(basename "$nb" .ipynb)" 60 env -u MPLBACKEND MINIGEN_PROGRESS=0 "$PY" -c "
import sys, time, nbformat, nbclient
path, out = sys.argv[1], sys.argv[2]
nb = nbformat.read(path, as_version=4); t0 = time.time()
nbclient.NotebookClient(nb, timeout=50, kernel_name='python3',
                        resources={'metadata': {'path': path.rsplit('/', 1)[0]}}).execute()
nbformat.write(nb, out); print(f'{path}: executed in {time.time() - t0:.1f} s')
" "$nb" "$OUT/$(basename "$nb")"
done
RUN=/tmp/minigen_gpu_dcgan
rm -rf "$RUN"
check train_dcgan_cuda 60 "$PY" -m minigen train dcgan --device cuda --steps 1700 --out "$RUN" --no-progress
[ -d "$RUN" ] && cp "$RUN/losses.png" "$OUT/dcgan_cuda_losses.png" 2>/dev/null
[ -d "$RUN/samples" ] && cp "$(ls -1 "$RUN"/samples/*.png | tail -n 1)" "$OUT/dcgan_cuda_samples.png" 2>/dev/null
# SIGTERM on the GPU finishes the step and saves (exit 143), and --resume continues the run
RUN2=/tmp/minigen_gpu_sigterm
rm -rf "$RUN2"
check sigterm_resume_cuda 40 sh -c "timeout -s TERM 15 $PY -m minigen train dcgan --device cuda --steps 100000 \
  --out $RUN2 --no-progress --checkpoint-every 100000; echo exit \$?; \
  last=\$(ls $RUN2/checkpoints | tail -n 1 | tr -dc 0-9); \
  $PY -m minigen train --resume $RUN2 --device cuda --steps \$(expr \$last + 50) --no-progress 2>&1 | tail -n 2; \
  ls $RUN2/checkpoints"
check bench_layers_cuda 60 "$PY" benchmarks/bench_layers.py --device cuda --repeat "$REPEAT"
echo "=== done ($(date -u +%H:%M:%S)); files: $(ls "$OUT" | tr '\n' ' ')" | tee -a "$LOG"
