// Prints, as one JSON object, X3DH and Double Ratchet runs from fixed X25519
// keys (RSA identity keys are fresh per run: PSS signatures are randomized
// anyway), a signed group chain with its head and members, and preliminary frames. tests/crypto/crosscheck.py recomputes every value with
// python3-cryptography and compares; neither side shares code with the other.
#include <cstdio>
#include <deque>
#include <nlohmann/json.hpp>
#include <string>

#include "shared/batch_sig.hpp"
#include "shared/crypto.hpp"
#include "shared/group_chain.hpp"
#include "shared/handshake.hpp"
#include "shared/keys.hpp"
#include "shared/ratchet.hpp"
#include "shared/x3dh.hpp"
#include "tests/crypto/fixed_keys.hpp"
#include "tests/crypto/group_story.hpp"

using namespace tacit;
using nlohmann::json;
using test::fixed_key;

namespace {

std::string hex_priv(const crypto::X25519Key& k) { return to_hex(k.priv); }

struct User {
    std::string name;
    crypto::PkKey sign;
    crypto::X25519Key box;
    UserBundle bundle;
};

User make_user(const std::string& name) {
    User u{name, crypto::PkKey::generate_rsa3072(), fixed_key(name + " identity"), {}};
    u.bundle = UserBundle{u.sign.public_der(), u.box.pub};
    return u;
}

json x3dh_case(const User& a, const User& b, bool with_opk) {
    auto spk = fixed_key("bob spk");
    auto opk = fixed_key("bob opk");
    auto ek = fixed_key(with_opk ? "alice ek 1" : "alice ek 2");
    x3dh::PrekeyBundle pb;
    pb.spk = x3dh::sign_prekey(b.sign, b.name, 7, 1764633600, spk.pub);
    if (with_opk) pb.opk = x3dh::OneTimePrekey{42, opk.pub};
    x3dh::Party pa{a.name, a.bundle}, pbob{b.name, b.bundle};
    auto init = x3dh::initiate_with(a.box, pa, pbob, pb, ek);
    if (!init) throw std::runtime_error("initiate failed");
    auto resp = x3dh::respond(b.box, pbob, pa, init->header, spk, with_opk ? &opk : nullptr);
    if (!resp) throw std::runtime_error("respond failed");
    json j = {{"alice", a.name},
              {"bob", b.name},
              {"alice_bundle", to_hex(a.bundle.encode())},
              {"bob_bundle", to_hex(b.bundle.encode())},
              {"bob_rsa_der", to_hex(b.bundle.rsa_der)},
              {"alice_ik_priv", hex_priv(a.box)},
              {"bob_ik_priv", hex_priv(b.box)},
              {"spk_priv", hex_priv(spk)},
              {"ek_priv", hex_priv(ek)},
              {"spk_id", 7},
              {"spk_created", 1764633600},
              {"prekey_bundle", to_hex(pb.encode())},
              {"header", to_hex(init->header.encode())},
              {"first_id", to_hex(x3dh::first_message_id(init->header))},
              {"sk", to_hex(init->sk)},
              {"responder_sk", to_hex(resp->sk)},
              {"ad", to_hex(init->ad)},
              {"responder_ad", to_hex(resp->ad)}};
    if (with_opk) {
        j["opk_priv"] = hex_priv(opk);
        j["opk_id"] = 42;
    }
    return j;
}

// Fixed ratchet keys, each private half recorded for the cross-check.
ratchet::KeyGen recorded_keygen(const std::string& who, json& record) {
    return test::fixed_keygen(who, [&record](const crypto::X25519Key& k) { record.push_back(hex_priv(k)); });
}

json ratchet_run(const json& x) {
    auto sk_bytes = from_hex(x["sk"].get<std::string>()).value();
    SecretArray<32> sk;
    std::copy(sk_bytes.begin(), sk_bytes.end(), sk.a.begin());
    Bytes ad = from_hex(x["ad"].get<std::string>()).value();
    auto spk = fixed_key("bob spk");
    json out = {{"sk", x["sk"]}, {"ad", x["ad"]}, {"spk_priv", hex_priv(spk)},
                {"alice_keys", json::array()}, {"bob_keys", json::array()},
                {"events", json::array()}};
    auto alice = ratchet::Session::initiator(sk, ad, spk.pub, recorded_keygen("alice", out["alice_keys"]));
    auto bob = ratchet::Session::responder(sk, ad, spk, recorded_keygen("bob", out["bob_keys"]));
    std::deque<std::pair<char, Bytes>> to_bob, to_alice;
    int seq = 0;
    auto send = [&](char who) {
        std::string pt = std::string(1, who) + " message " + std::to_string(seq++);
        auto m = (who == 'a' ? alice : bob).encrypt(as_bytes(pt));
        if (!m) throw std::runtime_error("encrypt failed");
        out["events"].push_back({{"op", "send"}, {"from", std::string(1, who)},
                                 {"plaintext", to_hex(as_bytes(pt))}, {"message", to_hex(*m)}});
        (who == 'a' ? to_bob : to_alice).push_back({who, *m});
    };
    // Receives the newest (back) or oldest (front) message in flight.
    auto recv = [&](char who, bool newest) {
        auto& q = who == 'b' ? to_bob : to_alice;
        Bytes m = newest ? q.back().second : q.front().second;
        if (newest) q.pop_back(); else q.pop_front();
        auto r = (who == 'a' ? alice : bob).decrypt(m, 1764633600);
        if (r.status != ratchet::DecryptStatus::Ok) throw std::runtime_error("decrypt failed");
        out["events"].push_back({{"op", "recv"}, {"to", std::string(1, who)}, {"message", to_hex(m)},
                                 {"plaintext", to_hex(r.plaintext)}});
    };
    send('a'); send('a'); send('a');
    recv('b', true); recv('b', false);  // out of order: a2, then a0
    send('b'); recv('a', false);
    send('a'); recv('b', false);         // a1 from the old chain
    recv('b', false);
    send('b'); send('b'); recv('a', true); recv('a', false);
    return out;
}

json group_record_json(const group::Record& r) {
    json j = {{"kind", int(r.kind)},      {"group", r.group}, {"actor", r.actor},
              {"subject", r.subject},     {"epoch", r.epoch}, {"bundle", to_hex(r.bundle)},
              {"encoding", to_hex(r.encode())}};
    return j;
}

// create, add bob, add carol, bob rekeyed, remove carol: every kind that
// carries a bundle, an old key or two signatures. Plus a forged record
// (a flipped signature bit) both sides must refuse.
json group_run() {
    using group::Kind;
    auto alice = test::make_group_user("alice", "alice identity");
    auto bob = test::make_group_user("bob", "bob identity");
    auto bob2 = test::make_group_user("bob", "bob identity 2");
    auto carol = test::make_group_user("carol", "carol identity");
    test::Story s;
    s.push(Kind::Create, alice, alice).push(Kind::Add, alice, bob).push(Kind::Add, alice, carol);
    s.push(s.rekey(bob, bob2)).push(Kind::Remove, alice, carol);
    auto forged = s.next(Kind::Add, alice, carol);
    forged.sig[17] ^= 0x40;
    group::Policy p{8, test::published({&alice, &bob2, &carol})};
    auto built = group::Chain::build(s.records, p);
    if (!built.chain) throw std::runtime_error(group::describe(built.rejection));
    if (!built.chain->append(forged, p)) throw std::runtime_error("forged group record accepted");
    json out = {{"records", json::array()}, {"head", to_hex(built.chain->head())},
                {"epoch", built.chain->epoch()}, {"members", json::array()},
                {"forged", group_record_json(forged)}};
    for (const auto& r : s.records) out["records"].push_back(group_record_json(r));
    for (const auto& m : built.chain->members())
        out["members"].push_back({{"user", m.user}, {"key", to_hex(m.key)}});
    return out;
}

// Batch signatures (tacit-protocol(7)) as tacitd makes them, by the same
// call (Server::sign_batch): trees of 1, 2, 3, 5 and 16 replies' inputs.
json batch_run() {
    auto key = crypto::PkKey::generate_p256();
    json out = {{"server_pub", to_hex(key.public_der())}, {"batches", json::array()}};
    for (size_t n : {1, 2, 3, 5, 16}) {
        std::vector<Bytes> inputs;
        for (size_t i = 0; i < n; ++i) {
            Bytes in(40 + i);
            crypto::random_bytes(in.data(), in.size());
            inputs.push_back(std::move(in));
        }
        auto proofs = batch::sign(key, inputs);
        json b = json::array();
        for (size_t i = 0; i < n; ++i) b.push_back({{"input", to_hex(inputs[i])}, {"proof", to_hex(proofs[i])}});
        out["batches"].push_back(b);
    }
    return out;
}

// Two preliminary frames (tacit-protocol(7), HELLO_R) of one offer, as a
// replayed HELLO gets them: fixed offer, two fresh prelim_randoms.
json prelim_run() {
    KeyOffer offer = KeyOffer::fresh();
    Bytes pt(81, 0x83);
    json out = {{"session_key", to_hex(offer.session_key)}, {"session_iv", to_hex(offer.session_iv)},
                {"plaintext", to_hex(pt)}, {"frames", json::array()}};
    for (int i = 0; i < 2; ++i) {
        auto r = crypto::random_array<32>();
        out["frames"].push_back({{"prelim_random", to_hex(r)}, {"k0", to_hex(preliminary_key(offer, r))},
                                 {"frame", to_hex(seal_preliminary_with(offer, r, pt))}});
    }
    return out;
}

}  // namespace

int main() {
    try {
        User alice = make_user("alice"), bob = make_user("bob");
        json x1 = x3dh_case(alice, bob, true), x2 = x3dh_case(alice, bob, false);
        json out = {{"x3dh", {x1, x2}}, {"ratchet", ratchet_run(x1)}, {"group", group_run()},
                    {"batch", batch_run()}, {"prelim", prelim_run()}};
        std::printf("%s\n", out.dump().c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tacit-vectors: %s\n", e.what());
        return 1;
    }
}
