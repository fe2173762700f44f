"""Issue 23's hostile inputs: each ends fast with the right number or one ParamcalcError line.

Huge repeat counts (item 10), regular expressions (12, 16), foreign exceptions
(14, 15, 17, 18, 19), messages (20, 21) and inputs the CLI ignored (22).
The numbers are torch's: GPT-2's embeddings hold 39,385,344 parameters and
each ``GPT2Block`` 7,087,872 (124,439,808 = 39,385,344 + 12·7,087,872 in
``GPT2LMHeadModel``, whose head is tied to ``wte``).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

import paramcalc as pc
from paramcalc.cli import main
from paramcalc.errors import ConfigError, ConfigTypeError, ParamcalcWarning
from paramcalc.plan.devices import fit
from paramcalc.printed import read_printed
from paramcalc.spec import parse
from tests.test_fuzz import within

HF = Path(__file__).parent / "fixtures" / "hf"
GPT2_EMBEDDINGS = 39_385_344
GPT2_BLOCK = 7_087_872


def run(argv: list[str], seconds: float = 5.0) -> tuple[int, str, str]:
    """``main(argv)`` within ``seconds``: exit status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), within(seconds):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def one_line_error(argv: list[str], status: int = 1) -> str:
    """Run ``argv``, expect a one-line ``paramcalc: error:`` and exit ``status``; return it."""
    code, _, err = run(argv)
    assert code == status, err
    assert "Traceback" not in err, err
    assert "internal error" not in err, err
    lines = [line for line in err.splitlines() if "error" in line]
    assert len(lines) == 1, err
    return lines[0]


TIED_STACK = (
    'Sequential({"emb": Embedding(10, 4), "body": Repeat(Linear(4, 4), %d), '
    '"head": Tied(Linear(4, 10, bias=False), {"weight": "emb.weight"})})'
)


class TestHugeStacks:
    """Item 10: a report's cost does not depend on the repeat count."""

    @pytest.mark.parametrize("n", [3, 10**6, 10**12, 2**63 - 1])
    def test_tied_network_with_a_long_stack(self, n: int) -> None:
        """The report of a tied network with a long stack renders in every format, fast."""
        for form in ("text", "json", "html", "markdown"):
            status, _, err = run([TIED_STACK % n, "-f", form], seconds=3.0)
            assert status == 0, err
        assert f"{40 + 20 * n:,}" in run([TIED_STACK % n])[1]

    def test_tie_to_a_late_copy(self) -> None:
        """A tie to the last copy of a stack is found without listing the copies; past it, not."""
        last = 10**12 - 1
        head = 'Tied(Linear(4, 4, bias=False), {"weight": "body.%d.weight"})'
        spec = 'Sequential({"body": Repeat(Linear(4, 4), 1000000000000), "head": %s})'
        with within(2.0):
            report = parse(spec % (head % last)).report()
        assert report.params == 20 * 10**12
        with within(2.0), pytest.raises(ConfigError, match="not a parameter of the network"):
            parse(spec % (head % (last + 1))).report()
        with within(2.0), pytest.raises(ConfigError, match="not a parameter of the network"):
            parse(spec % (head.replace("%d", "9" * 5000))).report()

    def test_printed_gpt2_with_a_billion_blocks(self) -> None:
        """``(0-999999999): 1000000000 x GPT2Block(`` reads and reports fast, tied head once."""
        body = _corpus_text("gpt2/GPT2Model").replace("\n", "\n  ")
        body = body.replace("(0-1): 2 x GPT2Block(", "(0-999999999): 1000000000 x GPT2Block(")
        text = (
            f"GPT2LMHeadModel(\n  (transformer): {body}\n"
            "  (lm_head): Linear(in_features=768, out_features=50257, bias=False)\n)"
        )
        with within(3.0):
            network = read_printed(text).network
            total = network.report().params
            network.report().render("json")
        assert total == GPT2_EMBEDDINGS + 10**9 * GPT2_BLOCK

    def test_gpt2_config_with_a_million_layers(self, tmp_path: Path) -> None:
        """A GPT-2 config.json with ``n_layer`` 10⁶: its report in seconds, the head tied once."""
        config = json.loads((HF / "gpt2.json").read_text(encoding="utf-8"))
        config["n_layer"] = 10**6
        path = tmp_path / "config.json"
        path.write_text(json.dumps(config), encoding="utf-8")
        status, out, err = run([str(path)], seconds=5.0)
        assert status == 0, err
        assert f"{GPT2_EMBEDDINGS + 10**6 * GPT2_BLOCK:,}" in out

    @pytest.mark.parametrize("n", [10**6, 2**63 - 1])
    def test_json_report_of_a_long_stack(self, n: int, tmp_path: Path) -> None:
        """A JSON report whose stack count is 10⁶ or int64's largest reads back fast."""
        path = tmp_path / "report.json"
        path.write_text(parse(TIED_STACK % n).report().to_json(), encoding="utf-8")
        status, out, err = run([str(path)], seconds=3.0)
        assert status == 0, err
        assert f"{40 + 20 * n:,}" in out

    def test_json_report_past_int64(self, tmp_path: Path) -> None:
        """A JSON report whose stack count is 2⁶³ is refused in one line."""
        text = parse(TIED_STACK % 3).report().to_json()
        path = tmp_path / "report.json"
        path.write_text(text.replace('"n": 3', f'"n": {2**63}'), encoding="utf-8")
        assert "must be at most 9,223,372,036,854,775,807" in one_line_error([str(path)])


def _corpus_text(name: str) -> str:
    """The ``print(model)`` text of corpus entry ``name`` (transformers 5.23.0's own print)."""
    with gzip.open(HF.parent / "printed_corpus" / "transformers.jsonl.gz", "rt") as lines:
        for line in lines:
            entry = json.loads(line)
            if entry["name"] == name:
                text: str = entry["text"]
                return text
    raise LookupError(name)


LLAMA = str(HF / "llama-2-7b.json")


class TestRegexes:
    """Items 12 and 16: names are escaped; a user's regex is checked and bounded."""

    def test_save_is_a_literal_name(self) -> None:
        """``save=(\\w*)*Z`` is a name that matches nothing: fast, with q_proj adapted."""
        status, _, err = run([LLAMA, "--total", "--lora", r"r=8,q_proj,save=(\w*)*Z"], 3.0)
        assert status == 0, err
        assert "matched no module" in err

    def test_save_with_a_huge_count_is_a_literal_name(self) -> None:
        """``save=a{99999999999}`` is a name too, not an OverflowError."""
        status, _, err = run([LLAMA, "--total", "--lora", "r=8,q_proj,save=a{99999999999}"])
        assert status == 0, err
        assert "internal error" not in err

    @pytest.mark.parametrize(
        ("keyword", "value", "message"),
        [
            ("target_modules", "(q_proj", "`target_modules` is not a valid regular expression"),
            ("exclude_modules", r"(\w*)*Z", "`exclude_modules` must be a regular expression"),
            ("exclude_modules", "a{99999999999}", "`exclude_modules` is not a valid regular"),
            ("target_modules", "a{5000}", "repetition count over 1,000"),
            ("target_modules", ".*.*.*.*.*Z", "more than 4 repetitions"),
            ("target_modules", r"(a)\1", "back-references"),
            ("target_modules", "x" * 3_000_000, "at most 1,000 characters"),
            ("rank_pattern", {"(": 4}, "`rank_pattern key` is not a valid regular expression"),
            ("alpha_pattern", {r"(\w+)+$": 4.0}, "`alpha_pattern key` must be a regular"),
        ],
    )
    def test_invalid_or_costly_regexes(self, keyword: str, value: object, message: str) -> None:
        """An invalid or unbounded regex is a ConfigError naming its argument, in one line."""
        net = pc.from_hf_config(LLAMA)
        extra: dict[str, Any] = (
            {} if keyword == "target_modules" else {"target_modules": ["q_proj"]}
        )
        with within(2.0), pytest.raises(ConfigError, match=re.escape(message)) as caught:
            pc.lora(net, **{keyword: value, **extra})
        assert "\n" not in str(caught.value)
        assert len(str(caught.value)) < 400

    def test_saved_name_with_regex_characters(self) -> None:
        """A ``modules_to_save`` name is literal: ``q_pro.`` excludes no ``q_proj`` from targeting.

        (PEFT pastes the name into a regex, where the dot would match the ``j``.)
        """
        net = pc.from_hf_config(LLAMA)
        with within(2.0), pytest.warns(ParamcalcWarning, match="matched no module"):
            adapted = pc.lora(net, target_modules=["q_proj"], modules_to_save=["q_pro."])
        # Llama-2-7B, r=8 on q_proj: 32 layers · 8·(4096 + 4096) (PEFT's print_trainable_parameters)
        assert adapted.trainable_params() == 2_097_152

    def test_good_regexes_still_work(self) -> None:
        """PEFT's usual regexes are taken: layers 1 and 3's q_proj, r=8, as PEFT adapts them."""
        net = pc.from_hf_config(LLAMA)
        adapted = pc.lora(net, target_modules=r".*\.[13]\.self_attn\.(q_proj|v_proj)")
        assert adapted.trainable_params() == 4 * 8 * (4096 + 4096)


class TestWarningChannel:
    """Item 20: planner warnings reach stderr as config warnings do, one line each."""

    @pytest.mark.parametrize(
        ("config", "lora", "words"),
        [
            ("qwen3-30b-a3b.json", "r=8,q_proj", "mixture-of-experts"),
            ("llama-2-7b.json", "r=8,q_proj,save=nothing_here", "matched no module"),
        ],
    )
    def test_planner_warnings(self, config: str, lora: str, words: str) -> None:
        """``paramcalc: warning: ...``: no internal path, no source line."""
        status, _, err = run([str(HF / config), "--total", "--lora", lora])
        assert status == 0, err
        lines = err.splitlines()
        assert any(words in line for line in lines), err
        assert all(line.startswith("paramcalc: warning: ") for line in lines), err
        assert ".py:" not in err


class TestCommandLineNumbers:
    """Items 14, 17 and 22: flags with hostile or pointless numbers end in one line."""

    def test_sweep_high_below_low(self) -> None:
        """``--sweep context=8k..1k`` is a usage error naming both ends, not an IndexError."""
        line = one_line_error([LLAMA, "--context", "8k", "--sweep", "context=8k..1k"], status=2)
        assert "LOW at most HIGH" in line
        assert "8,192 > 1,024" in line

    @pytest.mark.parametrize("tokens", ["inf", "nan", "1e400", "0", "1.5", "9" * 5000])
    def test_tokens_must_be_a_whole_count(self, tokens: str) -> None:
        """``--tokens inf`` (nan, 1e400, …) is a usage error, not an internal error."""
        argv = [LLAMA, "--train", "--seq", "512", "--device", "H100-80GB", "--tokens", tokens]
        line = one_line_error(argv, status=2)
        assert "whole number of tokens" in line
        assert len(line) < 300

    def test_tokens_in_scientific_notation(self) -> None:
        """``--tokens 2e12`` is 2,000,000,000,000 tokens."""
        argv = [LLAMA, "--train", "--seq", "512", "--device", "H100-80GB", "--tokens", "2e12"]
        status, out, err = run(argv)
        assert status == 0, err
        assert "2T tokens" in out or "2,000,000,000,000" in out, out[-600:]

    @pytest.mark.parametrize("size", ["0", "0.5", "0GiB", "0.0000001KB"])
    def test_device_memory_of_no_bytes(self, size: str) -> None:
        """``--device-memory 0`` (or half a byte) is refused, never read as "no device"."""
        line = one_line_error([LLAMA, "--context", "1k", "--device-memory", size], status=2)
        assert "--device-memory" in line
        assert "more than 0" in line or "needs its unit" in line

    def test_empty_lora(self) -> None:
        """``--lora ''`` asks for adapters and names none: refused, not ignored."""
        assert "target_modules" in one_line_error([LLAMA, "--total", "--lora", ""])

    def test_all_linear_and_names(self) -> None:
        """``--lora r=8,all-linear,q_proj`` is refused: all-linear was silently dropped."""
        line = one_line_error([LLAMA, "--total", "--lora", "r=8,all-linear,q_proj"])
        assert "not both" in line

    def test_fractional_alpha(self) -> None:
        """``alpha=1.5`` is taken (PEFT's ``lora_alpha`` is a float); ``r=1.5`` and nan are not."""
        status, out, err = run([LLAMA, "--total", "--lora", "r=8,alpha=1.5,q_proj"])
        assert status == 0, err
        assert out.strip() == "6740512768"  # Llama-2-7B 6,738,415,616 + 32·8·(4096 + 4096)
        assert "whole number" in one_line_error([LLAMA, "--total", "--lora", "r=1.5,q_proj"])
        assert "finite number" in one_line_error([LLAMA, "--total", "--lora", "alpha=nan,q_proj"])

    @pytest.mark.parametrize("dtype", ["int8", "int4", "fp8", "int64"])
    def test_logits_dtype_is_floating(self, dtype: str) -> None:
        """``--logits-dtype int8`` is refused: the logits' copy is ``.float()``'s."""
        line = one_line_error([LLAMA, "--context", "1k", "--logits-dtype", dtype])
        assert "`logits_dtype` must be one of 'fp64', 'fp32', 'fp16', 'bf16'" in line

    def test_config_over_the_size_limit(self, tmp_path: Path) -> None:
        """The CLI refuses a config.json over from_hf_config's 16 MiB, as from_hf_config does."""
        config = json.loads((HF / "llama-2-7b.json").read_text(encoding="utf-8"))
        config["padding"] = "x" * (17 * 1024 * 1024)
        path = tmp_path / "config.json"
        path.write_text(json.dumps(config), encoding="utf-8")
        with pytest.raises(ConfigError, match=r"a config\.json is read up to 16,777,216"):
            pc.from_hf_config(path)
        assert "a config.json is read up to 16,777,216" in one_line_error([str(path)])


class TestAccelerateComparison:
    """Item 23: docs/inference-memory.md quotes accelerate's current estimate-memory."""

    def test_table_matches_the_golden_run(self) -> None:
        """The accelerate columns are tests/golden/plan/accelerate_estimate.json, in GB."""
        golden = json.loads(
            (HF.parent.parent / "golden" / "plan" / "accelerate_estimate.json").read_text()
        )
        assert golden["accelerate"] == "1.16.0"
        doc = (Path(__file__).parent.parent / "docs" / "inference-memory.md").read_text()
        section = doc[doc.index("## 6. accelerate") :]
        assert "accelerate 1.16.0" in section
        for name, sizes in golden["models"].items():
            row = next(line for line in section.splitlines() if line.startswith(f"| {name} |"))
            cells = [cell.strip() for cell in row.split("|")[2:4]]
            for cell, key in zip(cells, ("float16", "int4"), strict=True):
                gb = sizes[key] / 1e9
                assert cell.split()[0] == (f"{gb:.1f}" if gb >= 100 else f"{gb:.2f}"), (name, key)


class TestHostileJSON:
    """Items 15 and 18: hostile JSON fails when it is read, in one line."""

    def test_integer_past_4300_digits_in_a_config(self, tmp_path: Path) -> None:
        """A config.json integer of 5,000 digits: a ConfigError giving its length."""
        text = (HF / "llama-2-7b.json").read_text(encoding="utf-8")
        assert '"num_hidden_layers": 32' in text
        path = tmp_path / "config.json"
        path.write_text(
            text.replace('"num_hidden_layers": 32', '"num_hidden_layers": ' + "9" * 5000)
        )
        with within(2.0), pytest.raises(ConfigError, match="an integer of 5,000 digits"):
            pc.from_hf_config(path)
        assert "an integer of 5,000 digits" in one_line_error([str(path)])

    def test_integer_past_4300_digits_in_a_report(self, tmp_path: Path) -> None:
        """A report integer of 5,000 digits: the same one line."""
        text = pc.Linear(4, 4).report((4,)).to_json()
        path = tmp_path / "report.json"
        path.write_text(text.replace('"in_features": 4', '"in_features": ' + "9" * 5000))
        assert "an integer of 5,000 digits" in one_line_error([str(path)])

    @staticmethod
    def _gpt2_with(key: str, value: object) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(pc.zoo.gpt2().report().to_json())
        row = next(row for row in data["rows"] if row["spec"]["type"] == "GPT2Attention")
        row["spec"]["args"][key] = value
        return data

    @pytest.mark.parametrize("value", ["x", {"$layer": {"type": "Nope"}}, None, [1, 2], True])
    def test_stored_block_fields_have_their_types(self, value: object) -> None:
        """A stored block's ``num_heads`` of "x" (a layer, None, …) fails in from_dict."""
        with within(2.0), pytest.raises(ConfigError, match="the stored `num_heads` must be int"):
            pc.from_dict(self._gpt2_with("num_heads", value))

    def test_hostile_field_rendered_as_json(self, tmp_path: Path) -> None:
        """The CLI with ``-f json`` reports the same one line, never an internal error."""
        path = tmp_path / "report.json"
        path.write_text(json.dumps(self._gpt2_with("head_dim", {"$layer": {"type": "Nope"}})))
        assert "the stored `head_dim` must be int" in one_line_error([str(path), "-f", "json"])

    def test_input_shape_that_does_not_fit(self) -> None:
        """``"input_shape": []`` for a Linear fails in from_dict, naming the report's shape."""
        data = json.loads(pc.Linear(4, 4).report((4,)).to_json())
        data["input_shape"] = []
        with pytest.raises(ConfigError, match=r"the report's `input_shape` \(\) does not fit"):
            pc.from_dict(data)
        data["input_shape"] = "x"
        with pytest.raises(ConfigError, match="`input_shape` must be a tuple of ints"):
            pc.from_dict(data)

    def test_output_shape_that_disagrees(self) -> None:
        """A stored output shape the network does not give is refused; batch_size is an int."""
        data = json.loads(pc.Linear(4, 4).report((4,)).to_json())
        data["output_shape"] = [5]
        with pytest.raises(ConfigError, match="is not what its network gives"):
            pc.from_dict(data)
        data["output_shape"], data["batch_size"] = [4], True
        with pytest.raises(ConfigError, match="`batch_size` must be an int"):
            pc.from_dict(data)


class TestFitMemory:
    """Item 19: ``fit``'s ``memory`` is an int of bytes; anything else is named and refused."""

    @pytest.mark.parametrize("memory", ["4k", "24GiB", [4], float("nan"), True, 1.5])
    def test_wrong_types(self, memory: object) -> None:
        """A string, list, NaN, bool or float is a ConfigTypeError naming `memory`."""
        net = pc.from_hf_config(HF / "qwen2-0.5b.json")
        with pytest.raises(ConfigTypeError, match="fit: `memory` must be an int, in bytes"):
            fit(net, 16, memory=memory)  # type: ignore[arg-type]

    @pytest.mark.parametrize("memory", [0, -1])
    def test_no_bytes(self, memory: int) -> None:
        """Zero or negative bytes are refused."""
        net = pc.from_hf_config(HF / "qwen2-0.5b.json")
        with pytest.raises(ConfigError, match="`memory` must be at least 1"):
            fit(net, 16, memory=memory)


class TestShortMessages:
    """Item 21: a message echoes hostile input shortened, never whole."""

    BIG = "x" * 3_000_000

    @pytest.mark.parametrize(
        ("key", "value", "words"),
        [
            ("model_type", BIG, "unsupported model_type"),
            ("layer_types", [BIG] * 32, "`layer_types` must list"),
            ("architectures", [BIG], "`architectures[0]`"),
        ],
    )
    def test_config_errors(self, key: str, value: object, words: str) -> None:
        """A 3 MB model_type (layer_types, architectures[0]): an error under 1,000 characters."""
        config = {**json.loads((HF / "llama-2-7b.json").read_text()), key: value}
        with within(2.0), pytest.raises(ConfigError, match=re.escape(words)) as caught:
            pc.from_hf_config(config)
        assert len(str(caught.value)) < 1_000

    def test_unknown_keys_warning(self) -> None:
        """Two million unknown keys: ten named, the rest counted."""
        config = json.loads((HF / "llama-2-7b.json").read_text())
        config.update({f"k{i}": 1 for i in range(2_000_000)})
        with within(10.0), pytest.warns(ParamcalcWarning) as caught:
            pc.from_hf_config(config)
        message = str(caught[0].message)
        assert "k0, k1, k2, k3, k4, k5, k6, k7, k8, k9 and 1,999,990 more" in message
        assert len(message) < 300

    def test_cli_lines_are_short(self, tmp_path: Path) -> None:
        """On the command line too: one error line, shortened."""
        path = tmp_path / "config.json"
        config = {**json.loads((HF / "llama-2-7b.json").read_text()), "model_type": self.BIG}
        path.write_text(json.dumps(config), encoding="utf-8")
        assert len(one_line_error([str(path)])) < 1_000
