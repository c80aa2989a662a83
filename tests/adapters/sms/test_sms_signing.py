"""The signers reproduce the providers' published examples byte for byte."""

from __future__ import annotations

import hashlib

from mallcore_adapters.sms.signing import (
    aliyun_percent_encode,
    aliyun_signature,
    aliyun_string_to_sign,
    tc3_canonical_request,
    tc3_signature,
    tc3_string_to_sign,
)

# TencentCloud "Signature v3" documentation, DescribeInstances example.
TC3_PAYLOAD = (b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], '
               b'"Name": "instance-name"}]}')
TC3_HEADERS = [("Content-Type", "application/json; charset=utf-8"),
               ("Host", "cvm.tencentcloudapi.com"), ("X-TC-Action", "DescribeInstances")]


def test_tc3_canonical_request_matches_the_documented_hash() -> None:
    canonical, signed = tc3_canonical_request("POST", TC3_HEADERS, TC3_PAYLOAD)
    assert signed == "content-type;host;x-tc-action"
    assert canonical.splitlines()[3:6] == ["content-type:application/json; charset=utf-8",
                                           "host:cvm.tencentcloudapi.com",
                                           "x-tc-action:describeinstances"]
    assert hashlib.sha256(canonical.encode()).hexdigest() == \
        "7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84"


def test_tc3_string_to_sign_and_signature_match_the_documentation() -> None:
    canonical, _ = tc3_canonical_request("POST", TC3_HEADERS, TC3_PAYLOAD)
    to_sign = tc3_string_to_sign(canonical, 1551113065, "cvm")
    assert to_sign == ("TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n"
                       "7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84")
    # the documented derived key (the secret itself is masked in the docs)
    key = bytes.fromhex("b596b923aad85185e2d1f6659d2a062e0a86731226e021e61bfe06f7ed05f5af")
    assert tc3_signature(key, to_sign) == \
        "10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f"


# Alibaba Cloud SMS "HTTP 协议及签名" example.
ALIYUN_PARAMS = {
    "AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
    "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}', "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}


def test_aliyun_signature_matches_the_sms_documentation() -> None:
    to_sign = aliyun_string_to_sign("GET", ALIYUN_PARAMS)
    assert to_sign.startswith("GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms")
    assert "Timestamp%3D2017-07-12T02%253A42%253A19Z" in to_sign
    assert aliyun_signature("GET", ALIYUN_PARAMS, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    assert aliyun_signature("GET", {**ALIYUN_PARAMS, "Signature": "x"}, "testSecret") == \
        "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_aliyun_signature_matches_the_rpc_documentation() -> None:
    params = {"Format": "XML", "AccessKeyId": "testid", "Action": "DescribeRegions",
              "SignatureMethod": "HMAC-SHA1",
              "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
              "SignatureVersion": "1.0", "Version": "2014-05-26",
              "Timestamp": "2016-02-23T12:46:24Z"}
    assert aliyun_signature("GET", params, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_aliyun_percent_encoding_rules() -> None:
    assert aliyun_percent_encode("a b*~") == "a%20b%2A~"
    assert aliyun_percent_encode("/=&+") == "%2F%3D%26%2B"
