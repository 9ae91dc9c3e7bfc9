"""Extraction rules as data: labels, markers and tag classes, tried in order.

Adding a CMS should mean adding rows here, not code (the way trafilatura keeps its xpaths apart
from the code that applies them). Every pattern here recurs across sites; none names one page.
"""
from __future__ import annotations

import re

from .. import linkwords
from ..linkwords import caseless_alternatives, label_pattern

# ---------------------------------------------------------------- tags
# (`title` too: browser-saved pages and broken markup leave the <title> element in the body,
# where it is no more shown than in the head)
SKIP_TAGS = frozenset(
    "script style noscript iframe select option textarea button svg canvas template head title "
    "object embed input math video audio map".split()
)
BLOCK_TAGS = frozenset(
    "p div li ul ol dl dt dd td th tr table tbody thead tfoot h1 h2 h3 h4 h5 h6 section article "
    "main header footer nav aside form center blockquote pre figure figcaption address hr br "
    "body html fieldset legend details summary caption".split()
)
HEADING_TAGS = frozenset("h1 h2 h3 h4 h5 h6".split())
# Containers whose class/id says what they hold (readability's weights, plus CMS-specific words).
# Short tokens must start a word (after '-', '_', a space or a capital), so "photo" is not "hot".
NEGATIVE_HINT = re.compile(
    r"comment|footer|sidebar|related|recommend|relate|breadcrumb|crumb|copyright|banner|advert|"
    r"widget|login|qrcode|pager|pagination|friend|bottom|toolbar|"
    r"(?<![a-z])(?:foot|side|hot|rank|nav|menu|share|ad|ads|tags?|list|links?|top|header|tool)(?![a-z])",
    re.I,
)
# Containers of other articles (recommended, related, hot, "more for you", feeds): a block inside
# one is not the article while a block outside holds prose (a 200-character post above a
# 2,000-character recommendation).
DISTRUST_HINT = re.compile(
    r"recommend|related|relate|tuijian|xiangguan|guess|"
    r"(?<![a-z])(?:hot|more|stream|feed|feeds|recom|rec|like|also)(?![a-z])",
    re.I,
)
POSITIVE_HINT = re.compile(
    r"article|content|detail|zhengwen|neirong|wenzhang|vsb_content|trs_editor|"
    r"(?<![a-z])(?:text|main|body|post|entry|news|story|con|cont|txt|read|zw)(?![a-z])",
    re.I,
)

# ---------------------------------------------------------------- metadata labels
# (label, needs a colon) — short generic labels are only trusted with a colon after them.
DATE_LABELS = (
    ("发布时间", False), ("发布日期", False), ("发表时间", False), ("发表日期", False),
    ("发稿时间", False), ("录入时间", False),
    ("上传时间", False), ("发表于", False), ("发布于", False), ("时间", True), ("日期", True),
)
# When a page was last changed: a publication date only when nothing else is shown.
# A disclosure table's document date (成文日期/发文日期: when it was signed) is one too: the grid
# often shows 发布日期 as well, which is when the page was published.
UPDATE_LABELS = (
    ("更新时间", False), ("更新日期", False), ("更新于", False), ("最后更新", False), ("修改时间", False),
    ("成文日期", False), ("发文日期", False),
)
AUTHOR_LABELS = (
    ("作者", False), ("本文作者", False), ("撰稿人", False), ("撰稿", False), ("撰文", False), ("执笔", False),
    ("记者", False), ("通讯员", False), ("文/图", False), ("文\u3000", False), ("文/", False),
    ("文|", False), ("文｜", False), ("文丨", False), ("文：", False), ("文:", False), ("图文", True),
    ("采写", False), ("供稿人", False), ("发布者", True), ("发布人", True), ("文字", True),
)
SOURCE_LABELS = (
    ("来源", False), ("稿源", False), ("出处", False), ("信息来源", False), ("文章来源", False),
    ("本文来源", False), ("新闻来源", False), ("稿件来源", False), ("来自", True), ("转自", True), ("供稿", True),
    ("供稿单位", False), ("来稿单位", False), ("投稿单位", False),
    # `来源于：某某办事处` (with its colon: without one it is prose) and the closing credit
    # `本文来自某某日报` / `本文转载自…`.
    ("来源于", True), ("信息来源于", True), ("本文来自", False), ("本文来自于", False), ("本文来源于", False),
    ("本文转自", False), ("本文转载自", False),
)
# Credit phrases whose value follows without a colon, even when it starts with a Chinese character
# (`本文来自某某日报`), where a bare label followed by text would be prose (`来源于基层`).
CREDIT_PHRASES = frozenset(("本文来自", "本文来自于", "本文来源于", "本文转自", "本文转载自"))
EDITOR_LABELS = (
    ("责任编辑", False), ("责编", False), ("编辑", True), ("值班编辑", False), ("编 辑", True),
)
DATE_FIELDS = ("published_at", "updated_at")
# A label counts where it starts a line or follows a space, bracket, digit or separator — not
# inside a longer word (作者 in 工作者, 来源 in 素材来源/图片来源, 时间 in 活动时间). These labels
# are the exception: a word naming the outlet or rank is printed right before them (本报记者,
# 新华社记者, 见习记者, 实习编辑, 药剂科供稿).
LABELS_AFTER_WORD = frozenset(("记者", "通讯员", "编辑", "供稿", "摄影"))
# Labels that only end a value (they are not extracted, but a value never runs into them).
OTHER_LABELS = (
    "浏览次数", "浏览量", "点击数", "点击量", "阅读数", "阅读量", "访问量", "字号", "所属分类",
    "分类", "栏目", "点击", "浏览", "阅读", "我要评论", "条评论", "分享", "打印", "关闭", "收藏",
    "收藏本文", "摄影", "字体", "作者单位", "关键词", "关键字", "发布机构", "发布单位", "原标题",
    "审核人", "审核", "终审", "初审", "复审", "主编", "校对", "编审", "监制", "统筹", "策划", "美编",
    "举报", "我有话说", "人气", "纠错", "参与", "次阅读", "人阅读", "手机看", "手机阅读",
    "IP属地", "发布地", "图/", "摄/",
)
# English editions of the same CMS templates print their header with English labels
# (`Source: … Writer: … Editor: … Date: … Clicks:`): trusted with a colon only, and an English
# label inside a word (`DataSource:`) does not count (see fields._inside_word).
ENGLISH_LABELS = {
    "author": (("Author", True), ("Writer", True), ("Reporter", True)),
    "source": (("Source", True),),
    "editor": (("Editor", True),),
}
ENGLISH_OTHER_LABELS = ("Date", "Clicks", "Views", "Hits", "Font size", "Print", "Share", "Keywords")
FIELD_LABELS = {
    "published_at": DATE_LABELS,
    "updated_at": UPDATE_LABELS,
    "author": AUTHOR_LABELS + ENGLISH_LABELS["author"],
    "source": SOURCE_LABELS + ENGLISH_LABELS["source"],
    "editor": EDITOR_LABELS + ENGLISH_LABELS["editor"],
}
# Characters that end a labelled value on the same line (widgets, separators).
VALUE_STOP = "|｜【】[]()（）<>《》\t"
VALUE_STRIP = " :：\u3000·•/|｜-—_,，;；"
# Values that are never a name: widget words, navigation words (an empty `来源：` cell followed by
# the menu's `首页` link) and placeholders.
EMPTY_VALUES = frozenset(
    "未知 佚名 匿名 无 暂无 admin 管理员 null none 网络 网络整理 互联网 小编 关注 已关注 订阅 "
    "原创 转载 投稿 网友投稿 用户投稿 读者投稿 作者投稿 本站 本网 首页 返回 返回首页 打印 关闭 更多 登录 注册".split()
)
# A status word printed before the outlet (`原创：某某网 2024-04-23`, `转载：某某日报`): not part of its name.
SOURCE_STATUS = re.compile(r"^(?:原创|转载|独家|首发)\s*[:：]\s*")
# `来源：综合某某日报、某某晚报`: compiled from the outlets named after it.
SOURCE_COMPILED = re.compile(r"^综合自?\s*")
# What follows a reporter's name without a label: a dateline or credit (李强 某某县报道,
# 王丽发自北京, 张三摄) — the name ends there.
NAME_TAIL = re.compile(r"\s*(?:(?:\S{0,8}?(?:报道|讯|电)|摄影?|拍摄|整理|编译)(?:\s.*)?$|发自)")
# A name run into its affiliation (王丽某某大学法学院教授): the affiliation holds one of these.
AFFILIATION = re.compile(
    r"大学|学院|学校|中学|小学|研究院|研究所|研究中心|医院|公司|集团|协会|学会|委员会|政府|教授|研究员|"
    r"讲师|博士|硕士|主任|院长|校长|书记|局长|律师|医师|专家|工程师|分析师|首席"
)
# The other order, a name after its credentials (`某某中心部长、研究员徐占忱`, `某某特约评论员 韩涵`):
# a title that stands right before a person's name.
ROLE_BEFORE_NAME = re.compile(
    r"(?:教授|研究员|讲师|博士|主任|院长|校长|书记|局长|部长|处长|所长|会长|理事长|董事长|总经理|律师|医师|"
    r"工程师|分析师|专家|评论员|撰稿人|记者|通讯员)\s*([\u4e00-\u9fff]{2,3})$"
)
# Affiliations that open with a place or a national body, after which a two-character name ends.
AFFILIATION_START = re.compile(
    r"中国|中央|中共|国家|全国|国务院|首都|北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|"
    r"福建|江西|山东|河南|湖北|湖南|广东|海南|四川|贵州|云南|陕西|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|"
    r"新疆|香港|澳门|清华|北大|复旦|南京|武汉|华中|华南|华东|华北|西南|西北|东北|中山|厦门"
)
# Elements whose class/id names the field; trusted only inside the header lines.
FIELD_HINTS = {
    "source": re.compile(r"source|media[_-]?name|laiyuan", re.I),
    # blog and self-media platforms print the writer's account name as `nickname`/`nick-name`
    "author": re.compile(r"author|byline|zuozhe|nick[-_]?name", re.I),
    "editor": re.compile(r"editor|bianji", re.I),
}
# Common Chinese surnames: an unlabelled name (a trailing "（张三）", a byline on a line of its
# own) must start with one, so "（综合）" or "（待续）" are never taken for an author.
COMPOUND_SURNAMES = frozenset("欧阳 司马 上官 诸葛 东方 皇甫 令狐 慕容 司徒 夏侯 尉迟 公孙 宇文 长孙 端木 澹台 南宫 西门".split())
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏"
    "吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵"
    "万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝"
    "包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤"
    "阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和"
    "仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝揭封储焦萧巴晋鞠郁钮"
)
# How the names of newspapers, sites and agencies end (an unlabelled word is a source only so).
# (traditional forms too: Hong Kong and Taiwan outlets and reposts of them)
MEDIA_NAME = re.compile(r"(?:报|网|社|台|新闻|日报|晚报|早报|商报|周刊|杂志|客户端|电视台|广播|報|網|臺|新聞|週刊|雜誌|電視台|廣播)$")
# Words that may follow a date on a header line without being a source name.
NOT_SOURCE = re.compile(
    r"^(?:星期|周[一二三四五六日天]|上午|下午|原创|转载|来源|浏览|阅读|评论|分享|收藏|字号|打印|\d)|[省市县区镇乡村]$"
)
FIELD_MAX_LEN = {"author": 30, "source": 30, "editor": 24}

# An e-paper's 版面 header (`2022年02月12日 星期六 第01版：要闻`): the issue date it names is the article's.
EPAPER_PAGE = re.compile(r"第\s*[0-9０-９A-Z]{1,4}\s*版|(?<![A-Za-z])[A-Z]\d{1,2}\s*版|版面|版次|版名")

# ---------------------------------------------------------------- metadata tags
META_DATE_KEYS = (
    "article:published_time", "og:article:published_time", "og:release_date", "pubdate",
    "publishdate", "publish_date", "publish-date", "publishtime", "ptime", "datepublished",
    "dc.date.issued", "dc.date", "dcterms.created", "dcterms.date", "firstpublishedtime",
    "weibo:article:create_at", "publish_time", "pub_date", "pubtime", "releasedate", "release_date",
    "parsely-pub-date", "sailthru.date", "article:published", "createdate", "article:modified_time",
)
# Headline candidates from metadata ("headline" is JSON-LD's), compared with on-page lines.
META_TITLE_KEYS = ("og:title", "twitter:title", "articletitle", "headline", "dc.title")
# Separators between a headline and the site or column names in <title>. Strong ones always
# split; an unspaced hyphen only between words (not 2024-2025, COVID-19).
TITLE_SEPARATORS = re.compile(
    r"\s*(?:_+|\||｜|-{2,}|—{1,2}|–|::|：：|>>|»)\s*|\s+[-·]\s+|-(?![\d\s-])"
)
# Weak separators: they split off a part only when that part names the site (`headline：某某网`,
# `headline·某某汽车`), since headlines use them too (`魏少军：产业结构扭曲`).
TITLE_WEAK_SEPARATORS = re.compile(r"\s*[：:·]\s*|\s+")
# Where a page names its site: meta keys, footer lines, and how short site/column names look.
SITE_META_KEYS = ("og:site_name", "application-name", "apple-mobile-web-app-title", "publisher", "site")
# (Caseless without re.I, searched on every short line: see `linkwords.caseless_alternatives`.)
SITE_FOOTER = re.compile("|".join(caseless_alternatives(
    ("版权所有", "Copyright", "©", "ICP[备证]", "主办[:：单]", "承办[:：单]", "主管[:：单]", "技术支持"))))
SITE_WORD = re.compile(
    r"^.{0,10}(?:网|官网|网站|门户|首页|频道|客户端|新闻中心)$|^(?:www\.)?[a-z0-9.-]+\.(?:cn|com|net|org|gov|edu)(?:\.cn)?$|^[a-z]{2,3}$"
)

# ---------------------------------------------------------------- body markers
# A line starting with one of these ends the article text (when the line is short).
END_MARKERS = re.compile(
    r"^[\s【\[(（]*(?:相关新闻|相关阅读|相关文章|相关链接|相关报道|相关推荐|延伸阅读|推荐阅读|"
    r"热点推荐|热门推荐|精彩推荐|猜你喜欢|更多精彩|今日推荐|为你推荐|往期回顾|热门文章|"
    r"上一篇|上一条|下一篇|下一条|上篇|下篇|返回顶部|我要评论|网友评论|发表评论|热门评论|"
    r"全部评论|评论列表|责任编辑|【责任编辑|分享到|分享至|扫一扫|打印本页|关闭窗口)"
)
# Whole lines dropped wherever they appear in the article container: markers anywhere in the
# line (every alternative starts with a literal, which lets the regex engine skip ahead fast)…
BOILERPLATE_ANY = re.compile(
    r"字号[:：]?\s*[【\[]?\s*大|字体[:：]?\s*[【\[]?\s*大|纠错\s*[\]】]|QQ空间|【\s*大\s*中\s*小\s*】|打印本页|打印此页|关闭窗口|【关闭】|【打印】|"
    r"分享到|分享至|扫一扫|扫描二维码|二维码|微信扫|收藏本页|加入收藏|设为首页|返回顶部|"
    r"ICP[备证]|版权所有|Copyright|©|All [Rr]ights [Rr]eserved|免责声明|违法和不良信息|"
    r"举报电话|网络110|公网安备|编辑\s*[:：]|责编\s*[:：]|审核\s*[:：]|初审\s*[:：]|复审\s*[:：]|终审\s*[:：]|校对\s*[:：]|监制\s*[:：]|美编\s*[:：]|编审\s*[:：]|审校\s*[:：]|校审\s*[:：]|特别声明[:：]|"
    r"点击(?:进入|查看|阅读|收听|播放|下载|看)|下载[^。]{0,10}(?:APP|客户端)|打开[^。]{0,10}(?:APP|客户端)|"
    r"返回\S{0,6}查看更多|阅读全文|展开全文|阅读原文|查看原文|郑重声明|版权声明|转载请注明|"
    r"未经(?:允许|授权)不得转载|关注[^。，]{0,12}公众号|长按[^。，]{0,6}(?:识别|扫描)"
)
# … and markers that open the line.
BOILERPLATE_START = re.compile(
    r"\s*(?:[(（【\[]?\s*(?:本文|文章|信息|新闻|稿件)?(?:来源|稿源|出处)\s*[:：]|分享\s*[:：]?\s*$|[(（【\[]?\s*(?:责任)?编辑(?:\s*[:：]|\s+[\u4e00-\u9fff]{2,4}(?:\s|[)）】\]]|$))|(?:原文链接|原文地址|本文链接|文章链接)[:：]|"
    r"(?:浏览次数|点击数|阅读数|阅读量)[:：]|-?\s*THE END\s*-?\s*$|自动播放|相关(?:资讯|新闻|阅读)请关注|"
    # a video player's controls inside the article (speeds, resolutions, clock, error notices)
    r"(?:倍速|高清|超清|标清|流畅|蓝光|直播|广告|设置成功|循环播放|跳过片头|收起|展开)\s*$|\d(?:\.\d{1,2})?[xX]\s*$|"
    r"\d{1,2}:\d{2}(?:\s*/\s*\d{1,2}:\d{2})?\s*$|播放速度|正在为您切换|(?:很抱歉，)?当前视频播放失败|错误代码[:：]|时长[:：]\d)"
)
# Image captions that credit a photographer are not article text.
PHOTO_CREDIT = re.compile(
    r"(?:摄\s*[)）]?\s*$|摄影\s*[:：/]|供图|(?:图片|照片)由[^。，]{1,20}提供\s*[)）]?\s*$|(?:图片|照片)提供\s*[:：]|图片(?:均)?来[源自]|图源[:：]|图/|截图\s*[)）]?\s*$|视觉中国\s*(?:资料)?\s*[)）]?\s*$)"
)
PUNCTUATION = "，。！？；：、,.!?;"
SENTENCE_END = "。！？!?"

# ---------------------------------------------------------------- links
# 上一篇/下一篇 labels and attachment extensions are shared with discovery (`scraper.linkwords`).
PREV_LABELS = re.compile(r"^\s*[【\[]?\s*" + label_pattern(linkwords.PREV_LABELS), re.I)
NEXT_LABELS = re.compile(r"^\s*[【\[]?\s*" + label_pattern(linkwords.NEXT_LABELS), re.I)
PREV_NEXT_ANY = re.compile(label_pattern(linkwords.PREV_LABELS + linkwords.NEXT_LABELS, caseless=True))   # every line
ATTACHMENT_EXT = linkwords.ATTACHMENT_NAME
CAPTION_START = re.compile(r"^\s*(?:[▲△↑↓▼]|图为|图：|图:|上图|下图|左图|右图|（图|\(图)")
IMAGE_SRC_ATTRS = ("data-src", "data-original", "data-original-src", "data-url", "src")
# Icons and spacers that are not article pictures.
IMAGE_SKIP = re.compile("|".join(caseless_alternatives(
    "icon logo spacer blank pixel loading share qrcode erweima avatar arrow btn button".split())))

# ---------------------------------------------------------------- list pages
PAGINATION = re.compile(r"(?:首页|上一页|下一页|尾页|末页|共\s*\d+\s*页|第\s*\d+\s*页|共\s*\d+\s*条)")
