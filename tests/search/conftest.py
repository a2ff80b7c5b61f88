"""A small published catalogue for the search tests, built through the catalogue's domain functions."""

from types import SimpleNamespace

import pytest

from tests.catalog.factories import Curation
from tests.search.factories import PoliceCuration
from zhengwu.catalog.domain.versions import version_approve, version_submit, version_update


@pytest.fixture
def publish(django_capture_on_commit_callbacks):
    """Publish an item (draft → review → approve) and run the after-commit signals, as in production."""

    def _publish(curation: Curation, basic_code: str, *, materials: list[str] | None = None, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            version = curation.draft(basic_code, **fields)
            if materials is not None:
                version = version_update(
                    actor=curation.editor, version=version, fields={}, materials=[{"name": m} for m in materials]
                )
            version = version_submit(actor=curation.editor, version=version)
            return version_approve(actor=curation.reviewer, version=version)

    return _publish


@pytest.fixture
def catalogue(publish):
    market, police = Curation(), PoliceCuration()  # 区市场监督管理局, 区公安分局
    c = SimpleNamespace(market=market, police=police)
    c.passport = publish(
        police,
        "000101001000",
        name="普通护照签发",
        acceptance_conditions="中国公民因前往外国定居、探亲、学习、就业、旅行等非公务原因出国的，可以申请普通护照。",
        materials=["居民身份证", "近期免冠证件照片"],
        result_name="普通护照",
        legal_basis="《中华人民共和国护照法》第五条",
    )
    c.hk_permit = publish(
        police,
        "000101002000",
        name="往来港澳通行证签发",
        acceptance_conditions="内地居民因私前往香港或者澳门的，可以申请往来港澳通行证。",
        materials=["居民身份证", "近期免冠护照片"],  # jieba: 护/照片
        result_name="往来港澳通行证",
        legal_basis="《中国公民因私事往来香港地区或者澳门地区的暂行管理办法》",
    )
    c.fund_withdrawal = publish(
        market,
        "000201001000",
        name="住房公积金提取",
        acceptance_conditions="职工购买、建造、翻建、大修自住住房的，可以提取本人住房公积金账户内的存储余额。",
        materials=["居民身份证", "购房合同", "住房公积金提取申请表"],
        result_name="提取审批结果通知",
        legal_basis="《住房公积金管理条例》第二十四条",
    )
    c.fund_base = publish(
        market,
        "000201002000",
        name="单位缴存基数调整",
        acceptance_conditions="单位和职工缴存公积金额度按职工上一年度月平均工资的规定比例计算。",
        materials=["缴存基数调整表"],
        result_name="缴存基数核定通知",
        legal_basis="《缴存基数管理规定》第三条",
    )
    c.subsistence = publish(
        market,
        "000301001000",
        name="最低生活保障审批",
        acceptance_conditions="共同生活的家庭成员人均收入低于当地最低生活保障标准，且家庭财产状况符合规定的，可以申请。",
        materials=["户口簿", "居民身份证", "家庭收入情况声明"],
        result_name="最低生活保障金领取证",
        legal_basis="《社会救助暂行办法》第九条",
    )
    c.near_poor = publish(
        market,
        "000301002000",
        name="低保边缘家庭认定",
        acceptance_conditions="家庭人均收入高于当地低保标准、但不超过低保标准1.5倍的，可以申请认定。",
        materials=["户口簿", "家庭收入情况声明"],
        result_name="低保边缘家庭认定结果",
        legal_basis="《社会救助暂行办法》",
    )
    c.pension = publish(
        market,
        "000401001000",
        name="城乡居民养老保险参保登记",
        acceptance_conditions="年满16周岁的城乡居民可以参保；困难群体可按规定降低保费缴纳档次。",
        materials=["居民身份证", "户口簿"],
        result_name="参保登记凭证",
        legal_basis="《中华人民共和国社会保险法》第二十条",
    )
    c.sole_trader = publish(
        market,
        "000501001000",
        name="个体工商户设立登记",
        acceptance_conditions="有经营能力的自然人可以申请登记为个体工商户，领取营业执照。",
        materials=["个体工商户登记申请书", "经营者身份证明"],
        result_name="营业执照",
        legal_basis="《促进个体工商户发展条例》",
    )
    c.licence_replace = publish(
        market,
        "000501002000",
        name="营业执照遗失补领",
        acceptance_conditions="营业执照遗失或者损毁的，可以申请补领。",
        materials=["补领申请书"],
        result_name="营业执照",
        legal_basis="《中华人民共和国市场主体登记管理条例》",
    )
    c.food = publish(
        market,
        "000601001000",
        name="食品经营许可证核发",
        materials=["食品经营许可申请书", "营业执照"],
    )
    c.publishing = publish(
        market,
        "000701001000",
        name="出版物经营单位设立许可",
        acceptance_conditions="从事出版物零售业务的单位和个体工商户，应当申请许可。",
        materials=["设立申请书"],
        result_name="出版物经营许可证",
        legal_basis="《出版管理条例》第三十七条",
    )
    return c
