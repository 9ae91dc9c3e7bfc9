"""Site profiles: a fixture site whose single pages are ambiguous, made right by what its other
pages share (the `<title>` affix, the template prose every page repeats)."""
from __future__ import annotations

from scraper.extract import extract_article, learn_profile, page_traits
from scraper.extract.profile import SiteProfile

_SITE = "计算机与信息工程学院"
_INTRO = ("计算机与信息工程学院现有教职工一百余人，设有计算机科学与技术、软件工程、网络工程等本科专业，"
          "拥有硕士学位授权点两个，学院坚持立德树人，服务地方经济社会发展。")
_HEADLINES = ["召开会议", "举办讲座", "开展评教", "迎新晚会", "毕业答辩"]


def _page(n: int) -> str:
    """A college news page: the headline only in an image-title split by <br>, a short notice,
    and a long intro block that every page of the site repeats."""
    head = _HEADLINES[n]
    text = f"<p>本周学院{head}，全院师生参加，活动取得圆满成功。</p>"
    return (f"<html><head><meta charset='utf-8'><title>{head}_{_SITE}</title></head><body>"
            f"<div class='top'><img src='/img/banner.jpg'></div>"
            f"<table><tr><td class='ti'><b>{head[:2]}<br>{head[2:]}</b></td></tr>"
            f"<tr><td>2024-05-0{n + 1}</td></tr>"
            f"<tr><td><div class='v_news_content'>{text}</div></td></tr></table>"
            f"<div class='intro'><p>{_INTRO}</p><p>{_INTRO}</p></div></body></html>")


def test_single_pages_are_ambiguous_and_the_profile_settles_them():
    pages = [_page(n) for n in range(len(_HEADLINES))]
    alone = extract_article(pages[0], "https://cs.example.edu.cn/info/1.htm")
    assert alone.title.startswith(_SITE) and _INTRO in alone.body   # the site's name and its intro
    profile = learn_profile(page_traits(p) for p in pages)
    assert profile.title_affixes == (_SITE,) and profile.pages == len(pages)
    art = extract_article(pages[0], "https://cs.example.edu.cn/info/1.htm", profile=profile)
    assert art.title == "召开会议"
    assert art.body == "本周学院召开会议，全院师生参加，活动取得圆满成功。"


def test_profile_needs_agreeing_pages_and_survives_json():
    assert learn_profile(page_traits(_page(n)) for n in range(2)) == SiteProfile(pages=2)
    profile = learn_profile(page_traits(_page(n)) for n in range(4))
    assert SiteProfile.from_json(profile.to_json()) == profile
    assert SiteProfile.from_json(None) is None


def test_reextract_learns_each_sites_profile_from_its_stored_pages(tmp_path):
    from scraper.reextract import reextract
    from scraper.store import PageRecord, compress, open_archive
    db = tmp_path / "a.db"
    with open_archive(db) as archive:
        for n in range(len(_HEADLINES)):
            data = _page(n).encode("utf-8")
            archive.save_page(PageRecord(f"https://cs.example.edu.cn/info/{n}.htm", "cs", status=200,
                                         content_type="text/html", encoding="utf-8", size=len(data),
                                         raw=compress(data)))
    reextract(db)
    with open_archive(db, readonly=True) as archive:
        titles = sorted(r[0] for r in archive.query("SELECT title FROM articles").rows)
    assert titles == sorted(_HEADLINES)
