"""Ponder's exports, trained on by the real trainers people use.

Makes a real history with the `ponder` binary and the bundled model (questions, sampled answers,
thumbs, corrections, one with thinking its writer wrote), exports it with each reasoning style, and
trains 2 steps each of TRL's DPOTrainer, KTOTrainer and SFTTrainer (assistant-only loss) on the files
with the bundled model and tokenizer, on CPU. For every trainer it checks that the model's thinking
is in the training tokens for the inline and separate styles and absent for stripped, and prints the
losses. Then LLaMA-Factory's own converter reads the LLaMA-Factory files through `dataset_info.json`,
and the training kit of `ponder export --trainer trl` runs 2 steps of each method through `accelerate`.

Usage: check.py PONDER_BINARY MODEL_DIR WORK_DIR
"""

import json
import math
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ["CUDA_VISIBLE_DEVICES"] = ""

PONDER, MODEL, WORK = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
DATA = WORK / "data"
# Words the bundled model writes in every chain of thought and never in an answer.
THINKING_MARK = re.compile(r"digit by digit|from the right|carry \d")


def ponder(*args: str) -> str:
    out = subprocess.run([str(PONDER), *args, "--data-dir", str(DATA)], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"ponder {' '.join(args)} failed:\n{out.stderr}")
    return out.stdout


def answers_of(conversation: int) -> list[int]:
    """The answers to the conversation's first question: the one shown is `k / m` of m siblings, which
    were saved one after another."""
    shown = ponder("history", "--show", str(conversation))
    answer, k, m = (int(x) for x in re.search(r"\[answer (\d+) · (\d+) / (\d+)", shown).groups())
    first = answer - (k - 1)
    return list(range(first, first + m))


def make_history() -> None:
    ponder("ask", "--save", "-n", "2", "What is 347 + 589?")
    ponder("ask", "--save", "What is 1024 - 768?")
    ponder("ask", "--save", "Which is larger, 9478 or 294?")
    ponder("ask", "--save", "What is 56 × 7?")
    a1, a2 = answers_of(1)[:2]
    ponder("rate", str(a1), "up", "--tag", "correct")
    ponder(
        "rate", str(a2), "down", "--tag", "wrong_answer", "--correct",
        "<think>\nAdd the units first: 7 + 9 = 16, write 6, carry 1.\n</think>\n\n347 + 589 = 936.",
    )
    ponder("rate", str(answers_of(2)[0]), "down", "--correct", "1024 − 768 = 256.")
    ponder("rate", str(answers_of(3)[0]), "up")
    ponder("rate", str(answers_of(4)[0]), "down", "--tag", "flawed_reasoning")


def export(style: str) -> Path:
    out = WORK / f"export-{style}"
    ponder("export", "--out", str(out), "--reasoning", style)
    return out


def decoded(tokenizer, dataset) -> str:
    """The tokens each row trains on, decoded: with an assistant mask (SFT's assistant-only loss) only
    the masked tokens, else every column of token ids."""
    texts = []
    for row in dataset:
        if "assistant_masks" in row:
            trained = [t for t, m in zip(row["input_ids"], row["assistant_masks"]) if m]
            texts.append(tokenizer.decode(trained))
            continue
        for key, value in row.items():
            ids = isinstance(value, list) and value and all(isinstance(v, int) and v >= 0 for v in value)
            if ids and key.endswith("ids"):
                texts.append(tokenizer.decode(value))
    return "\n".join(texts)


def train(kind: str, folder: Path, style: str) -> None:
    import torch
    from datasets import load_dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import DPOConfig, DPOTrainer, KTOConfig, KTOTrainer, SFTConfig, SFTTrainer

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(MODEL)
    model = AutoModelForCausalLM.from_pretrained(MODEL, torch_dtype=torch.float32)
    common = dict(
        output_dir=str(WORK / f"run-{kind}-{style}"), max_steps=2, per_device_train_batch_size=2,
        learning_rate=1e-5, logging_steps=1, report_to=[], save_strategy="no", use_cpu=True,
        dataloader_num_workers=0, disable_tqdm=True,
    )
    data = load_dataset(str(folder), kind, split="train")
    if kind == "dpo":
        trainer = DPOTrainer(model=model, args=DPOConfig(max_length=512, **common),
                             train_dataset=data, processing_class=tokenizer)
    elif kind == "kto":
        trainer = KTOTrainer(model=model, args=KTOConfig(max_length=512, **common),
                             train_dataset=data, processing_class=tokenizer)
    else:
        trainer = SFTTrainer(model=model, args=SFTConfig(max_length=512, assistant_only_loss=True, **common),
                             train_dataset=data, processing_class=tokenizer)
    text = decoded(tokenizer, trainer.train_dataset)
    has_thinking = bool(THINKING_MARK.search(text))
    if has_thinking != (style != "stripped"):
        sys.exit(f"{kind}/{style}: thinking {'found' if has_thinking else 'missing'} in the training tokens "
                 f"(columns {trainer.train_dataset.column_names}):\n{text[:2000]}")
    trainer.train()
    losses = [round(h["loss"], 4) for h in trainer.state.log_history if "loss" in h]
    if len(losses) != 2 or not all(math.isfinite(l) for l in losses):
        sys.exit(f"{kind}/{style}: expected 2 finite losses, got {losses}")
    print(f"  {kind.upper():3} {style:8} rows {len(data):2}  thinking in tokens: {has_thinking!s:5}  losses {losses}")


def grpo(folder: Path) -> None:
    """TRL's GRPOTrainer on the questions with references: 2 steps, rewarded by the final number."""
    import torch
    from datasets import load_dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    torch.manual_seed(0)
    data = load_dataset(str(folder), "grpo", split="train")
    if len(data) == 0 or set(data.column_names) != {"prompt", "answer"}:
        sys.exit(f"GRPO: unexpected rows {data}")

    def last_number(text: str):
        found = re.findall(r"-?\d+", text.replace(",", ""))
        return found[-1] if found else None

    def matches(completions, answer, **_):
        # Conversational prompts give conversational completions: the text is the last message's.
        texts = [c[-1]["content"] if isinstance(c, list) else c for c in completions]
        return [1.0 if last_number(t) == last_number(a) else 0.0 for t, a in zip(texts, answer)]

    args = GRPOConfig(
        output_dir=str(WORK / "run-grpo"), max_steps=2, per_device_train_batch_size=2, num_generations=2,
        max_completion_length=384, learning_rate=1e-5, logging_steps=1, report_to=[], save_strategy="no",
        use_cpu=True, dataloader_num_workers=0, disable_tqdm=True, beta=0.04,
    )
    model = AutoModelForCausalLM.from_pretrained(MODEL, torch_dtype=torch.float32)
    trainer = GRPOTrainer(model=model, reward_funcs=matches, args=args, train_dataset=data,
                          processing_class=AutoTokenizer.from_pretrained(MODEL))
    trainer.train()
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    rewards = [round(h["reward"], 3) for h in trainer.state.log_history if "reward" in h]
    if len(losses) != 2 or not all(math.isfinite(l) for l in losses):
        sys.exit(f"GRPO: expected 2 finite losses, got {losses}")
    # The bundled model answers these questions right when its chain has room to finish.
    if max(rewards, default=0) <= 0:
        sys.exit(f"GRPO: no sampled chain matched its reference (rewards {rewards})")
    print(f"  GRPO rows {len(data):2}  references {list(data['answer'])}  rewards {rewards}")


def llamafactory(folder: Path) -> None:
    """LLaMA-Factory's own parser and converter over our dataset_info.json and files (its loader reads
    each file and aligns it to its internal columns)."""
    from llamafactory.data.loader import _load_single_dataset
    from llamafactory.data.parser import get_dataset_list
    from llamafactory.hparams import DataArguments, ModelArguments
    from transformers import Seq2SeqTrainingArguments

    info = json.loads((folder / "dataset_info.json").read_text())
    for name in sorted(info):
        attr = get_dataset_list([name], str(folder))[0]
        data_args = DataArguments(dataset_dir=str(folder), dataset=[name])
        model_args = ModelArguments(model_name_or_path=str(MODEL))
        training_args = Seq2SeqTrainingArguments(output_dir=str(WORK / "lf"), report_to=[])
        aligned = _load_single_dataset(attr, model_args, data_args, training_args)
        row = aligned[0]
        if not row["_prompt"] or not row["_response"]:
            sys.exit(f"LLaMA-Factory {name}: empty prompt or response: {row}")
        print(f"  LLaMA-Factory {name}: {len(aligned)} rows converted, "
              f"{len(row['_prompt'])} prompt turns and {len(row['_response'])} responses in the first")


def kit() -> None:
    """`ponder export --trainer trl`'s kit, run as its card says (accelerate launch with its CPU config)
    for 2 steps of each method on the bundled model; every config it ships must load in accelerate."""
    from accelerate.commands.config.config_args import load_config_from_file

    folder = WORK / "export-kit"
    ponder("export", "--out", str(folder), "--trainer", "trl")
    card = (folder / "README.md").read_text()
    if "accelerate launch --config_file accelerate/" not in card:
        sys.exit(f"the card does not say how to run the kit:\n{card}")
    # The kit's GRPO reward finds final answers as Ponder's vote does (ponder-chat's vote/extract.rs).
    sys.path.insert(0, str(folder))
    import train_trl

    shapes = [("347 + 589 = **936**", 936.0), ("The answer is 936.", 936.0), ("So the total is $8,690.", 8690.0),
              ("Therefore, the final answer is $\\boxed{42}$.", 42.0), ("We get \\boxed{\\frac{3}{4}} in the end.", "3/4"),
              ("Answer: Paris", "paris"), ("所以答案是 48。", 48.0), ("１２ × ３４ = ４０８", 408.0),
              ("<think>\n7 + 9 = 16\n</think>\n\nStep 2: carry.\n\n1,024", 1024.0), ("The final answer is: 2.50", 2.5)]
    for reply, key in shapes:
        if train_trl.answer_key(reply) != key:
            sys.exit(f"kit reward: {reply!r} gave {train_trl.answer_key(reply)!r}, not {key!r}")
    if train_trl.correct(["It is 936.", "It is 935."], ["347 + 589 = 936.", "347 + 589 = 936."]) != [1.0, 0.0]:
        sys.exit("kit reward: a right and a wrong answer were not told apart")
    for config in sorted((folder / "accelerate").glob("*.yaml")):
        loaded = load_config_from_file(str(config))
        print(f"  kit config {config.name}: {loaded.distributed_type}, {loaded.num_processes} process(es)")
    for method in ("sft", "dpo", "kto", "grpo"):
        command = [
            str(Path(sys.executable).parent / "accelerate"), "launch", "--config_file",
            str(folder / "accelerate" / "cpu.yaml"), str(folder / "train_trl.py"), method, "--model", str(MODEL),
            "--max-steps", "2", "--batch-size", "2", "--grad-accum", "1", "--max-length", "512",
            "--output", str(WORK / f"kit-{method}"),
        ]
        if method == "grpo":
            command += ["--num-generations", "2", "--max-completion-length", "384", "--lr", "1e-5"]
        out = subprocess.run(command, capture_output=True, text=True)
        lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
        if out.returncode != 0 or not lines:
            sys.exit(f"kit {method} failed ({out.returncode}):\n{out.stdout[-3000:]}\n{out.stderr[-5000:]}")
        summary = json.loads(lines[-1])
        losses = summary["losses"]
        if len(losses) != 2 or not all(math.isfinite(l) for l in losses) or summary["rows"] == 0:
            sys.exit(f"kit {method}: expected 2 finite losses on some rows, got {summary}")
        if method == "grpo" and max(summary["rewards"], default=0) <= 0:
            sys.exit(f"kit GRPO: no sampled chain matched its reference: {summary}")
        if not (WORK / f"kit-{method}" / "config.json").exists():
            sys.exit(f"kit {method}: no model saved in {WORK / f'kit-{method}'}")
        print(f"  kit {method.upper():4} rows {summary['rows']:2}  losses {[round(l, 4) for l in losses]}"
              + (f"  rewards {summary['rewards']}" if method == "grpo" else ""))


def main() -> None:
    make_history()
    for style in ("inline", "separate", "stripped"):
        folder = export(style)
        for kind in ("dpo", "kto", "sft"):
            train(kind, folder, style)
    grpo(WORK / "export-inline")
    llamafactory(WORK / "export-inline")
    kit()
    print("trainer check passed")


if __name__ == "__main__":
    main()
