#!/usr/bin/env python3
"""Trains a model on the Ponder export in this folder with TRL: SFT, DPO, KTO or GRPO.

Written by `ponder export --trainer trl` beside the files it reads, so the folder can be copied to
wherever the GPUs are and run there as it is:

    pip install "trl>=1.16" peft          # with a PyTorch build for your GPUs
    accelerate launch --config_file accelerate/one_gpu.yaml train_trl.py dpo --model Qwen/Qwen3-8B --lora
    accelerate launch --config_file accelerate/multi_gpu.yaml train_trl.py grpo --model Qwen/Qwen3-8B
    accelerate launch --config_file accelerate/fsdp.yaml train_trl.py sft --model Qwen/Qwen3-32B
    python train_trl.py kto --model ./my-qwen --max-steps 2 --cpu   # a quick check on any machine

`--model` is the model the ratings were collected on (or one of its family): a Hugging Face id or a
folder. The trained model (or LoRA adapter; `--merge` writes merged weights) goes to `--output`, and a
folder of full weights loads in Ponder as a local model. Each run ends with one JSON line on stdout:
the method, the rows trained on, the losses and (GRPO) the mean rewards logged.

The methods and what they read:
  sft   sft.jsonl         answers rated up and corrections; the loss is on the final answer only
  dpo   dpo.jsonl         pairs of sibling answers (up over down, a correction over what it corrects)
  kto   kto.jsonl         every thumb, unpaired; class weights balanced as TRL advises
  grpo  grpo.jsonl        questions with a known answer; the reward is 1 when the final answer matches
With `--votes`, DPO and GRPO also read vote_dpo.jsonl / vote_grpo.jsonl (the model's own majority,
not a person's judgement) where the chains agreed at least `--min-agreement`.
"""

import argparse
import json
import re
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLUMNS = {
    "sft": ["messages"],
    "dpo": ["prompt", "chosen", "rejected"],
    "kto": ["prompt", "completion", "label"],
    "grpo": ["prompt", "answer"],
}
# Learning rates that suit each method, full fine-tuning and LoRA (TRL's examples' order of magnitude).
LEARNING_RATES = {
    "sft": (1e-5, 1e-4),
    "dpo": (5e-7, 5e-6),
    "kto": (5e-7, 5e-6),
    "grpo": (1e-6, 1e-5),
}


def arguments(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("method", choices=sorted(COLUMNS))
    p.add_argument("--model", required=True, help="Hugging Face id or folder of the model to train")
    p.add_argument("--output", help="where the trained model goes (default: runs/METHOD beside this script)")
    p.add_argument("--lora", action="store_true", help="train a LoRA adapter instead of every weight")
    p.add_argument("--lora-rank", type=int, default=16)
    p.add_argument("--lora-alpha", type=int, default=32)
    p.add_argument("--merge", action="store_true", help="with --lora: also save the merged full weights")
    p.add_argument("--lr", type=float, help="learning rate (default: one that suits the method)")
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--max-steps", type=int, default=-1, help="stop after this many steps (-1: epochs)")
    p.add_argument("--batch-size", type=int, default=2, help="per device")
    p.add_argument("--grad-accum", type=int, default=8)
    p.add_argument("--max-length", type=int, default=4096, help="tokens of prompt and answer together")
    p.add_argument("--beta", type=float, help="DPO/KTO/GRPO's KL weight (default: TRL's)")
    p.add_argument("--num-generations", type=int, default=8, help="GRPO: completions per question")
    p.add_argument("--max-completion-length", type=int, default=2048, help="GRPO: most tokens sampled")
    p.add_argument("--vllm", action="store_true", help="GRPO: sample with vLLM (colocated; needs vllm)")
    p.add_argument("--votes", action="store_true", help="DPO/GRPO: also train on votes' rows")
    p.add_argument("--min-agreement", type=float, default=0.75, help="with --votes: least share agreeing")
    p.add_argument("--gradient-checkpointing", action="store_true")
    p.add_argument("--save-steps", type=int, default=500)
    p.add_argument("--report-to", default="none", help="wandb, tensorboard, … (default: none)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cpu", action="store_true", help="run on the CPU even where a GPU is")
    return p.parse_args(argv)


def split_files(stem):
    """The non-empty files of one kind: `stem.jsonl`, or `stem_train.jsonl` and `stem_test.jsonl`."""
    found = {}
    for split, name in (("train", f"{stem}.jsonl"), ("train", f"{stem}_train.jsonl"), ("test", f"{stem}_test.jsonl")):
        path = HERE / name
        if path.exists() and path.stat().st_size > 0:
            found.setdefault(split, str(path))
    return found


def load_rows(method, votes, min_agreement):
    """(train, test or None) for `method`, with the votes' rows added when asked for."""
    from datasets import concatenate_datasets, load_dataset

    columns = COLUMNS[method]
    parts = {}
    sources = [(method, None)]
    if votes and method in ("dpo", "grpo"):
        sources.append((f"vote_{method}", min_agreement))
    for stem, least in sources:
        for split, path in split_files(stem).items():
            data = load_dataset("json", data_files=path, split="train")
            if least is not None:
                data = data.filter(lambda row: row["agreement"] >= least)
            parts.setdefault(split, []).append(data.select_columns(columns))
    if not parts.get("train"):
        sys.exit(f"nothing to train on: this folder has no rows for {method} (see README.md)")
    joined = {split: concatenate_datasets(ds) if len(ds) > 1 else ds[0] for split, ds in parts.items()}
    if method == "sft":
        # Prompt and completion, so the loss is on the rated answer only, whatever the chat template.
        def as_completion(row):
            return {"prompt": row["messages"][:-1], "completion": row["messages"][-1:]}

        joined = {s: d.map(as_completion, remove_columns=["messages"]) for s, d in joined.items()}
    return joined["train"], joined.get("test")


# The final answer of a reply, found the way Ponder's vote finds it: \boxed{}, a cue such as
# "the answer is", the last bold text, else the last line; then compared as a number where it is one.
CUES = ["the final answer is", "final answer:", "the answer is", "answer:", "最终答案是", "最终答案：",
        "答案是", "答案为", "答案：", "答案:", "结果是", "所以", "因此"]


def last_boxed(text):
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    depth, begin = 1, start + len("\\boxed{")
    for i in range(begin, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[begin:i]
    return None


def after_cue(text):
    lower = text.lower()
    hits = [(lower.rfind(c), c) for c in CUES if lower.rfind(c) >= 0]
    if not hits:
        return None
    at, cue = max(hits)
    line = text[at + len(cue):].strip().split("\n")[0].strip()
    return line or None


def last_bold(text):
    end = text.rfind("**")
    start = text.rfind("**", 0, end) if end > 0 else -1
    inner = text[start + 2:end].strip() if start >= 0 else ""
    return inner if inner and "\n" not in inner else None


def answer_key(reply):
    """A reply's final answer as a comparable key, or None."""
    reply = unicodedata.normalize("NFKC", reply.split("</think>")[-1]).strip()
    if not reply:
        return None
    lines = [line.strip() for line in reply.splitlines() if line.strip()]
    shown = last_boxed(reply) or after_cue(reply) or last_bold(reply) or lines[-1]
    plain = re.sub(r"\\[dt]?frac\{([^}]*)\}\{([^}]*)\}", r"\1/\2", shown)
    plain = re.sub(r"\\(text|mathrm)\{", "", plain).replace("\\left", "").replace("\\right", "")
    plain = re.sub(r"[${}]|\\[,!]", "", plain).strip().rstrip(".。!！").strip()
    value = plain.rsplit("=", 1)[-1].strip().replace("−", "-")
    fraction = re.fullmatch(r"(-?\d+)\s*/\s*(\d+)", value)
    if fraction:
        return f"{int(fraction.group(1))}/{int(fraction.group(2))}"
    numbers = re.findall(r"-?\d+(?:,\d{3})*(?:\.\d+)?", value)
    if numbers:
        return float(numbers[-1].replace(",", ""))
    text = re.sub(r"\s+", " ", value.lower().strip(" \t.,;:!?。，！？'\"")).strip()
    return text or None


def completion_text(completion):
    """A sampled completion's text (conversational prompts give a list of messages)."""
    return completion[-1]["content"] if isinstance(completion, list) else completion


def correct(completions, answer, **_):
    """GRPO's reward: 1.0 when a completion's final answer is the reference's, else 0.0."""
    rewards = []
    for completion, reference in zip(completions, answer):
        got, want = answer_key(completion_text(completion)), answer_key(reference)
        same = got is not None and want is not None and (
            abs(got - want) < 1e-9 if isinstance(got, float) and isinstance(want, float) else got == want)
        rewards.append(1.0 if same else 0.0)
    return rewards


def kto_weights(data):
    """KTO's class weights, keeping desirable × ups / (undesirable × downs) within 1 to 4/3."""
    ups = sum(1 for label in data["label"] if label)
    downs = len(data) - ups
    if ups == 0 or downs == 0:
        return 1.0, 1.0
    ratio = ups / downs
    return (1 / ratio, 1.0) if ratio < 1 else (1.0, ratio * 3 / 4) if ratio > 4 / 3 else (1.0, 1.0)


def main(argv=None):
    args = arguments(argv)
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    import trl

    torch.manual_seed(args.seed)
    train, test = load_rows(args.method, args.votes, args.min_agreement)
    gpu = torch.cuda.is_available() and not args.cpu
    bf16 = gpu and torch.cuda.is_bf16_supported()
    output = Path(args.output) if args.output else HERE / "runs" / args.method
    common = dict(
        output_dir=str(output), learning_rate=args.lr or LEARNING_RATES[args.method][int(args.lora)],
        num_train_epochs=args.epochs, max_steps=args.max_steps, per_device_train_batch_size=args.batch_size,
        gradient_accumulation_steps=args.grad_accum, logging_steps=1, save_strategy="steps",
        save_steps=args.save_steps, report_to=[] if args.report_to == "none" else [args.report_to],
        seed=args.seed, bf16=bf16, use_cpu=not gpu, gradient_checkpointing=args.gradient_checkpointing,
        eval_strategy="epoch" if test is not None else "no", dataloader_num_workers=0,
    )
    if args.beta is not None:
        common["beta"] = args.beta
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.bfloat16 if bf16 else torch.float32)
    peft_config = None
    if args.lora:
        from peft import LoraConfig

        peft_config = LoraConfig(r=args.lora_rank, lora_alpha=args.lora_alpha, target_modules="all-linear",
                                 task_type="CAUSAL_LM")
    kwargs = dict(model=model, train_dataset=train, eval_dataset=test, processing_class=tokenizer,
                  peft_config=peft_config)
    if args.method == "sft":
        trainer = trl.SFTTrainer(args=trl.SFTConfig(max_length=args.max_length, **common), **kwargs)
    elif args.method == "dpo":
        trainer = trl.DPOTrainer(args=trl.DPOConfig(max_length=args.max_length, **common), **kwargs)
    elif args.method == "kto":
        desirable, undesirable = kto_weights(train)
        config = trl.KTOConfig(max_length=args.max_length, desirable_weight=desirable,
                               undesirable_weight=undesirable, **common)
        trainer = trl.KTOTrainer(args=config, **kwargs)
    else:
        config = trl.GRPOConfig(num_generations=args.num_generations,
                                max_completion_length=args.max_completion_length, use_vllm=args.vllm,
                                **({"vllm_mode": "colocate"} if args.vllm else {}), **common)
        trainer = trl.GRPOTrainer(args=config, reward_funcs=correct, **kwargs)
    trainer.train()
    trainer.save_model(str(output))
    tokenizer.save_pretrained(str(output))
    if args.lora and args.merge and trainer.accelerator.is_main_process:
        merged = trainer.model.merge_and_unload()
        merged.save_pretrained(str(output / "merged"))
        tokenizer.save_pretrained(str(output / "merged"))
    history = trainer.state.log_history
    summary = {
        "method": args.method, "rows": len(train), "test_rows": len(test) if test is not None else 0,
        "losses": [h["loss"] for h in history if "loss" in h],
        "rewards": [h["reward"] for h in history if "reward" in h], "output": str(output),
    }
    if trainer.accelerator.is_main_process:
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
