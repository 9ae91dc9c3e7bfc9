"""`is_chinese` stops counting early; it must say what the full `cjk_share` says, at the
threshold too."""
from __future__ import annotations

import random

from scraper.extract.foreign import CHINESE_SHARE, cjk_share, is_chinese


def test_early_decision_agrees_with_the_full_share():
    rnd = random.Random(8)
    alphabet = "中文汉字abcXYZαжд 1,."
    texts = ["", "123", "a", "中", "中aaaa", "中aaaaa", "中中aaaaaaaa", "中中aaaaaaaaa", "中" * 5000 + "a" * 5000]
    texts += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 40))) for _ in range(3000)]
    for text in texts:
        assert is_chinese(text) == (cjk_share(text) >= CHINESE_SHARE), text
