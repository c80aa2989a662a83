"""The registration gift (CPN-6): one coupon per new account, pushed, while stock lasts."""

from __future__ import annotations

import pytest
from coupons_helpers import DAY, T0, normal, reusable

from mallcore.coupons.batches import CodeStatus, CouponBatch
from mallcore.coupons.campaigns import AccountKey, GiftOutcome, IdentityKind, RegistrationGift
from mallcore.errors import InvalidConfiguration, InvalidInput, InvalidTransition
from mallcore.promotions.window import Window

WINDOW = Window(T0, T0 + 10 * DAY)


def campaign(quantity: int = 3) -> tuple[RegistrationGift, CouponBatch]:
    batch = normal(quantity, limit=None)
    return RegistrationGift("reg", "新人礼", batch, WINDOW), batch


# RULES: CPN-6
def test_a_new_account_gets_one_coupon_pushed_to_it() -> None:
    gift, batch = campaign()
    result = gift.register([AccountKey.email("li@x.cn")], "c1", batch, T0)
    assert result.granted and result.outcome is GiftOutcome.GRANTED
    (view,) = batch.codes_of("c1")
    assert (view.code, view.status, view.owner) == (result.code, CodeStatus.HELD, "c1")
    assert gift.gifted(AccountKey.email("LI@x.cn ")) == result


# RULES: CPN-6
@pytest.mark.parametrize("again", [
    [AccountKey.email("Li@X.cn")],
    [AccountKey.phone("+86 138-0000-0000")],
    [AccountKey.email("other@x.cn"), AccountKey.phone("13800000000")],
])
def test_an_account_gets_at_most_one_coupon_whatever_identity_it_uses(
    again: list[AccountKey],
) -> None:
    gift, batch = campaign()
    gift.register([AccountKey.email("li@x.cn"), AccountKey.phone("13800000000")], "c1",
                  batch, T0)
    result = gift.register(again, "c2", batch, T0)
    assert (result.outcome, result.code) == (GiftOutcome.ALREADY_GIFTED, None)
    assert batch.codes_of("c2") == ()
    assert batch.remaining == 2


# RULES: CPN-6
def test_third_party_identities_are_per_provider() -> None:
    gift, batch = campaign()
    wx = AccountKey.third_party("wechat", "o123")
    assert wx.kind is IdentityKind.THIRD_PARTY
    assert gift.register([wx], "c1", batch, T0).granted
    assert gift.register([AccountKey.third_party("alipay", "o123")], "c2", batch,
                         T0).granted
    assert not gift.register([AccountKey.third_party("wechat", "o123")], "c3", batch,
                             T0).granted


# RULES: CPN-6
def test_none_once_the_batch_is_exhausted() -> None:
    gift, batch = campaign(quantity=2)
    outcomes = [gift.register([AccountKey.phone(f"1380000000{i}")], f"c{i}", batch,
                              T0).outcome for i in range(4)]
    assert outcomes == [GiftOutcome.GRANTED] * 2 + [GiftOutcome.EXHAUSTED] * 2
    assert batch.remaining == 0
    assert [r.customer_id for r in gift.results] == ["c0", "c1", "c2", "c3"]
    # an account that got nothing because of exhaustion is not marked as gifted
    assert gift.gifted(AccountKey.phone("13800000002")) is None


# RULES: CPN-6
def test_the_campaign_gives_only_inside_its_window() -> None:
    gift, batch = campaign()
    key = AccountKey.email("a@x.cn")
    assert gift.register([key], "c1", batch, T0 - DAY).outcome is GiftOutcome.OUTSIDE_WINDOW
    assert gift.register([key], "c1", batch, T0 + 10 * DAY).outcome is (
        GiftOutcome.OUTSIDE_WINDOW)
    assert gift.register([key], "c1", batch, T0 + 10 * DAY - DAY).granted


# RULES: CPN-6
def test_deleting_the_campaign_keeps_issued_coupons() -> None:
    gift, batch = campaign()
    given = gift.register([AccountKey.email("a@x.cn")], "c1", batch, T0)
    gift.delete()
    assert gift.deleted
    assert [e.code for e in batch.wallet("c1", T0 + DAY)] == [given.code]
    later = gift.register([AccountKey.email("b@x.cn")], "c2", batch, T0)
    assert later.outcome is GiftOutcome.CAMPAIGN_DELETED
    with pytest.raises(InvalidTransition):
        gift.delete()


# RULES: CPN-6
def test_a_voided_batch_gives_nothing_more() -> None:
    gift, batch = campaign()
    batch.void(T0)
    result = gift.register([AccountKey.email("a@x.cn")], "c1", batch, T0)
    assert result.outcome is GiftOutcome.BATCH_UNAVAILABLE


# RULES: CPN-6, CPN-2
def test_only_normal_published_batches_not_in_gift_activities_qualify() -> None:
    with pytest.raises(InvalidConfiguration, match="reusable"):
        RegistrationGift("reg", "x", reusable(), WINDOW)
    with pytest.raises(InvalidConfiguration, match="publish it first"):
        RegistrationGift("reg", "x", normal(published=False), WINDOW)
    with pytest.raises(InvalidConfiguration, match="gift-coupon activity") as err:
        RegistrationGift("reg", "x", normal(), WINDOW, gift_activity_batches={"b1"})
    assert err.value.rule == "CPN-6"
    RegistrationGift("reg", "x", normal(), WINDOW, gift_activity_batches={"other"})


# RULES: CPN-6
def test_register_is_checked() -> None:
    gift, batch = campaign()
    with pytest.raises(InvalidInput, match="AccountKey"):
        gift.register([], "c1", batch, T0)
    with pytest.raises(InvalidInput, match="AccountKey"):
        gift.register(["a@x.cn"], "c1", batch, T0)  # type: ignore[list-item]
    with pytest.raises(InvalidInput, match="not this campaign's"):
        gift.register([AccountKey.email("a@x.cn")], "c1", normal(batch_id="b2"), T0)
    with pytest.raises(InvalidInput):
        AccountKey.email("not-an-email")
    with pytest.raises(InvalidInput):
        AccountKey.phone("call me")
    assert batch.remaining == 3
