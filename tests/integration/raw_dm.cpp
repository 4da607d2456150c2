#include "tests/integration/raw_dm.hpp"

#include <catch2/catch.hpp>

#include "shared/clock.hpp"

namespace tacit::test {

RawDm::RawDm(RawClient& r, const std::string& to, const UserBundle& to_bundle) : r_(r), to_(to) {
    REQUIRE(r.id);
    auto f = r.call(msg::encode_body(msg::PrekeyFetch{r.token, to, crypto::random_array<16>()}), &r.id->sign);
    REQUIRE(frame_type(f) == msg::PrekeyFetchR::type);
    auto d = msg::decode<msg::PrekeyFetchR>(f.pt);
    INFO(d.m.msg);
    REQUIRE(d.m.status == proto::OK);
    auto pb = x3dh::PrekeyBundle::decode(d.m.bundle);
    REQUIRE(pb);
    const UserBundle mine = r.id->bundle();
    auto init = x3dh::initiate(r.id->box, {r.user, mine}, {to, to_bundle}, *pb);
    REQUIRE(init);
    init_ = init->header;
    session_ = ratchet::Session::initiator(init->sk, init->ad, init->spk_pub);
}

Bytes RawDm::seal(const UserIdentity& signer, const std::string& claimed_from, const std::string& body,
                  const Array<16>& msg_id, uint64_t sent_at_ms) {
    auto fm = client::make_formatted(claimed_from, to_, "", body, msg_id, sent_at_ms);
    return wire(client::signed_formatted(signer, fm));
}

Bytes RawDm::wire(const Secret& pt) {
    auto sealed = session_->encrypt(pt);
    REQUIRE(sealed);
    dm::Wire w;
    w.init = init_;
    w.ratchet = std::move(*sealed);
    return w.encode();
}

Bytes RawDm::seal(const std::string& body) {
    return seal(*r_.id, r_.user, body, crypto::random_array<16>(), wall_ms());
}

Bytes RawDm::seal_group(const std::string& g, const msg::GroupStamp& stamp, const std::string& body,
                        const Array<16>& msg_id) {
    auto fm = client::make_formatted(r_.user, to_, g, body, msg_id, wall_ms());
    fm.stamp = stamp;
    return wire(Secret(fm.encode(client::group_signature(*r_.id, fm))));
}

}  // namespace tacit::test
