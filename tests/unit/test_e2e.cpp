// tui/client/e2e: opening what a (possibly hostile) server hands over. The
// envelope is sealed for real; only the server's record around it lies.
#include <catch2/catch.hpp>

#include "shared/crypto.hpp"
#include "tui/client/e2e.hpp"

using namespace tacit;
using namespace tacit::client;

namespace {
msg::Stored stored_from(const Envelope& env, std::string sender) {
    msg::Stored st;
    st.id = 7;
    st.sender = std::move(sender);
    st.received_at_ms = 1000;
    st.enc_msg = env.enc_msg;
    st.wrapped_key = env.wrapped_key;
    return st;
}
}  // namespace

TEST_CASE("e2e: an invalid sender name from the server is a problem, not a crash", "[e2e]") {
    auto bob = UserIdentity::generate();
    auto bundle = bob.bundle();
    std::string problem;

    // Control: an honest record opens and verifies.
    auto good = seal_envelope(bob, "alice", "bob", "", bundle, "hi", crypto::random_array<16>(), 1000);
    auto o = open_envelope(bob, "bob", stored_from(good, "alice"), &problem);
    REQUIRE(o);
    CHECK(verify_envelope(*o, bundle));

    // The sender itself signed with an empty name, and the server passes
    // that on: refused with a reason before any key lookup could see "".
    auto empty = seal_envelope(bob, "", "bob", "", bundle, "hi", crypto::random_array<16>(), 1000);
    problem.clear();
    CHECK_FALSE(open_envelope(bob, "bob", stored_from(empty, ""), &problem));
    CHECK(problem.find("invalid sender name") != std::string::npos);

    // Other names that can't be users: too long, a control character.
    for (std::string bad : {std::string(300, 'a'), std::string("al\nice")}) {
        auto e = seal_envelope(bob, bad, "bob", "", bundle, "hi", crypto::random_array<16>(), 1000);
        problem.clear();
        CHECK_FALSE(open_envelope(bob, "bob", stored_from(e, bad), &problem));
        CHECK_FALSE(problem.empty());
    }
}
