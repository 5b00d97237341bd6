export PYTHONPATH=$PWD/.gpuenv/site:$PWD PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name --format=csv,noheader | tee $OUT/gpu.txt
python3 -c "import torch; print(torch.__version__)" | tee -a $OUT/gpu.txt
for a in mlp cnn; do timeout 100 python3 scripts/bench.py --arch $a --repeats 2 --epochs 3 --n 30720 2>&1 | grep -v Warn | tee $OUT/$a.txt; done
timeout 120 python3 scripts/bench.py --arch resnet20 --precision bf16 --repeats 2 --epochs 2 --n 20480 2>&1 | grep -v Warn | tee $OUT/resnet20.txt
