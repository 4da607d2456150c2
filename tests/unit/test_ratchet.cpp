// The Double Ratchet (shared/ratchet.hpp): known answers for the key
// schedule (recomputed independently by tests/crypto/crosscheck.py), then
// behaviour under out-of-order, duplicated, dropped, replayed and forged
// messages, the skip limits, expiry, forward secrecy, post-compromise
// security and the state's serialization.
#include <catch2/catch.hpp>

#include <algorithm>

#include "shared/ratchet.hpp"
#include "shared/wire.hpp"
#include "shared/x3dh.hpp"
#include "tests/crypto/fixed_keys.hpp"

using namespace tacit;
using namespace tacit::ratchet;
using test::fixed_key;
using test::fixed_keygen;

namespace {

constexpr uint64_t kNow = 1764633600;
constexpr uint64_t kDay = 24 * 3600;

// X3DH's SK from the fixed keys of test_x3dh.cpp (with a one-time prekey).
SecretArray<32> kat_sk() {
    auto b = from_hex("1cc9a228bdcf803d200906ad9440e97b12fa935369f95592d35642b637328160").value();
    SecretArray<32> s;
    std::copy(b.begin(), b.end(), s.a.begin());
    return s;
}
const Bytes kAd(as_bytes("tacit kat ad").begin(), as_bytes("tacit kat ad").end());

struct Pair {
    Session alice, bob;
    Pair()
        : alice(Session::initiator(kat_sk(), kAd, fixed_key("bob spk").pub, fixed_keygen("alice"))),
          bob(Session::responder(kat_sk(), kAd, fixed_key("bob spk"), fixed_keygen("bob"))) {}
};

Bytes send(Session& s, std::string_view text) {
    auto m = s.encrypt(as_bytes(text));
    REQUIRE(m);
    return *m;
}

std::string recv(Session& s, ByteView m, uint64_t now = kNow) {
    auto r = s.decrypt(m, now);
    INFO(describe(r.status));
    REQUIRE(r.status == DecryptStatus::Ok);
    return std::string(as_chars(r.plaintext));
}

// Sessions from a random SK and signed prekey, drawing random ratchet keys.
std::pair<Session, Session> random_pair() {
    auto spk = crypto::X25519Key::generate();
    SecretArray<32> sk;
    sk.a = crypto::random_array<32>();
    return {Session::initiator(sk, kAd, spk.pub), Session::responder(sk, kAd, spk)};
}

DecryptStatus status(Session& s, ByteView m, uint64_t now = kNow) { return s.decrypt(m, now).status; }

bool contains(ByteView hay, ByteView needle) {
    return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

Session reload(const Session& s) {
    auto r = Session::deserialize(s.serialize());
    REQUIRE(r);
    return std::move(*r);
}

}  // namespace

TEST_CASE("Ratchet known answers: first message each way", "[ratchet]") {
    Pair p;
    Bytes a0 = send(p.alice, "hello bob");
    CHECK(to_hex(a0) ==
          "44a1ca949fb973bcb21f3a6599e94f62e01ca31436f959475a3442214ba21b23"
          "0000000000000000c43026d0e89b567af61385093bcf028a3ab2fa24becf0f3ed0");
    CHECK(!p.bob.can_send());
    CHECK(!p.bob.encrypt(as_bytes("too early")));
    CHECK(recv(p.bob, a0) == "hello bob");
    Bytes b0 = send(p.bob, "hello alice");
    CHECK(to_hex(b0) ==
          "e9449d6f5dc3fe70152ff837ec55f029d60db2fd46cfa2d47c89b59af1d2126d"
          "00000000000000003d575f1a0a18e6e9613b0c807bfba4ffb1c57eb57b0bcf1824cca2");
    CHECK(recv(p.alice, b0) == "hello alice");
    auto h = message_header(b0);
    REQUIRE(h);
    CHECK(h->dh == fixed_key("bob ratchet 0").pub);
}

TEST_CASE("Ratchet: random keys, both ways, many turns", "[ratchet]") {
    auto [alice, bob] = random_pair();
    for (int turn = 0; turn < 20; ++turn) {
        Session& from = turn % 2 ? bob : alice;
        Session& to = turn % 2 ? alice : bob;
        for (int i = 0; i <= turn % 3; ++i) {
            std::string text = "turn " + std::to_string(turn) + " #" + std::to_string(i);
            CHECK(recv(to, send(from, text)) == text);
        }
    }
    CHECK(alice.skipped_count() == 0);
    CHECK(bob.skipped_count() == 0);
}

TEST_CASE("Ratchet: out of order within a chain and across chains", "[ratchet]") {
    Pair p;
    Bytes a0 = send(p.alice, "a0"), a1 = send(p.alice, "a1"), a2 = send(p.alice, "a2");
    CHECK(recv(p.bob, a2) == "a2");
    CHECK(p.bob.skipped_count() == 2);
    CHECK(recv(p.alice, send(p.bob, "b0")) == "b0");
    Bytes a3 = send(p.alice, "a3");  // a new chain
    CHECK(recv(p.bob, a3) == "a3");
    CHECK(recv(p.bob, a0) == "a0");  // old chain, from skipped keys
    CHECK(recv(p.bob, a1) == "a1");
    CHECK(p.bob.skipped_count() == 0);
    // pn: messages of the previous chain sent after the last one received.
    Bytes b1 = send(p.bob, "b1"), b2 = send(p.bob, "b2");
    Bytes a4 = send(p.alice, "a4");  // alice has not seen b1/b2: same chain as a3
    CHECK(recv(p.bob, a4) == "a4");
    Bytes b3 = send(p.bob, "b3");
    CHECK(recv(p.alice, b3) == "b3");  // skips b1, b2 of the same chain
    CHECK(p.alice.skipped_count() == 2);
    CHECK(recv(p.alice, b1) == "b1");
    CHECK(recv(p.alice, b2) == "b2");
}

TEST_CASE("Ratchet: duplicates and replays never decrypt twice", "[ratchet]") {
    Pair p;
    Bytes a0 = send(p.alice, "a0"), a1 = send(p.alice, "a1");
    // The duplicate key is the same for every copy and differs between messages.
    CHECK(duplicate_key(*message_header(a0)) == duplicate_key(*message_header(Bytes(a0))));
    CHECK(duplicate_key(*message_header(a0)) != duplicate_key(*message_header(a1)));
    CHECK(duplicate_key(*message_header(a0)).size() == 36);
    CHECK(recv(p.bob, a1) == "a1");
    CHECK(status(p.bob, a1) == DecryptStatus::KeyGone);
    CHECK(recv(p.bob, a0) == "a0");  // skipped key: once
    CHECK(status(p.bob, a0) == DecryptStatus::KeyGone);
    // After the ratchet turns, a replay from the retired chain fails too, and
    // the session carries on.
    CHECK(recv(p.alice, send(p.bob, "b0")) == "b0");
    CHECK(recv(p.bob, send(p.alice, "a2")) == "a2");
    CHECK(status(p.bob, a0) != DecryptStatus::Ok);
    CHECK(status(p.bob, a1) != DecryptStatus::Ok);
    CHECK(recv(p.bob, send(p.alice, "a3")) == "a3");
}

TEST_CASE("Ratchet: dropped messages leave later ones readable", "[ratchet]") {
    Pair p;
    for (int i = 0; i < 5; ++i) send(p.alice, "lost");
    CHECK(recv(p.bob, send(p.alice, "a5")) == "a5");
    CHECK(p.bob.skipped_count() == 5);
    for (int i = 0; i < 3; ++i) send(p.bob, "lost");
    CHECK(recv(p.alice, send(p.bob, "b3")) == "b3");
    CHECK(p.alice.skipped_count() == 3);
}

TEST_CASE("Ratchet: forged, garbled or misdirected messages change nothing", "[ratchet]") {
    Pair p;
    Bytes a0 = send(p.alice, "a0");
    Bytes a1 = send(p.alice, "a1");
    Secret before = p.bob.serialize();
    for (size_t at : {size_t(0), size_t(33), size_t(39), size_t(40), a1.size() - 1}) {
        CAPTURE(at);
        Bytes bad = a1;
        bad[at] ^= 0x01;
        CHECK(status(p.bob, bad) != DecryptStatus::Ok);
        CHECK(ct_equal(p.bob.serialize(), before));
    }
    CHECK(status(p.bob, ByteView(a1).first(kHeaderLen + kTagLen - 1)) == DecryptStatus::Malformed);
    Bytes zero_key = a1;
    std::fill(zero_key.begin(), zero_key.begin() + 32, uint8_t(0));
    CHECK(status(p.bob, zero_key) == DecryptStatus::BadKey);
    // Reflected to its sender.
    CHECK(status(p.alice, a0) != DecryptStatus::Ok);
    // Another session's AD.
    auto other = Session::responder(kat_sk(), as_bytes("other ad"), fixed_key("bob spk"));
    CHECK(status(other, a0) == DecryptStatus::AuthFailed);
    CHECK(ct_equal(p.bob.serialize(), before));
    CHECK(recv(p.bob, a1) == "a1");
    CHECK(recv(p.bob, a0) == "a0");
}

TEST_CASE("Ratchet: MAX_SKIP in one chain, at the limit and past it", "[ratchet]") {
    Pair p;
    std::vector<Bytes> sent;
    for (uint32_t i = 0; i <= kMaxSkip + 1; ++i) sent.push_back(send(p.alice, "m" + std::to_string(i)));
    SECTION("past it: refused, state unchanged") {
        Secret before = p.bob.serialize();
        CHECK(status(p.bob, sent[kMaxSkip + 1]) == DecryptStatus::TooFarAhead);
        CHECK(ct_equal(p.bob.serialize(), before));
        CHECK(recv(p.bob, sent[0]) == "m0");
    }
    SECTION("at it: 1000 keys skipped, each usable once") {
        CHECK(recv(p.bob, sent[kMaxSkip]) == "m1000");
        CHECK(p.bob.skipped_count() == kMaxSkip);
        CHECK(recv(p.bob, sent[0]) == "m0");
        CHECK(recv(p.bob, sent[999]) == "m999");
        CHECK(recv(p.bob, sent[kMaxSkip + 1]) == "m1001");
        CHECK(p.bob.skipped_count() == kMaxSkip - 2);
    }
    SECTION("the previous chain's rest counts too (pn)") {
        CHECK(recv(p.bob, sent[0]) == "m0");
        CHECK(recv(p.alice, send(p.bob, "b0")) == "b0");
        // Alice's new chain announces pn = 1002: 1001 keys to skip in the old one.
        Bytes next = send(p.alice, "new chain");
        CHECK(message_header(next)->pn == kMaxSkip + 2);
        CHECK(status(p.bob, next) == DecryptStatus::TooFarAhead);
        CHECK(recv(p.bob, sent[1]) == "m1");  // now 1000 to skip: accepted
        CHECK(recv(p.bob, next) == "new chain");
        CHECK(p.bob.skipped_count() == kMaxSkip);
    }
}

TEST_CASE("Ratchet: at most 1000 skipped keys per chain, oldest dropped", "[ratchet]") {
    Pair p;
    std::vector<Bytes> sent;
    for (int i = 0; i < 2000; ++i) sent.push_back(send(p.alice, "m" + std::to_string(i)));
    CHECK(recv(p.bob, sent[1000]) == "m1000");  // skips 0..999
    CHECK(recv(p.bob, sent[1999]) == "m1999");  // skips 1001..1998 as well
    CHECK(p.bob.skipped_count() == kMaxSkippedPerChain);
    // 1998 skipped, the oldest 998 dropped: 0..997.
    CHECK(status(p.bob, sent[0]) == DecryptStatus::KeyGone);
    CHECK(status(p.bob, sent[997]) == DecryptStatus::KeyGone);
    CHECK(recv(p.bob, sent[998]) == "m998");
    CHECK(recv(p.bob, sent[999]) == "m999");
    CHECK(recv(p.bob, sent[1998]) == "m1998");
}

TEST_CASE("Ratchet: at most 2000 skipped keys per session, oldest dropped", "[ratchet]") {
    Pair p;
    std::vector<std::vector<Bytes>> chains;
    for (int c = 0; c < 3; ++c) {
        std::vector<Bytes> sent;
        for (uint32_t i = 0; i <= kMaxSkip; ++i) sent.push_back(send(p.alice, "c" + std::to_string(c) + " " + std::to_string(i)));
        CHECK(recv(p.bob, sent.back()) == "c" + std::to_string(c) + " 1000");
        CHECK(recv(p.alice, send(p.bob, "turn")) == "turn");
        chains.push_back(std::move(sent));
    }
    CHECK(p.bob.skipped_count() == kMaxSkippedPerSession);
    CHECK(status(p.bob, chains[0][0]) != DecryptStatus::Ok);    // first chain dropped
    CHECK(status(p.bob, chains[0][999]) != DecryptStatus::Ok);
    CHECK(recv(p.bob, chains[1][0]) == "c1 0");
    CHECK(recv(p.bob, chains[2][999]) == "c2 999");
    // The limits survive a reload.
    CHECK(reload(p.bob).skipped_count() == kMaxSkippedPerSession - 2);
}

TEST_CASE("Ratchet: skipped keys expire after 30 days", "[ratchet]") {
    Pair p;
    Bytes a0 = send(p.alice, "a0"), a1 = send(p.alice, "a1"), a2 = send(p.alice, "a2");
    Bytes a3 = send(p.alice, "a3");
    CHECK(recv(p.bob, a1, kNow) == "a1");              // a0 skipped at kNow
    CHECK(recv(p.bob, a3, kNow + 10 * kDay) == "a3");  // a2 skipped 10 days later
    CHECK(p.bob.skipped_count() == 2);
    p.bob.expire(kNow + 30 * kDay - 1);
    CHECK(p.bob.skipped_count() == 2);
    CHECK(status(p.bob, a0, kNow + 30 * kDay) == DecryptStatus::KeyGone);
    CHECK(p.bob.skipped_count() == 1);
    // Expiry is kept in the stored state too.
    Session again = reload(p.bob);
    again.expire(kNow + 40 * kDay);
    CHECK(again.skipped_count() == 0);
    CHECK(recv(p.bob, a2, kNow + 40 * kDay - 1) == "a2");
    // A clock set back does not expire anything early.
    Bytes a4 = send(p.alice, "a4"), a5 = send(p.alice, "a5");
    CHECK(recv(p.bob, a5, kNow) == "a5");
    p.bob.expire(kNow - kDay);
    CHECK(p.bob.skipped_count() == 1);
    CHECK(recv(p.bob, a4, kNow) == "a4");
}

TEST_CASE("Ratchet: forward secrecy, used message keys are gone", "[ratchet]") {
    Pair p;
    // mk for Alice's first message and the chain key it came from
    // (crosscheck.py's kdf_rk / kdf_ck on the fixed keys).
    auto mk0 = from_hex("20328bfc8b0a3a703f0e23556929acd49a10777a1fc931acc132edc46d3e9f64").value();
    auto ck0 = from_hex("a0dafa46cbfa30d10e155feaf2b12031894b09236858446b4caf35783324d6a8").value();
    CHECK(contains(p.alice.serialize(), ck0));  // the check can see a key
    Bytes a0 = send(p.alice, "a0"), a1 = send(p.alice, "a1");
    CHECK(!contains(p.alice.serialize(), ck0));
    CHECK(!contains(p.alice.serialize(), mk0));
    // Out of order: bob keeps mk0 as a skipped key until a0 arrives.
    CHECK(recv(p.bob, a1) == "a1");
    CHECK(contains(p.bob.serialize(), mk0));
    Session at_t = reload(p.bob);
    CHECK(recv(p.bob, a0) == "a0");
    CHECK(!contains(p.bob.serialize(), mk0));
    CHECK(!contains(p.bob.serialize(), ck0));
    // State stolen now opens neither message again.
    Session stolen = reload(p.bob);
    CHECK(status(stolen, a0) == DecryptStatus::KeyGone);
    CHECK(status(stolen, a1) == DecryptStatus::KeyGone);
    CHECK(recv(at_t, a0) == "a0");  // whereas the earlier copy still could
}

TEST_CASE("Ratchet: post-compromise security after one round trip each way", "[ratchet]") {
    auto [alice, bob] = random_pair();
    CHECK(recv(bob, send(alice, "hello")) == "hello");
    CHECK(recv(alice, send(bob, "hi")) == "hi");
    // Time T: an attacker copies bob's whole state...
    Session copy = reload(bob);
    // ...and can read what alice sends next, in the chain it knows.
    Bytes soon = send(alice, "soon after T");
    CHECK(recv(copy, soon) == "soon after T");
    CHECK(recv(bob, soon) == "soon after T");
    // One round trip each way, the attacker reading along where it can.
    Bytes b1 = send(bob, "b1");  // a fresh ratchet key the copy never had
    CHECK(recv(alice, b1) == "b1");
    Bytes a1 = send(alice, "a1");
    CHECK(recv(bob, a1) == "a1");
    CHECK(status(copy, a1) != DecryptStatus::Ok);
    CHECK(recv(alice, send(bob, "b2")) == "b2");
    Bytes a2 = send(alice, "after healing");
    CHECK(recv(bob, a2) == "after healing");
    CHECK(status(copy, a2) != DecryptStatus::Ok);
}

TEST_CASE("Ratchet: state serialization round-trips and refuses malformed bytes", "[ratchet]") {
    Pair p;
    Bytes a0 = send(p.alice, "a0");
    CHECK(recv(p.bob, send(p.alice, "a1")) == "a1");  // one skipped key
    // A fresh responder (no chains yet) and a used one both round-trip.
    Pair fresh;
    for (Session* s : {&p.alice, &p.bob, &fresh.bob}) {
        Secret enc = s->serialize();
        auto d = Session::deserialize(enc);
        REQUIRE(d);
        CHECK(ct_equal(d->serialize(), enc));
        CHECK(d->role() == s->role());
    }
    Secret enc = p.bob.serialize();
    // The reloaded session goes on exactly where the original was.
    Session b2 = reload(p.bob);
    CHECK(recv(b2, a0) == "a0");
    for (size_t n = 0; n < enc.size(); n += 7)
        CHECK_FALSE(Session::deserialize(enc.view().first(n)));
    Bytes longer(enc.view().begin(), enc.view().end());
    longer.push_back(0);
    CHECK_FALSE(Session::deserialize(longer));
    Bytes bad_role(enc.view().begin(), enc.view().end());
    bad_role[2 + kStateLabel.size()] = 3;
    CHECK_FALSE(Session::deserialize(bad_role));
    // A skipped-key count the bytes cannot hold is refused before any allocation.
    Bytes huge(enc.view().begin(), enc.view().end() - (32 + 4 + 8 + 32) - 4);
    for (uint8_t b : {0, 0, 0x07, 0xd1}) huge.push_back(b);  // 2001
    CHECK_FALSE(Session::deserialize(huge));
}

TEST_CASE("Ratchet: a stored state past the skipped-key caps is refused", "[ratchet]") {
    Pair p;
    std::vector<Bytes> sent;
    for (uint32_t i = 0; i <= kMaxSkip; ++i) sent.push_back(send(p.alice, "m"));
    CHECK(recv(p.bob, sent.back()) == "m");
    Secret full = p.bob.serialize();  // exactly 1000 keys of one chain: accepted
    REQUIRE(Session::deserialize(full));
    // One more key of the same chain, added by hand: 1001 in one chain.
    constexpr size_t kItem = 32 + 4 + 8 + 32;
    Bytes over(full.view().begin(), full.view().end());
    size_t count_at = over.size() - kMaxSkip * kItem - 4;
    REQUIRE(get_u32be(over.data() + count_at) == kMaxSkip);
    put_u32be(over.data() + count_at, kMaxSkip + 1);
    Bytes extra(over.end() - kItem, over.end());
    put_u32be(extra.data() + 32, 5000);  // another message number
    Bytes other_chain = over;
    over.insert(over.end(), extra.begin(), extra.end());
    CHECK_FALSE(Session::deserialize(over));
    // The same extra key under another ratchet key is within both caps.
    auto other_dh = fixed_key("carol ratchet 0").pub;
    std::copy(other_dh.begin(), other_dh.end(), extra.begin());
    other_chain.insert(other_chain.end(), extra.begin(), extra.end());
    CHECK(Session::deserialize(other_chain));
}
