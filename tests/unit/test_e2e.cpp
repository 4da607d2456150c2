// tui/client/e2e: checking what a (possibly hostile) server hands over
// against the plaintext a pairwise ratchet message opened to. The
// plaintext is signed for real; only the server's record around it lies.
#include <catch2/catch.hpp>

#include "shared/crypto.hpp"
#include "tui/client/e2e.hpp"

using namespace tacit;
using namespace tacit::client;

namespace {
msg::Stored stored_from(std::string sender, std::string group = {}) {
    msg::Stored st;
    st.id = 7;
    st.sender = std::move(sender);
    st.group = std::move(group);
    st.received_at_ms = 1000;
    return st;
}
}  // namespace

TEST_CASE("e2e: an invalid sender name from the server is a problem, not a crash", "[e2e]") {
    auto alice = UserIdentity::generate();
    const auto bundle = alice.bundle();
    std::string problem;

    // Control: an honest direct message parses and verifies.
    auto fm = make_formatted("alice", "bob", "", "hi", crypto::random_array<16>(), 1000);
    auto o = parse_formatted(signed_formatted(alice, fm), "bob", stored_from("alice"), &problem);
    REQUIRE(o);
    CHECK(verify_envelope(*o, bundle));

    // The sender itself signed with an empty name, and the server passes
    // that on: refused with a reason before any key lookup could see "".
    auto empty = make_formatted("", "bob", "", "hi", crypto::random_array<16>(), 1000);
    problem.clear();
    CHECK_FALSE(parse_formatted(signed_formatted(alice, empty), "bob", stored_from(""), &problem));
    CHECK(problem.find("invalid sender name") != std::string::npos);

    // Other names that can't be users: too long, a control character.
    for (std::string bad : {std::string(300, 'a'), std::string("al\nice")}) {
        auto e = make_formatted(bad, "bob", "", "hi", crypto::random_array<16>(), 1000);
        problem.clear();
        CHECK_FALSE(parse_formatted(signed_formatted(alice, e), "bob", stored_from(bad), &problem));
        CHECK_FALSE(problem.empty());
    }
}

TEST_CASE("e2e: one group signature serves every member's copy, and binds the kind", "[e2e]") {
    auto alice = UserIdentity::generate();
    const auto bundle = alice.bundle();
    std::string problem;
    auto fm = make_formatted("alice", "", "ops", "hi all", crypto::random_array<16>(), 1000);
    fm.stamp = msg::GroupStamp{3, crypto::random_array<32>()};
    const Bytes sig = group_signature(alice, fm);
    for (std::string to : {"bob", "carol"}) {
        auto one = fm;
        one.recipient = to;
        auto o = parse_formatted(Secret(one.encode(sig)), to, stored_from("alice", "ops"), &problem);
        REQUIRE(o);
        CHECK(verify_envelope(*o, bundle));
        // Into another group, or as a direct message: the record disagrees.
        CHECK_FALSE(parse_formatted(Secret(one.encode(sig)), to, stored_from("alice", "dev"), &problem));
        CHECK_FALSE(parse_formatted(Secret(one.encode(sig)), to, stored_from("alice"), &problem));
    }
    // A stamp or body changed after signing no longer verifies.
    auto moved = fm;
    moved.recipient = "bob";
    moved.stamp.epoch = 4;
    auto o = parse_formatted(Secret(moved.encode(sig)), "bob", stored_from("alice", "ops"), &problem);
    REQUIRE(o);
    CHECK_FALSE(verify_envelope(*o, bundle));
    // A direct message's signature does not pass for a group one.
    auto dm = make_formatted("alice", "bob", "", "hi all", fm.msg_id, 1000);
    auto d = msg::FormattedMessage::decode(signed_formatted(alice, dm));
    auto as_group = fm;
    as_group.recipient = "bob";
    o = parse_formatted(Secret(as_group.encode(d.sig)), "bob", stored_from("alice", "ops"), &problem);
    REQUIRE(o);
    CHECK_FALSE(verify_envelope(*o, bundle));
}
