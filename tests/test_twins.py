"""Dynamic twins of articles (scraper.twins): a script rendering, from the id in its query, the
article a site also publishes at a static path carrying that id."""
from __future__ import annotations

from scraper.twins import IdTwins, TwinRule

STATIC = "http://a.cn/a/news/2023/0213/{}.html"
VIEW = "http://a.cn/plus/view.php?aid={}"


def test_two_articles_agreeing_teach_a_rule_and_a_twin_is_then_the_article_seen():
    twins = IdTwins()
    assert twins.learn(VIEW.format(5053), STATIC.format(5053)) == []        # one could be a coincidence
    assert not twins.is_twin(VIEW.format(5044))
    assert twins.learn(STATIC.format(5044), VIEW.format(5044)) == [TwinRule("a.cn/plus/view.php", ("aid",), "aid", 0)]
    twins.note(STATIC.format(5001))
    assert twins.twin(VIEW.format(5001)) == STATIC.format(5001)
    assert twins.is_twin(VIEW.format(5002)) and twins.twin(VIEW.format(5002)) is None   # its article not seen yet
    # the script with other parameters is another page: a later part, a print view
    assert not twins.is_twin(VIEW.format(5001) + "&pageno=2") and not twins.is_twin(VIEW.format(5001) + "&print=1")


def test_the_id_may_be_the_number_before_the_last_and_rules_survive_as_pattern_keys():
    """PHPCMS: index.php?m=content&c=index&a=show&catid=10&id=123 is /html/show-10-123-1.html."""
    twins = IdTwins()
    for n in (123, 124):
        learned = twins.learn(f"http://a.cn/index.php?m=content&c=index&a=show&catid=10&id={n}",
                              f"http://a.cn/html/show-10-{n}-1.html")
    assert learned == [TwinRule("a.cn/index.php", ("a", "c", "catid", "id", "m"), "id", 1)]
    assert TwinRule.parse(learned[0].pattern()) == learned[0]
    assert TwinRule.parse("{idle-param}sid") is None and TwinRule.parse("a.cn/plus/view.php?aid") is None


def test_a_url_with_an_id_is_doubtful_on_a_site_of_static_articles_until_its_script_shows_its_own():
    twins = IdTwins()
    assert not twins.doubtful(VIEW.format(5001))          # no static article seen: a site of scripts
    twins.note(STATIC.format(5001))
    assert twins.doubtful(VIEW.format(7)) and not twins.doubtful("http://a.cn/plus/search.php?keyword=x")
    twins.refute(VIEW.format(7))                          # it held an article stored nowhere else
    assert not twins.doubtful(VIEW.format(8))
