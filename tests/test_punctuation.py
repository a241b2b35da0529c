"""Chinese text uses Chinese punctuation: no ASCII , ; : ? ! ( ) . " beside a Chinese character
in any Chinese string of the questionnaires (items, levels, flags, suggestions, quotations), the
message catalogs or the report templates. The verbatim source passages are exempt: they are
kept exactly as the sources print them, for tracing, and never shown."""

import re
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po

from app.assessment.questionnaire import QUESTIONNAIRE_DIR

ROOT = Path(__file__).resolve().parent.parent
CJK = "\u3400-\u9fff\uf900-\ufaff"
ASCII_BESIDE_CHINESE = re.compile(f'[{CJK}][,;:?!().\\"]|[,;:?!()\\"][{CJK}]')


def strings(node, path=""):
    """Every string in a YAML document with its path, except the verbatim source passages."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key != "passage":
                yield from strings(value, f"{path}.{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from strings(value, f"{path}[{n}]")
    elif isinstance(node, str):
        yield path, node


def yaml_strings(path: Path):
    return [(f"{path.name}{where}", text) for where, text in strings(yaml.safe_load(path.read_text(encoding="utf-8")))]


def catalog_strings(lang: str):
    with (ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=lang)
    for message in catalog:
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in texts:
            if text:
                yield f"{lang} catalog: {message.id!r}", text


def files_strings(folder: Path):
    return [s for path in sorted(folder.glob("*.yaml")) for s in yaml_strings(path)]


SOURCES = {
    "questionnaires": lambda: files_strings(QUESTIONNAIRE_DIR),
    "catalogs": lambda: [*catalog_strings("zh"), *catalog_strings("en")],
    "report templates": lambda: files_strings(ROOT / "report_templates"),
}


@pytest.mark.parametrize("source", SOURCES)
def test_chinese_strings_use_chinese_punctuation(source):
    found = SOURCES[source]()
    assert found, f"no strings read from the {source}"
    wrong = [f"{where}: {text}" for where, text in found if ASCII_BESIDE_CHINESE.search(text)]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("书记讲课的方式", True),
        ("本年度出勤率低于70%，请核实。", True),
        ("L09 ×1、“1+X”学习模式", True),
        ("情况如何?", False),
        ("体系:把学习", False),
        ("议程,健全", False),
        ("(时间、专题)", False),
        ("请核实.", False),
    ],
)
def test_the_check_itself(text, ok):
    assert (ASCII_BESIDE_CHINESE.search(text) is None) == ok
