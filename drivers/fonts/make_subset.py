"""Rebuild the Chinese font subsets shipped in this folder (run by hand; not at run time).

Source: Noto Sans CJK SC (SIL Open Font License 1.1), face 2 of Debian's fonts-noto-cjk TTCs.
Kept: every GB2312 hanzi (6,763, the characters of everyday Chinese, hall and service names
included), ASCII, Latin-1, general and CJK punctuation, full-width forms and a few symbols used
on tickets and screens. Usage:

    python drivers/fonts/make_subset.py /usr/share/fonts/opentype/noto
"""

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

HERE = Path(__file__).parent
SC_FACE = 2  # in the Noto CJK collections: 0 JP, 1 KR, 2 SC, 3 TC, 4 HK


def gb2312_hanzi() -> set[int]:
    out = set()
    for hi in range(0xB0, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                out.add(ord(bytes([hi, lo]).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    return out


def wanted() -> set[int]:
    cps = gb2312_hanzi()
    for a, b in [
        (0x20, 0x7E),
        (0xA0, 0xFF),
        (0x2000, 0x206F),
        (0x2100, 0x214F),
        (0x2190, 0x21FF),
        (0x2460, 0x24FF),
        (0x25A0, 0x25FF),
        (0x2600, 0x26FF),
        (0x2700, 0x27BF),
        (0x3000, 0x303F),
        (0xFF00, 0xFFEF),
    ]:
        cps.update(range(a, b + 1))
    return cps


def main(source_dir: str) -> None:
    for weight in ("Regular", "Bold"):
        font = TTCollection(str(Path(source_dir) / f"NotoSansCJK-{weight}.ttc")).fonts[SC_FACE]
        options = subset.Options()
        options.layout_features = ["*"]
        options.name_IDs = ["*"]
        options.notdef_outline = True
        sub = subset.Subsetter(options)
        sub.populate(unicodes=wanted())
        sub.subset(font)
        out = HERE / f"NotoSansSC-{weight}-subset.otf"
        font.save(str(out))
        print(out.name, out.stat().st_size // 1024, "KiB")
    write_coverage(sorted(font.getBestCmap()))


def write_coverage(codepoints: list[int]) -> None:
    """Ranges of the characters the fonts draw, so programs can check text without fontTools."""
    ranges, start, prev = [], codepoints[0], codepoints[0]
    for cp in codepoints[1:] + [-1]:
        if cp != prev + 1:
            ranges.append(f"{start:X}-{prev:X}" if start != prev else f"{start:X}")
            start = cp
        prev = cp
    (HERE / "coverage.txt").write_text("\n".join(ranges) + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/fonts/opentype/noto")
