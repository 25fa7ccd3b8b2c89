#!/usr/bin/env bash
# How docs/img/tensorboard_media.png is made: a short training run, TensorBoard on 127.0.0.1 only, and a
# real browser (apt-get install chromium) screenshotting its IMAGES and AUDIO tabs, stacked into one picture.
#   bash docs/img/tensorboard_media.sh [PYTHON]     (from the repository root; PYTHON defaults to python)
set -euo pipefail
python=${1:-python}
work=$(mktemp -d /tmp/tensorboard_media.XXXXXX)
port=6017

OMP_WAIT_POLICY=PASSIVE "$python" -m agents train --preset mlp --timesteps 3000 --logdir "$work/runs/media" \
  --set eval_freq=1000 --set eval_episodes=1 --set episode_steps=200 --set buffer_size=10000 \
  --checkpoint-freq 0 --no-progress-bar
"$python" -m tensorboard.main --logdir "$work/runs" --host 127.0.0.1 --port $port > "$work/tensorboard.log" 2>&1 &
tensorboard=$!
trap 'kill $tensorboard; rm -rf "$work"' EXIT
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$port/data/plugins_listing" > /dev/null && break; sleep 1; done

for tab in images audio; do
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=2 \
    --virtual-time-budget=15000 --window-size=900,400 --screenshot="$work/$tab.png" "http://127.0.0.1:$port/#$tab"
done
"$python" - "$work" <<'PY'
import sys
from PIL import Image

work = sys.argv[1]
images = Image.open(f"{work}/images.png").convert("RGB")
audio = Image.open(f"{work}/audio.png").convert("RGB").crop((0, 0, 1800, 740))  # down to the player
both = Image.new("RGB", (images.width, images.height + audio.height))
both.paste(images, (0, 0))
both.paste(audio, (0, images.height))
both.save("docs/img/tensorboard_media.png", optimize=True)
PY
echo "wrote docs/img/tensorboard_media.png"
