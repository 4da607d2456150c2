// Group membership chains (shared/group_chain.hpp, shared/group_record.hpp):
// every chain rule refused with its own reason and the chain left as it
// was, a member joining from the create record, the diff against a server
// that adds a ghost or leaves a member out, and the record and stored-chain
// parsers refusing truncated, oversized and non-canonical input.
#include <catch2/catch.hpp>

#include "shared/wire.hpp"
#include "tests/crypto/group_story.hpp"

using namespace tacit;
using namespace tacit::group;
using test::GroupUser;
using test::Story;

namespace {

// RSA keygen is slow: five keys for the whole file. "bob2" is bob's next key.
const GroupUser& user(const std::string& label) {
    static const std::map<std::string, GroupUser> users = [] {
        std::map<std::string, GroupUser> m;
        for (const char* n : {"alice", "bob", "carol", "dave"})
            m.emplace(n, test::make_group_user(n, std::string(n) + " identity"));
        m.emplace("bob2", test::make_group_user("bob", "bob identity 2"));
        return m;
    }();
    return users.at(label);
}
const GroupUser& alice() { return user("alice"); }
const GroupUser& bob() { return user("bob"); }
const GroupUser& carol() { return user("carol"); }
const GroupUser& dave() { return user("dave"); }
const GroupUser& bob2() { return user("bob2"); }

Policy policy(size_t max_members = 8) {
    return {max_members, test::published({&alice(), &bob(), &carol(), &dave()})};
}

// alice creates "ops" and adds bob. Made once: PSS signatures are
// randomized, so two makings would be two different chains.
const Story& ops() {
    static const Story s = [] {
        Story t;
        t.push(Kind::Create, alice(), alice()).push(Kind::Add, alice(), bob());
        return t;
    }();
    return s;
}

Chain built(const Story& s, const Policy& p = policy()) {
    auto b = Chain::build(s.records, p);
    if (!b.chain) FAIL(describe(b.rejection));
    return std::move(*b.chain);
}

std::vector<std::string> names(const Chain& c) {
    std::vector<std::string> v;
    for (const auto& m : c.members()) v.push_back(m.user);
    return v;
}

// Appending r is refused for `why`, and the chain is as it was.
void refused(Chain& c, const Record& r, Reject why, const Policy& p = policy()) {
    auto head = c.head();
    auto epoch = c.epoch();
    auto members = names(c);
    auto rej = c.append(r, p);
    REQUIRE(rej);
    CHECK(describe(rej->reason) == describe(why));
    CHECK(rej->index == epoch + 1);
    CHECK(c.head() == head);
    CHECK(c.epoch() == epoch);
    CHECK(names(c) == members);
    CHECK(c.records().size() == epoch + 1);
    // The same records built from the start are refused at the same record.
    std::vector<Record> all = c.records();
    all.push_back(r);
    auto b = Chain::build(all, p);
    CHECK(!b.chain);
}

}  // namespace

TEST_CASE("group chain: a member joining from the create record gets every member and key", "[group-chain]") {
    Story s = ops();
    s.push(Kind::Add, alice(), carol()).push(Kind::Add, alice(), dave());
    s.push(Kind::Remove, alice(), carol()).push(Kind::Leave, dave(), dave());
    Chain c = built(s);
    CHECK(c.group() == "ops");
    CHECK(c.owner() == "alice");
    CHECK(c.epoch() == 5);
    CHECK(c.head() == s.records.back().hash());
    CHECK(!c.dissolved());
    CHECK(names(c) == std::vector<std::string>{"alice", "bob"});
    REQUIRE(c.member("bob"));
    CHECK(c.member("bob")->key == key_hash(bob().bundle));
    CHECK(c.member("bob")->bundle == bob().bundle);
    CHECK(c.member("alice")->key == key_hash(alice().bundle));
    CHECK(!c.member("carol"));
    // Incremental updates reach the same state.
    auto first = Chain::build(std::span(s.records).first(1), policy());
    REQUIRE(first.chain);
    for (size_t i = 1; i < s.records.size(); ++i) REQUIRE(!first.chain->append(s.records[i], policy()));
    CHECK(first.chain->head() == c.head());
    CHECK(names(*first.chain) == names(c));
    // A carol who was removed and comes back is a member again.
    s.push(Kind::Add, alice(), carol());
    CHECK(names(built(s)) == std::vector<std::string>{"alice", "bob", "carol"});
}

TEST_CASE("group chain: heads and members at a past epoch, as a group stamp is judged", "[group-chain]") {
    Story s = ops();                                           // 0 create, 1 add bob
    s.push(Kind::Add, alice(), carol());                       // 2
    s.push(Kind::Remove, alice(), bob()).push(Kind::Add, alice(), bob());  // 3, 4
    Chain c = built(s);
    for (uint64_t e = 0; e <= 4; ++e) {
        REQUIRE(c.head_at(e));
        CHECK(*c.head_at(e) == s.records[e].hash());
    }
    CHECK(!c.head_at(5));
    CHECK(c.member_at("alice", 0));
    CHECK(!c.member_at("bob", 0));
    CHECK(c.member_at("bob", 1));
    CHECK(!c.member_at("carol", 1));
    CHECK(c.member_at("carol", 2));
    CHECK(!c.member_at("bob", 3));  // removed at 3, back at 4
    CHECK(c.member_at("bob", 4));
    CHECK(c.member_at("carol", 99));  // past the head: the head's members
    CHECK(!c.member_at("dave", 4));
}

TEST_CASE("group chain: bad signatures are refused", "[group-chain]") {
    Chain c = built(ops());
    Story s = ops();
    SECTION("a flipped signature bit") {
        auto r = s.next(Kind::Add, alice(), carol());
        r.sig[200] ^= 0x01;
        refused(c, r, Reject::BadSignature);
    }
    SECTION("a field changed after signing") {
        auto r = s.next(Kind::Add, alice(), carol());
        r.bundle = dave().bundle;
        r.subject = "dave";
        refused(c, r, Reject::BadSignature);
    }
    SECTION("signed by another user's key in the owner's name") {
        auto r = s.draft(Kind::Add, alice(), "carol");
        r.bundle = carol().bundle;
        refused(c, sign_record(r, bob().sign), Reject::BadSignature);
    }
    SECTION("a create signed by a key other than its bundle's") {
        Story t;
        auto r = t.draft(Kind::Create, alice(), "alice");
        r.bundle = alice().bundle;
        std::vector<Record> one{sign_record(r, carol().sign)};
        auto b = Chain::build(one, policy());
        REQUIRE(!b.chain);
        CHECK(b.rejection.reason == Reject::BadSignature);
    }
}

TEST_CASE("group chain: epochs and previous hashes link each record to the head", "[group-chain]") {
    Chain c = built(ops());
    Story s = ops();
    SECTION("wrong previous hash") {
        auto r = s.draft(Kind::Add, alice(), "carol");
        r.bundle = carol().bundle;
        r.prev = s.records.front().hash();  // the create's, not the head's
        refused(c, sign_record(r, alice().sign), Reject::BadPrevHash);
    }
    SECTION("skipped epoch") {
        auto r = s.draft(Kind::Add, alice(), "carol");
        r.bundle = carol().bundle;
        r.epoch = 3;
        refused(c, sign_record(r, alice().sign), Reject::EpochSkipped);
    }
    SECTION("repeated epoch: a second record on the same head") {
        Story other = s;
        other.records.pop_back();
        // Made on the create as head, as a concurrent owner would have.
        refused(c, other.next(Kind::Add, alice(), carol()), Reject::EpochRepeated);
        refused(c, s.records.back(), Reject::EpochRepeated);
    }
    SECTION("another group's record") {
        Story other = s;
        other.group = "dev";
        refused(c, other.next(Kind::Add, alice(), carol()), Reject::WrongGroup);
    }
    SECTION("a second create") { refused(c, s.next(Kind::Create, alice(), alice()), Reject::SecondCreate); }
    SECTION("a chain that does not start with a create") {
        std::vector<Record> tail(s.records.begin() + 1, s.records.end());
        auto b = Chain::build(tail, policy());
        REQUIRE(!b.chain);
        CHECK(b.rejection.reason == Reject::NotCreateFirst);
        CHECK(!Chain::build({}, policy()).chain);
    }
    SECTION("a create with a previous hash") {
        Story t;
        auto r = t.draft(Kind::Create, alice(), "alice");
        r.bundle = alice().bundle;
        r.prev[0] = 1;
        std::vector<Record> one{sign_record(r, alice().sign)};
        CHECK(Chain::build(one, policy()).rejection.reason == Reject::BadPrevHash);
    }
}

TEST_CASE("group chain: only the owner adds and removes", "[group-chain]") {
    Chain c = built(ops());
    Story s = ops();
    refused(c, s.next(Kind::Add, bob(), carol()), Reject::NotOwner);
    refused(c, s.next(Kind::Remove, bob(), alice()), Reject::NotOwner);
    refused(c, s.next(Kind::Add, carol(), dave()), Reject::ActorNotMember);
    refused(c, s.next(Kind::Add, alice(), bob()), Reject::AlreadyMember);
    refused(c, s.next(Kind::Remove, alice(), carol()), Reject::SubjectNotMember);
    refused(c, s.next(Kind::Remove, alice(), alice()), Reject::OwnerCannotLeave);
    REQUIRE(!c.append(s.next(Kind::Remove, alice(), bob()), policy()));
    CHECK(names(c) == std::vector<std::string>{"alice"});
}

TEST_CASE("group chain: an add's key must be the one the subject published", "[group-chain]") {
    Chain c = built(ops());
    Story s = ops();
    // alice was handed dave's bundle for carol, pinned it and signed it.
    auto r = s.draft(Kind::Add, alice(), "carol");
    r.bundle = dave().bundle;
    auto forged = sign_record(r, alice().sign);
    refused(c, forged, Reject::KeyMismatch);
    auto rej = c.append(forged, policy());
    REQUIRE(rej);
    CHECK(rej->user == "carol");
    CHECK(describe(*rej).find("carol") != std::string::npos);
    // A joiner building the whole chain catches it too.
    s.push(forged);
    auto b = Chain::build(s.records, policy());
    REQUIRE(!b.chain);
    CHECK(b.rejection.reason == Reject::KeyMismatch);
    CHECK(b.rejection.user == "carol");
    // A user the caller knows no key for is refused until it fetches one.
    Policy no_dave{8, test::published({&alice(), &bob(), &carol()})};
    refused(c, ops().next(Kind::Add, alice(), dave()), Reject::KeyUnknown, no_dave);
    // A key that changed after its owner left is no concern of the group's.
    Story gone = ops();
    gone.push(Kind::Add, alice(), carol()).push(Kind::Leave, carol(), carol());
    Policy carol_rekeyed{8, test::published({&alice(), &bob(), &dave()})};
    CHECK(Chain::build(gone.records, carol_rekeyed).chain);
}

TEST_CASE("group chain: leave, and the owner only dissolves as the last member", "[group-chain]") {
    Story s = ops();
    s.push(Kind::Add, alice(), carol());
    Chain c = built(s);
    refused(c, s.next(Kind::Leave, alice(), alice()), Reject::OwnerCannotLeave);
    refused(c, s.next(Kind::Dissolve, alice(), alice()), Reject::NotLastMember);
    refused(c, s.next(Kind::Dissolve, bob(), bob()), Reject::NotOwner);
    refused(c, s.next(Kind::Leave, dave(), dave()), Reject::ActorNotMember);
    auto bob_for_carol = s.draft(Kind::Leave, bob(), "carol");
    refused(c, sign_record(bob_for_carol, bob().sign), Reject::WrongSubject);
    s.push(Kind::Leave, bob(), bob());
    REQUIRE(!c.append(s.records.back(), policy()));
    s.push(Kind::Remove, alice(), carol());
    REQUIRE(!c.append(s.records.back(), policy()));
    s.push(Kind::Dissolve, alice(), alice());
    REQUIRE(!c.append(s.records.back(), policy()));
    CHECK(c.dissolved());
    CHECK(c.members().empty());
    refused(c, s.next(Kind::Add, alice(), bob()), Reject::Dissolved);
    Chain again = built(s);
    CHECK(again.dissolved());
    CHECK(again.head() == c.head());
}

TEST_CASE("group chain: the caller's maximum group size", "[group-chain]") {
    Chain c = built(ops(), policy(2));
    refused(c, ops().next(Kind::Add, alice(), carol()), Reject::GroupFull, policy(2));
    CHECK(!c.append(ops().next(Kind::Add, alice(), carol()), policy(3)));
}

TEST_CASE("group chain: rekeyed, signed by the old key and the new", "[group-chain]") {
    Chain c = built(ops());
    Story s = ops();
    Policy after{8, test::published({&alice(), &bob2(), &carol()})};
    SECTION("accepted: bob's key becomes the new one") {
        s.push(s.rekey(bob(), bob2()));
        REQUIRE(!c.append(s.records.back(), policy()));
        CHECK(c.member("bob")->key == key_hash(bob2().bundle));
        CHECK(c.member("bob")->bundle == bob2().bundle);
        // Later records by bob must be signed with the new key.
        auto old_leave = s.draft(Kind::Leave, bob(), "bob");
        refused(c, sign_record(old_leave, bob().sign), Reject::BadSignature, after);
        // A joiner whose lookup has the new key builds it; a stale pin is a mismatch.
        CHECK(Chain::build(s.records, after).chain);
        CHECK(Chain::build(s.records, policy()).rejection.reason == Reject::KeyMismatch);
        s.push(Kind::Leave, bob2(), bob2());
        CHECK(!c.append(s.records.back(), after));
        CHECK(names(c) == std::vector<std::string>{"alice"});
    }
    SECTION("wrong old key") {
        auto r = s.rekey(bob(), bob2());
        r.old_key = key_hash(carol().bundle);
        refused(c, sign_record(r, bob().sign, &bob2().sign), Reject::WrongOldKey);
    }
    SECTION("not signed by the old key") {
        auto r = s.rekey(bob(), bob2());
        refused(c, sign_record(r, carol().sign, &bob2().sign), Reject::BadSignature);
    }
    SECTION("not signed by the new key") {
        auto r = s.rekey(bob(), bob2());
        refused(c, sign_record(r, bob().sign, &carol().sign), Reject::BadNewKeySignature);
    }
    SECTION("by someone for another member") {
        auto r = s.draft(Kind::Rekeyed, alice(), "bob");
        r.old_key = key_hash(bob().bundle);
        r.bundle = bob2().bundle;
        refused(c, sign_record(r, alice().sign, &bob2().sign), Reject::WrongSubject);
    }
    SECTION("by a non-member") {
        refused(c, s.rekey(carol(), dave()), Reject::ActorNotMember);
    }
}

TEST_CASE("group chain: diff with the server's member list finds ghosts and omissions", "[group-chain]") {
    Story s = ops();
    s.push(Kind::Add, alice(), carol());
    Chain c = built(s);
    using msg::MemberKey;
    std::vector<MemberKey> honest{{"bob", bob().bundle}, {"carol", carol().bundle}};
    CHECK(diff_members(c, "alice", honest).empty());
    // dave injected, carol left out, bob listed under another key.
    std::vector<MemberKey> lying{{"bob", dave().bundle}, {"dave", dave().bundle}, {"dave", dave().bundle}};
    auto d = diff_members(c, "alice", lying);
    CHECK(d.ghosts == std::vector<std::string>{"dave"});
    CHECK(d.omitted == std::vector<std::string>{"carol"});
    CHECK(d.key_differs == std::vector<std::string>{"bob"});
    CHECK(!d.empty());
    // From bob's side the list leaves bob out and names alice.
    std::vector<MemberKey> for_bob{{"alice", alice().bundle}};
    auto b = diff_members(c, "bob", for_bob);
    CHECK(b.ghosts.empty());
    CHECK(b.omitted == std::vector<std::string>{"carol"});
}

TEST_CASE("group records: encode/decode round trip of every kind", "[group-chain]") {
    Story s = ops();
    s.push(Kind::Add, alice(), carol()).push(Kind::Remove, alice(), carol());
    s.push(s.rekey(bob(), bob2())).push(Kind::Leave, bob2(), bob2()).push(Kind::Dissolve, alice(), alice());
    for (const auto& r : s.records) {
        CAPTURE(kind_name(r.kind));
        Bytes enc = r.encode();
        auto d = Record::decode(enc);
        REQUIRE(d);
        CHECK(*d == r);
        CHECK(d->encode() == enc);
        CHECK(d->hash() == crypto::sha256(enc));
        // Every strict prefix is refused, and so is one more byte.
        for (size_t n = 0; n < enc.size(); ++n) CHECK(!Record::decode(ByteView(enc).first(n)));
        Bytes longer = enc;
        longer.push_back(0);
        CHECK(!Record::decode(longer));
    }
    // The signature input starts with the label and holds no signature.
    const Record& add = s.records[1];
    Writer w;
    w.str(kRecordLabel);
    Bytes in = add.signed_input();
    CHECK(Bytes(in.begin(), in.begin() + long(w.size())) == w.bytes());
    CHECK(in.size() == w.size() + add.encode().size() - 2 - kSigLen);
}

TEST_CASE("group records: oversized and non-canonical fields are refused", "[group-chain]") {
    Story s = ops();
    const Record add = s.records[1];
    auto encoded_with = [&](auto&& change) {
        Record r = add;
        change(r);
        return r.encode();
    };
    CHECK(Record::decode(add.encode()));
    CHECK(!Record::decode(encoded_with([](Record& r) { r.group = std::string(33, 'a'); })));
    CHECK(!Record::decode(encoded_with([](Record& r) { r.subject = "Bob"; })));
    CHECK(!Record::decode(encoded_with([](Record& r) { r.actor = ""; })));
    CHECK(!Record::decode(encoded_with([](Record& r) { r.sig.pop_back(); })));
    CHECK(!Record::decode(encoded_with([](Record& r) { r.sig.push_back(0); })));
    CHECK(!Record::decode(encoded_with([](Record& r) { r.bundle.push_back(0); })));
    CHECK(!Record::decode(encoded_with([](Record& r) { r.bundle = Bytes(3000, 1); })));
    Bytes enc = add.encode();
    Bytes bad_tag = enc, bad_kind = enc, bad_kind0 = enc;
    bad_tag[0] = 1;
    bad_kind[1] = 7;
    bad_kind0[1] = 0;
    CHECK(!Record::decode(bad_tag));
    CHECK(!Record::decode(bad_kind));
    CHECK(!Record::decode(bad_kind0));
    // A bundle length past the bundle cap is refused before anything is read.
    Writer w;
    w.u8(kRecordTag).u8(uint8_t(Kind::Add)).str("ops").str("alice").str("bob").u64(1).raw(Hash{}).u32(0xFFFFFFFF);
    CHECK(!Record::decode(w.bytes()));
    CHECK(!Record::decode(Bytes(kMaxRecord + 1, 0)));
}

TEST_CASE("group chain: stored chain round trip, re-verified on load", "[group-chain]") {
    Story s = ops();
    s.push(Kind::Add, alice(), carol());
    Chain c = built(s);
    Bytes stored = c.serialize();
    auto back = Chain::deserialize(stored, policy());
    REQUIRE(back.chain);
    CHECK(back.chain->head() == c.head());
    CHECK(back.chain->serialize() == stored);
    CHECK(names(*back.chain) == names(c));
    for (size_t n : {size_t(0), size_t(1), size_t(5), stored.size() / 2, stored.size() - 1})
        CHECK(!Chain::deserialize(ByteView(stored).first(n), policy()).chain);
    Bytes trailing = stored;
    trailing.push_back(0);
    CHECK(Chain::deserialize(trailing, policy()).rejection.reason == Reject::Malformed);
    Bytes tampered = stored;
    tampered[tampered.size() - 10] ^= 0x01;  // in the last record's signature
    auto t = Chain::deserialize(tampered, policy());
    REQUIRE(!t.chain);
    CHECK(t.rejection.reason == Reject::BadSignature);
    CHECK(t.rejection.index == 2);
    Writer huge;
    huge.u8(kStoredChainTag).u32(0xFFFFFFFF);
    CHECK(!Chain::deserialize(huge.bytes(), policy()).chain);
}
