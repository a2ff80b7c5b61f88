"""Static content of the demo county 青川区 (invented: no such district exists; code 370799 is unassigned)."""

from dataclasses import dataclass

AREA_CODE = "370799"
DISTRICT_NAME = "青川区"
DISTRICT_CODE = "370799000000"
CENTRE_NAME = "青川区政务服务中心"


@dataclass(frozen=True)
class StreetSpec:
    name: str
    code: str  # 12 digits
    is_town: bool
    communities: tuple[str, ...]  # 社区 get codes 001…, 村 get codes 201…
    road: str


STREETS = (
    StreetSpec(
        "城关街道", "370799001000", False, ("文昌社区", "府前社区", "南关社区", "北门社区", "新华社区"), "府前街"
    ),
    StreetSpec(
        "青河街道", "370799002000", False, ("滨河社区", "青河湾社区", "学府社区", "锦绣社区", "望江社区"), "滨河路"
    ),
    StreetSpec(
        "东湖街道", "370799003000", False, ("东湖社区", "湖畔社区", "荷花社区", "金桥社区", "丰泽社区"), "东湖大道"
    ),
    StreetSpec(
        "凤鸣街道", "370799004000", False, ("凤鸣社区", "梧桐社区", "朝阳社区", "和平社区", "康宁社区"), "凤鸣路"
    ),
    StreetSpec("白石镇", "370799100000", True, ("白石社区", "石桥村", "柳湾村", "上庄村", "下河村"), "白石大街"),
    StreetSpec(
        "柳林镇", "370799101000", True, ("柳林社区", "杏花村", "马家庄村", "王家沟村", "李家洼村", "南岭村"), "柳林街"
    ),
)


@dataclass(frozen=True)
class DepartmentSpec:
    name: str
    short_name: str
    code: str
    sections: tuple[str, ...]
    head_title: str = "局长"
    deputy_title: str = "副局长"
    is_supervision_office: bool = False
    supervisor_sections: tuple[str, ...] = ()  # staff of these sections get the supervisor role
    street: str = ""  # a street office: the street it governs


DEPARTMENTS = (
    DepartmentSpec("区发展和改革局", "区发改局", "FGJ", ("投资科", "价格和收费管理科", "能源科")),
    DepartmentSpec("区教育局", "区教育局", "JYJ", ("基础教育科", "学生资助管理科", "民办教育管理科")),
    DepartmentSpec("区公安分局", "区公安分局", "GAFJ", ("户政管理大队", "出入境管理大队", "治安管理大队")),
    DepartmentSpec("区民政局", "区民政局", "MZJ", ("社会救助科", "养老服务科", "婚姻登记处")),
    DepartmentSpec("区司法局", "区司法局", "SFJ", ("行政执法协调监督科", "公共法律服务科")),
    DepartmentSpec("区财政局", "区财政局", "CZJ", ("预算科", "国库科", "政府采购监督管理科")),
    DepartmentSpec(
        "区人力资源和社会保障局", "区人社局", "RSJ", ("就业促进科", "社会保险科", "劳动关系科", "人才开发科")
    ),
    DepartmentSpec("区自然资源局", "区自然资源局", "ZRZYJ", ("国土空间规划科", "不动产登记中心", "耕地保护科")),
    DepartmentSpec("区住房和城乡建设局", "区住建局", "ZJJ", ("建筑市场监管科", "房地产市场监管科", "村镇建设科")),
    DepartmentSpec("区交通运输局", "区交通局", "JTJ", ("运输管理科", "公路建设科")),
    DepartmentSpec("区农业农村局", "区农业农村局", "NYJ", ("种植业管理科", "畜牧兽医科", "农村经营管理科")),
    DepartmentSpec("区商务局", "区商务局", "SWJ", ("对外贸易科", "市场运行科")),
    DepartmentSpec("区文化和旅游局", "区文旅局", "WLJ", ("文化市场管理科", "旅游发展科")),
    DepartmentSpec(
        "区卫生健康委员会",
        "区卫健委",
        "WJW",
        ("医政医管科", "公共卫生科", "人口监测与家庭发展科"),
        head_title="主任",
        deputy_title="副主任",
    ),
    DepartmentSpec("区退役军人事务局", "区退役军人局", "TYJ", ("优抚安置科", "权益维护科")),
    DepartmentSpec("区应急管理局", "区应急局", "YJJ", ("安全生产综合监管科", "危险化学品安全监督管理科", "防汛抗旱科")),
    DepartmentSpec(
        "区市场监督管理局", "区市场监管局", "SCJG", ("登记注册科", "食品安全监管科", "信用监督管理科", "质量发展科")
    ),
    DepartmentSpec("区医疗保障局", "区医保局", "YBJ", ("待遇保障科", "医药服务管理科")),
    DepartmentSpec("区行政审批服务局", "区审批局", "SPJ", ("社会事务审批科", "投资建设审批科", "市场准入审批科")),
    DepartmentSpec(
        "区政务服务管理局",
        "区政务服务局",
        "ZWFW",
        ("窗口管理科", "监督考核科", "政务公开科", "数据与信息化科"),
        supervisor_sections=("监督考核科",),
    ),
    DepartmentSpec(
        "区纪委监委",
        "区纪委监委",
        "JWJW",
        ("党风政风监督室", "第一监督检查室", "案件审理室"),
        head_title="书记",
        deputy_title="副书记",
        is_supervision_office=True,
        supervisor_sections=("党风政风监督室", "第一监督检查室", "案件审理室"),
    ),
    *(
        DepartmentSpec(
            f"{DISTRICT_NAME}{s.name}{'人民政府' if s.is_town else '办事处'}",
            s.name,
            f"JD{i:02d}",
            ("党政综合办公室", "社会事务办公室", "便民服务中心"),
            head_title="镇长" if s.is_town else "主任",
            deputy_title="副镇长" if s.is_town else "副主任",
            street=s.name,
        )
        for i, s in enumerate(STREETS, start=1)
    ),
)

HANDLER_HOLDERS = 2  # staff per ordinary 承办人 post


@dataclass(frozen=True)
class WindowSpec:
    number: str
    name: str
    kind: str
    departments: tuple[str, ...] = ()  # department codes
    clerk_section: tuple[str, str] | None = None  # (department code, section) of a seconded clerk


CENTRE_WINDOWS = (
    WindowSpec("01", "综合受理窗口（企业开办）", "general_intake", ("SCJG", "GAFJ", "RSJ", "YBJ")),
    WindowSpec("02", "综合受理窗口（工程建设项目）", "general_intake", ("FGJ", "ZRZYJ", "ZJJ", "JTJ", "SPJ")),
    WindowSpec("03", "综合受理窗口（社会事务）", "general_intake", ("MZJ", "RSJ", "WJW", "TYJ", "JYJ")),
    WindowSpec("04", "登记验证窗口", "registration"),
    WindowSpec("05", "公安户政窗口", "department", ("GAFJ",), ("GAFJ", "户政管理大队")),
    WindowSpec("06", "不动产登记窗口", "department", ("ZRZYJ",), ("ZRZYJ", "不动产登记中心")),
    WindowSpec("07", "人力资源和社会保障窗口", "department", ("RSJ",), ("RSJ", "社会保险科")),
    WindowSpec("08", "医疗保障窗口", "department", ("YBJ",), ("YBJ", "待遇保障科")),
    WindowSpec("09", "市场监管窗口", "department", ("SCJG",), ("SCJG", "登记注册科")),
    WindowSpec("10", "行政审批服务窗口", "department", ("SPJ",), ("SPJ", "市场准入审批科")),
    WindowSpec("11", "住房和城乡建设窗口", "department", ("ZJJ",), ("ZJJ", "建筑市场监管科")),
    WindowSpec("12", "综合受理窗口（农业文旅商务）", "general_intake", ("NYJ", "WLJ", "SWJ")),
    WindowSpec("13", "统一收费窗口", "fee"),
    WindowSpec("14", "统一出件窗口", "pickup"),
    WindowSpec("15", "咨询导办台", "consultation"),
)
STREET_WINDOW_DEPARTMENTS = ("MZJ", "RSJ", "YBJ", "TYJ", "WJW")
COMMUNITY_WINDOW_DEPARTMENTS = ("MZJ", "RSJ", "YBJ")
OPENING_HOURS = "周一至周五 9:00—12:00，13:30—17:30（法定节假日除外）"


@dataclass(frozen=True)
class Featured:
    """Well-known demo accounts: readable usernames for the holder of a chosen post or window."""

    username: str
    description: str
    department: str = ""  # code
    section: str = ""
    rank: int = 0  # PositionRank value; a 分管领导 is the one in charge of `section`
    window: str = ""  # "hall name#window number", for window staff


FEATURED_STAFF = (
    Featured("chuangkou", "窗口人员（政务服务中心 01 综合受理窗口）", window=f"{CENTRE_NAME}#01"),
    Featured("shoufei", "收费人员（政务服务中心 13 统一收费窗口）", window=f"{CENTRE_NAME}#13"),
    Featured("daiban", "便民服务站代办员（城关街道便民服务中心）", window="城关街道便民服务中心#01"),
    Featured("chengban", "承办人（区市场监督管理局登记注册科）", "SCJG", "登记注册科", 10),
    Featured("kezhang", "科长（区市场监督管理局登记注册科）", "SCJG", "登记注册科", 20),
    Featured("fenguan", "分管领导（区市场监督管理局分管登记注册科的副局长）", "SCJG", "登记注册科", 30),
    Featured("juzhang", "单位负责人（区市场监督管理局局长）", "SCJG", "", 40),
    Featured("jiancha", "监察人员（区纪委监委党风政风监督室）", "JWJW", "党风政风监督室", 10),
)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖"
    "贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
MALE_GIVEN = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欣博文建国志海峰成东亮栋瑞晨阳"
FEMALE_GIVEN = "芳娜敏静丽艳娟霞燕玲桂红梅琳雪慧颖洁婷倩晶莹璐佳悦欣怡彤萱妍瑶岚月春秀兰英凤丹蕾薇琴"

BRAND_NAMES = (
    "绿源",
    "恒信",
    "鑫达",
    "宏远",
    "华泰",
    "瑞丰",
    "嘉禾",
    "金穗",
    "永盛",
    "德润",
    "青禾",
    "川泽",
    "鼎盛",
    "通达",
    "汇丰",
    "立信",
    "百川",
    "万和",
    "博远",
    "晟华",
    "泰和",
    "盛世",
    "天成",
    "安泰",
    "星辰",
    "弘毅",
    "润泽",
    "禾丰",
    "东方",
    "新源",
    "众合",
    "信达",
    "隆昌",
    "锦程",
    "合力",
    "长青",
    "富民",
    "卓越",
    "凯旋",
    "明德",
)
INDUSTRIES = (
    "农业科技",
    "建筑工程",
    "商贸",
    "食品",
    "物流",
    "机械制造",
    "餐饮管理",
    "信息技术",
    "新材料",
    "医药",
    "纺织",
    "家具",
    "文化传媒",
    "旅游开发",
    "汽车服务",
    "环保科技",
    "电子科技",
    "房地产开发",
    "物业服务",
    "教育咨询",
)
COMPANY_FORMS = ("有限公司", "有限公司", "有限公司", "有限责任公司", "股份有限公司")
ROADS = ("人民路", "建设路", "工业园路", "文化路", "兴业路", "振兴路")  # besides the street's own main road

CITIZEN_COUNT = 300
ENTERPRISE_COUNT = 100
# The first citizen and enterprise are fixed so their logins can be printed and documented.
FEATURED_CITIZEN = ("张晓明", "13953600001")
FEATURED_ENTERPRISE = "青川区绿源农业科技有限公司"
