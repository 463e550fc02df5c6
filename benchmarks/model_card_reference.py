#!/usr/bin/env python
# SPDX-License-Identifier: GPL-3.0-or-later
"""The nlpconnect/vit-gpt2-image-captioning model card's code, as a user copies it, with
only the model name and image paths taken from the command line. benchmarks/cli_speed.py runs
it in its own process with the caller's environment untouched; it prints one JSON line
{"path": ..., "caption": ...} per photo, like `altlens caption --json`.

    python benchmarks/model_card_reference.py MODEL_DIR PHOTO [PHOTO ...]

Nothing here is tuned: no thread settings, no OpenMP policy, one photo per predict_step call
(the card's loop), float32, the card's max_length=16 and num_beams=4.
"""

import json
import sys

# ---- model card code (verbatim apart from the model path) --------------------------------
from transformers import VisionEncoderDecoderModel, ViTImageProcessor, AutoTokenizer
import torch
from PIL import Image

model = VisionEncoderDecoderModel.from_pretrained(sys.argv[1])
feature_extractor = ViTImageProcessor.from_pretrained(sys.argv[1])
tokenizer = AutoTokenizer.from_pretrained(sys.argv[1])

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
model.to(device)

max_length = 16
num_beams = 4
gen_kwargs = {"max_length": max_length, "num_beams": num_beams}


def predict_step(image_paths):
    images = []
    for image_path in image_paths:
        i_image = Image.open(image_path)
        if i_image.mode != "RGB":
            i_image = i_image.convert(mode="RGB")

        images.append(i_image)

    pixel_values = feature_extractor(images=images, return_tensors="pt").pixel_values
    pixel_values = pixel_values.to(device)

    output_ids = model.generate(pixel_values, **gen_kwargs)

    preds = tokenizer.batch_decode(output_ids, skip_special_tokens=True)
    preds = [pred.strip() for pred in preds]
    return preds
# ---- end of the model card code ------------------------------------------------------------


for path in sys.argv[2:]:
    print(json.dumps({"path": path, "caption": predict_step([path])[0]}), flush=True)
