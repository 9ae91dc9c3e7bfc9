"""Labelled metadata values: stop at the next label or widget, empty labels give nothing."""
from __future__ import annotations

import pytest

from scraper.extract.fields import byline_author, label_values, unlabelled_values


def first(text: str, field: str) -> str | None:
    return next((v for v in label_values(text).get(field, ()) if v), None)


def test_vsb_header_line():
    line = "发布时间:2019-11-01 作者:刘阳 来源: 【字号:大 中 小】"
    assert first(line, "published_at") == "2019-11-01"
    assert first(line, "author") == "刘阳"
    assert first(line, "source") is None
    assert label_values(line)["source"] == [""]


@pytest.mark.parametrize("line,field,value", [
    ("来源：当代商报 时间：2019-09-23 14:34:05 作者：", "source", "当代商报"),
    ("来源：当代商报 时间：2019-09-23 14:34:05 作者：", "author", None),
    ("2020-11-23 10:22:14 出处：快科技 作者：宪瑞", "source", "快科技"),
    ("责任编辑：宪瑞 人气： 5380 次", "editor", "宪瑞"),
    ("2019-09-07 13:43:45 来源: 证券市场红周刊 举报", "source", "证券市场红周刊"),
    ("医技药剂党支部、药剂科供稿 摄影/张艳 编辑/苏芳", "editor", "苏芳"),
    ("【责任编辑：汤诗瑶、丁涛】", "editor", "汤诗瑶 丁涛"),
    ("发表于2014-08-24 21:30| 1164次阅读| 来源CSDN| 0 条评论| 作者魏星", "source", "CSDN"),
    ("发表于2014-08-24 21:30| 1164次阅读| 来源CSDN| 0 条评论| 作者魏星", "published_at", "2014-08-24T21:30:00+08:00"),
    ("采写：南都见习记者 林子沛", "author", "林子沛"),
    ("作者：佚名 来源：本站", "author", None),
    ("新京报记者 刘名洋 编辑 陈思 校对 刘军", "author", "刘名洋"),
    ("新京报记者 刘名洋 编辑 陈思 校对 刘军", "editor", "陈思"),
    ("审核：王强", "editor", None),
    ("文|李华", "author", "李华"),
    ("发布时间:2019-10-29 作者:孙莉 来源:图书馆 【字号:大 中 小】", "source", "图书馆"),
    ("作者：本报评论员", "author", "本报评论员"),
    ("作者丨张伟 来源丨新华社", "author", "张伟"),
    ("更新时间：2020-01-02 发布时间：2019-12-31 08:00", "published_at", "2019-12-31T08:00:00+08:00"),
    ("更新时间：2020-01-02 发布时间：2019-12-31 08:00", "updated_at", "2020-01-02"),
    ("作者丨张伟 来源丨新华社", "source", "新华社"),
    ("信息来源于网络上的公开报道", "source", None),
    ("第一时间赶到现场", "published_at", None),
    ("2024-11-08 09:15:42 来源：某某日报 评论：0 点击：", "source", "某某日报"),
    ("来源：江阴发布 IP属地：江苏", "source", "江阴发布"),
    ("供稿单位：学生处 撰稿：王丽 摄影：李强 编辑：赵敏", "source", "学生处"),
    ("文字：王丽 图片：李强", "author", "王丽"),
    ("文/王丽 图/李强", "author", "王丽"),
    ("记者：王丽 通讯员：李强", "author", "王丽"),
    ("（编辑 王丽 审核 李强）", "editor", "王丽"),
    ("作者：骨科 唐敏 审核：党委宣传部", "author", "骨科 唐敏"),
])
def test_label_values(line, field, value):
    assert first(line, field) == value


@pytest.mark.parametrize("text,author", [
    ("新华社巴黎12月9日电（记者唐霁）法国9日再次爆发全国跨行业大罢工", "唐霁"),
    ("新京报快讯（记者 裴剑飞）今日有网友爆料", "裴剑飞"),
    ("澎湃新闻记者 段彦超 廖艳", "段彦超 廖艳"),
    ("苹果天猫旗舰店可以12期花呗分期免息。(李楠)", "李楠"),
    ("（文/图 刘玺东 易赛楠）", "刘玺东 易赛楠"),
    ("投资结构趋稳趋优。（德清县发改局）", None),
    ("自2007年起已修建400多座运动场。（BBC）", None),
    ("记者了解到，涉事项目已经整改完毕。", None),
    ("全文完。（综合）", None),
    ("记者节快乐", None),
    ("（上官婉儿）", "上官婉儿"),
])
def test_byline_author(text, author):
    assert byline_author(text) == author


@pytest.mark.parametrize("line,expected", [
    ("2019-09-26 10:56:28 证券时报网", {"source": "证券时报网"}),
    ("2019-09-05 11:10 游民星空[整理] 1", {"source": "游民星空"}),
    ("2020-06-05 20:35 叨叨姐 胡一刀 李小飞刀", {}),
    ("2021年10月7日 星期四", {}),
    ("2019-11-01 来源：新华网", {}),
    ("2019-11-01 10:00 北京", {}),
    ("2019-11-01 10:00 朝阳区", {}),
    ("原创 南方都市报 2019-09-09 16:01:46", {"source": "南方都市报"}),
    ("金融市场 2019-09-23 07:48", {}),
    ("石佳/中国青年报", {"author": "石佳", "source": "中国青年报"}),
    ("2024年11月05日 10:22 某某日报 记者 王丽", {"source": "某某日报"}),
    ("来源：某某日报 2024-11-05", {}),
    ("首页/新闻中心", {}),
])
def test_unlabelled_values(line, expected):
    assert unlabelled_values(line) == expected
