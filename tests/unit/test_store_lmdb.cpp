// The LMDB backend's internals against a real environment in a fresh
// temporary directory: Txn, the group commit, map growth, quota counters,
// schema upgrade. What handlers rely on is tested through the operations
// (tests/unit/test_store_ops.cpp).
#include <catch2/catch.hpp>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "shared/messages_payload.hpp"
#include "srv/store/store.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace tacit;
using namespace tacit::store;

namespace {

struct TempDir : test::TempDir {
    TempDir() : test::TempDir("store") {}
    std::string db() const { return path + "/data"; }
};

Options opts(const TempDir& d, bool sync = false) {
    Options o;
    o.dir = d.db();
    o.initial_map = 1 << 20;
    o.max_map = 64 << 20;
    o.sync = sync;
    return o;
}

StoredMsg mail(std::string sender, size_t enc_len, uint8_t fill = 0xAB) {
    StoredMsg m;
    m.kind = proto::STORED_MESSAGE;
    m.sender = std::move(sender);
    m.received_at_ms = 1700000000000ull;
    m.enc_msg.assign(enc_len, fill);
    m.wrapped_key.assign(80, 0x5A);
    return m;
}

UserRec user(uint8_t seed) {
    UserRec u;
    u.public_key = Bytes(300, seed);
    u.verifier.fill(uint8_t(seed + 1));
    u.salt.fill(uint8_t(seed + 2));
    u.created_at_ms = 1000 + seed;
    u.key_version = seed;
    return u;
}

std::vector<uint64_t> ids_of(const std::vector<StoredMsg>& v) {
    std::vector<uint64_t> out;
    for (auto& m : v) out.push_back(m.id);
    return out;
}

std::vector<StoredMsg> all_mail(Store& s, const std::string& who) {
    return s.read([&](Txn& t) {
        bool more = true;
        auto p = t.mailbox_page(who, SIZE_MAX, SIZE_MAX, &more);
        REQUIRE_FALSE(more);
        return p;
    });
}

}  // namespace

TEST_CASE("store: groups and membership in both directions", "[store]") {
    TempDir d;
    Store s(opts(d));
    CHECK(s.write([&](Txn& t) {
        t.put_group("ops", {"alice", 42, false});
        t.put_group("dev", {"bob", 43, false});
        t.add_member("ops", "carol");
        t.add_member("ops", "alice");
        t.add_member("ops", "bob");
        t.add_member("ops", "bob");  // twice is a no-op
        t.add_member("dev", "bob");
        t.add_member("dev", "alice");
        return proto::OK;
    }) == proto::OK);
    REQUIRE(s.commit_pass());
    s.read([&](Txn& t) {
        REQUIRE(t.get_group("ops"));
        CHECK(*t.get_group("ops") == GroupRec{"alice", 42, false});
        CHECK_FALSE(t.get_group("nope"));
        CHECK(t.members("ops") == std::vector<std::string>{"alice", "bob", "carol"});
        CHECK(t.member_count("ops") == 3);
        CHECK(t.member_count("nope") == 0);
        CHECK(t.members("nope").empty());
        CHECK(t.groups_of("bob") == std::vector<std::string>{"dev", "ops"});
        CHECK(t.groups_of("carol") == std::vector<std::string>{"ops"});
        CHECK(t.is_member("ops", "carol"));
        CHECK_FALSE(t.is_member("dev", "carol"));
        CHECK_FALSE(t.is_member("nope", "carol"));
    });
    CHECK(s.write([&](Txn& t) {
        t.remove_member("ops", "bob");
        t.remove_member("ops", "zed");  // not a member: no-op
        auto g = *t.get_group("dev");
        g.dissolved = true;
        t.put_group("dev", g);
        return proto::OK;
    }) == proto::OK);
    REQUIRE(s.commit_pass());
    s.read([&](Txn& t) {
        CHECK(t.members("ops") == std::vector<std::string>{"alice", "carol"});
        CHECK(t.groups_of("bob") == std::vector<std::string>{"dev"});
        CHECK_FALSE(t.is_member("ops", "bob"));
        CHECK(t.get_group("dev")->dissolved);
    });
}

TEST_CASE("store: mailbox append, page, delete keep order and ids", "[store]") {
    TempDir d;
    std::optional<Store> so(std::in_place, opts(d));
    Store& s = *so;  // Store is transparently replaceable: s follows emplace
    std::vector<uint64_t> alice_ids;
    uint64_t bob_id = 0;
    REQUIRE(s.write([&](Txn& t) {
        for (int i = 0; i < 5; ++i) {
            alice_ids.push_back(t.append_mail("alice", mail("bob", 100, uint8_t(i))));
            if (i == 2) bob_id = t.append_mail("bob", mail("alice", 10));
        }
        return proto::OK;
    }) == proto::OK);
    REQUIRE(s.commit_pass());
    for (size_t i = 1; i < alice_ids.size(); ++i) CHECK(alice_ids[i] > alice_ids[i - 1]);
    CHECK(bob_id > alice_ids[2]);
    CHECK(bob_id < alice_ids[3]);

    auto page = all_mail(s, "alice");
    REQUIRE(ids_of(page) == alice_ids);
    for (size_t i = 0; i < page.size(); ++i) {
        auto want = mail("bob", 100, uint8_t(i));
        want.id = alice_ids[i];
        CHECK(page[i] == want);
    }
    CHECK(ids_of(all_mail(s, "bob")) == std::vector<uint64_t>{bob_id});
    CHECK(all_mail(s, "carol").empty());
    // A name that is a prefix of another must not see the other's mailbox.
    CHECK(all_mail(s, "ali").empty());

    std::vector<uint64_t> del{alice_ids[0], alice_ids[2], bob_id /* not alice's */, 999999};
    size_t n = 0;
    REQUIRE(s.write([&](Txn& t) {
        n = t.delete_mail("alice", del);
        return proto::OK;
    }) == proto::OK);
    REQUIRE(s.commit_pass());
    CHECK(n == 2);
    CHECK(ids_of(all_mail(s, "alice")) == std::vector<uint64_t>{alice_ids[1], alice_ids[3], alice_ids[4]});
    CHECK(ids_of(all_mail(s, "bob")) == std::vector<uint64_t>{bob_id});

    // Ids are never reused, even after deletes and a reopen.
    uint64_t last = alice_ids.back();
    so.reset();
    so.emplace(opts(d));
    uint64_t next = 0;
    REQUIRE(s.write([&](Txn& t) {
        next = t.append_mail("alice", mail("bob", 1));
        return proto::OK;
    }) == proto::OK);
    REQUIRE(s.commit_pass());
    CHECK(next > last);
    CHECK(next > bob_id);
}

TEST_CASE("store: page limits by count and bytes, and more", "[store]") {
    TempDir d;
    Store s(opts(d));
    std::vector<uint64_t> ids;
    REQUIRE(s.write([&](Txn& t) {
        for (int i = 0; i < 5; ++i) ids.push_back(t.append_mail("alice", mail("bob", 1000)));
        return proto::OK;
    }) == proto::OK);
    REQUIRE(s.commit_pass());
    const size_t item = stored_wire_size(mail("bob", 1000));
    CHECK(item == 8 + 1 + 5 + 2 + 8 + 4 + 1000 + 4 + 80);

    s.read([&](Txn& t) {
        bool more = false;
        auto p = t.mailbox_page("alice", 2, SIZE_MAX, &more);
        CHECK(ids_of(p) == std::vector<uint64_t>{ids[0], ids[1]});
        CHECK(more);

        p = t.mailbox_page("alice", 5, SIZE_MAX, &more);
        CHECK(p.size() == 5);
        CHECK_FALSE(more);

        p = t.mailbox_page("alice", 100, 3 * item, &more);  // exactly three fit
        CHECK(ids_of(p) == std::vector<uint64_t>{ids[0], ids[1], ids[2]});
        CHECK(more);

        p = t.mailbox_page("alice", 100, 3 * item - 1, &more);
        CHECK(p.size() == 2);
        CHECK(more);

        p = t.mailbox_page("alice", 100, 10, &more);  // always at least one
        CHECK(ids_of(p) == std::vector<uint64_t>{ids[0]});
        CHECK(more);

        p = t.mailbox_page("alice", 0, SIZE_MAX, &more);
        CHECK(p.size() == 1);
        CHECK(more);

        p = t.mailbox_page("alice", 100, 5 * item, &more);
        CHECK(p.size() == 5);
        CHECK_FALSE(more);

        p = t.mailbox_page("nobody", 100, 5 * item, &more);
        CHECK(p.empty());
        CHECK_FALSE(more);
    });
}

TEST_CASE("store: delete_mail deletes exactly the page, not mail appended since", "[store]") {
    TempDir d;
    Store s(opts(d));
    REQUIRE(s.write([&](Txn& t) {
        for (int i = 0; i < 3; ++i) t.append_mail("alice", mail("bob", 50));
        return proto::OK;
    }) == proto::OK);
    REQUIRE(s.commit_pass());
    auto page = s.read([&](Txn& t) { return t.mailbox_page("alice", 256, 512 * 1024, nullptr); });
    REQUIRE(page.size() == 3);

    uint64_t late = 0;
    REQUIRE(s.write([&](Txn& t) {
        late = t.append_mail("alice", mail("carol", 60));
        return proto::OK;
    }) == proto::OK);
    REQUIRE(s.commit_pass());

    auto ids = ids_of(page);
    size_t n = 0, again = 1;
    REQUIRE(s.write([&](Txn& t) {
        n = t.delete_mail("alice", ids);
        again = t.delete_mail("alice", ids);  // a second ack finds them gone
        return proto::OK;
    }) == proto::OK);
    REQUIRE(s.commit_pass());
    CHECK(n == 3);
    CHECK(again == 0);
    auto rest = all_mail(s, "alice");
    REQUIRE(rest.size() == 1);
    CHECK(rest[0].id == late);
    CHECK(rest[0].sender == "carol");
    CHECK(s.read([&](Txn& t) { return t.mailbox_count("alice"); }) == 1);
}

TEST_CASE("store: mailbox_count stays exact", "[store]") {
    TempDir d;
    std::optional<Store> so(std::in_place, opts(d));
    Store& s = *so;  // Store is transparently replaceable: s follows emplace
    std::vector<uint64_t> ids;
    REQUIRE(s.write([&](Txn& t) {
        CHECK(t.mailbox_count("alice") == 0);
        for (int i = 0; i < 10; ++i) ids.push_back(t.append_mail("alice", mail("bob", 5)));
        t.append_mail("bob", mail("alice", 5));
        CHECK(t.mailbox_count("alice") == 10);
        return proto::OK;
    }) == proto::OK);
    REQUIRE(s.commit_pass());
    std::vector<uint64_t> some{ids[1], ids[4], ids[4], ids[9], 12345};
    REQUIRE(s.write([&](Txn& t) {
        CHECK(t.delete_mail("alice", some) == 3);
        return proto::OK;
    }) == proto::OK);
    REQUIRE(s.commit_pass());
    s.read([&](Txn& t) {
        CHECK(t.mailbox_count("alice") == 7);
        CHECK(t.mailbox_count("bob") == 1);
        CHECK(t.mailbox_count("carol") == 0);
        CHECK_FALSE(t.mailbox_full("alice"));
    });
    REQUIRE(s.write([&](Txn& t) {
        CHECK(t.delete_mail("alice", ids) == 7);
        return proto::OK;
    }) == proto::OK);
    REQUIRE(s.commit_pass());
    CHECK(s.read([&](Txn& t) { return t.mailbox_count("alice"); }) == 0);
    CHECK(all_mail(s, "alice").empty());

    Options o = opts(d);
    o.mailbox_cap = 2;
    so.reset();
    so.emplace(o);
    REQUIRE(s.write([&](Txn& t) {
        t.append_mail("carol", mail("bob", 5));
        CHECK_FALSE(t.mailbox_full("carol"));
        t.append_mail("carol", mail("bob", 5));
        CHECK(t.mailbox_full("carol"));
        return proto::OK;
    }) == proto::OK);
}

TEST_CASE("store: allocate_id then append_mail with that id", "[store]") {
    TempDir d;
    Store s(opts(d));
    REQUIRE(s.write([&](Txn& t) {
        uint64_t id = t.allocate_id();
        auto m = mail("", 20);
        m.kind = proto::STORED_SYSTEM;
        m.id = id;
        CHECK(t.append_mail("alice", m) == id);
        CHECK(t.append_mail("bob", mail("x", 1)) > id);
        m.id = id + 100;  // never handed out
        CHECK_THROWS_AS(t.append_mail("alice", m), std::logic_error);
        return proto::OK;
    }) == proto::OK);
    REQUIRE(s.commit_pass());
    auto a = all_mail(s, "alice");
    REQUIRE(a.size() == 1);
    CHECK(a[0].kind == proto::STORED_SYSTEM);
}

TEST_CASE("store: a failing write leaves nothing behind", "[store]") {
    TempDir d;
    std::optional<Store> so(std::in_place, opts(d));
    Store& s = *so;  // Store is transparently replaceable: s follows emplace
    REQUIRE(s.write([&](Txn& t) {
        t.put_user("keep", user(1));
        return proto::OK;
    }) == proto::OK);

    CHECK(s.write([&](Txn& t) {
        t.put_user("alice", user(2));
        t.append_mail("alice", mail("bob", 10));
        t.add_member("ops", "alice");
        t.put_user("keep", user(9));
        return proto::NOT_MEMBER;
    }) == proto::NOT_MEMBER);

    CHECK_THROWS_WITH(s.write([&](Txn& t) -> uint8_t {
                          t.put_user("carol", user(3));
                          t.append_mail("carol", mail("bob", 10));
                          throw std::runtime_error("handler bug");
                      }),
                      "handler bug");

    auto check = [&] {
        s.read([&](Txn& t) {
            CHECK(t.get_user("keep") == user(1));
            CHECK_FALSE(t.get_user("alice"));
            CHECK_FALSE(t.get_user("carol"));
            CHECK(t.mailbox_count("alice") == 0);
            CHECK(t.mailbox_count("carol") == 0);
            CHECK(t.mailbox_page("alice", 10, SIZE_MAX, nullptr).empty());
            CHECK(t.members("ops").empty());
            CHECK(t.groups_of("alice").empty());
        });
    };
    check();  // within the pass
    REQUIRE(s.commit_pass());
    check();  // after commit
    so.reset();
    so.emplace(opts(d));
    check();  // after reopen

    // The failed writes' ids were rolled back with them, so the counter
    // still only moves forward.
    REQUIRE(s.write([&](Txn& t) {
        CHECK(t.append_mail("dave", mail("bob", 1)) >= 1);
        return proto::OK;
    }) == proto::OK);
}

TEST_CASE("store: reads see this pass's writes, and callbacks can't nest writes", "[store]") {
    TempDir d;
    Store s(opts(d));
    CHECK_FALSE(s.dirty());
    REQUIRE(s.write([&](Txn& t) {
        t.put_user("alice", user(1));
        // A read inside the write sees the child's own writes.
        CHECK(s.read([&](Txn& r) { return r.get_user("alice").has_value(); }));
        CHECK_THROWS_AS(s.write([&](Txn&) { return proto::OK; }), std::logic_error);
        return proto::OK;
    }) == proto::OK);
    CHECK(s.dirty());
    CHECK(s.read([&](Txn& r) { return r.get_user("alice").has_value(); }));
    CHECK_THROWS_AS(s.read([&](Txn&) { return s.write([&](Txn&) { return proto::OK; }); }), std::logic_error);
    REQUIRE(s.commit_pass());
    CHECK_FALSE(s.dirty());
}

TEST_CASE("store: group commit, abort_pass and reopen", "[store]") {
    TempDir d;
    {
        Store s(opts(d, true));
        uint64_t g = 0;
        REQUIRE(s.write([&](Txn& t) {
            t.put_user("alice", user(1));
            return proto::OK;
        }) == proto::OK);
        g = s.generation();
        REQUIRE(s.write([&](Txn& t) {
            t.append_mail("alice", mail("bob", 10));
            return proto::OK;
        }) == proto::OK);
        CHECK(s.generation() == g);  // both in the same pass
        REQUIRE(s.commit_pass());
        CHECK(s.committed_generation() >= g);

        REQUIRE(s.write([&](Txn& t) {
            t.put_user("bob", user(2));
            return proto::OK;
        }) == proto::OK);
        REQUIRE(s.write([&](Txn& t) {
            t.append_mail("alice", mail("carol", 10));
            return proto::OK;
        }) == proto::OK);
        uint64_t aborted_gen = s.generation();
        s.abort_pass();
        CHECK_FALSE(s.dirty());
        CHECK(s.committed_generation() < aborted_gen);
        CHECK_FALSE(s.read([&](Txn& t) { return t.get_user("bob").has_value(); }));

        // A pass left open when the Store dies is not committed.
        REQUIRE(s.write([&](Txn& t) {
            t.put_user("erin", user(5));
            return proto::OK;
        }) == proto::OK);
    }
    Store s(opts(d));
    s.read([&](Txn& t) {
        CHECK(t.get_user("alice") == user(1));
        CHECK_FALSE(t.get_user("bob"));
        CHECK_FALSE(t.get_user("erin"));
        auto m = t.mailbox_page("alice", 10, SIZE_MAX, nullptr);
        REQUIRE(m.size() == 1);
        CHECK(m[0].sender == "bob");
        CHECK(t.mailbox_count("alice") == 1);
    });
}

TEST_CASE("store: decoy secret is created once and survives reopen", "[store]") {
    TempDir d;
    Array<32> first;
    {
        Store s(opts(d));
        first = s.decoy_secret();
        CHECK(first != Array<32>{});
        CHECK(s.read([](Txn& t) { return t.decoy_secret(); }) == first);
    }
    Store s(opts(d));
    CHECK(s.decoy_secret() == first);
    TempDir other;
    Store s2(opts(other));
    CHECK(s2.decoy_secret() != first);
}

TEST_CASE("store: the map grows when max_map allows", "[store]") {
    TempDir d;
    Options o = opts(d);
    o.initial_map = 64 << 10;
    o.max_map = 64 << 20;
    Store s(o);
    const size_t start = s.map_size();
    size_t ok = 0;
    for (int pass = 0; pass < 40; ++pass) {
        for (int i = 0; i < 10; ++i) {
            auto st = s.write([&](Txn& t) {
                t.append_mail("alice", mail("bob", 8000, uint8_t(pass)));
                return proto::OK;
            });
            INFO(s.last_error() << " map " << s.map_size());
            REQUIRE(st == proto::OK);
            ++ok;
        }
        REQUIRE(s.commit_pass());
    }
    CHECK(s.map_size() > start);
    CHECK(s.map_size() >= 4 * start);
    CHECK(s.read([](Txn& t) { return t.mailbox_count("alice"); }) == ok);
    CHECK(all_mail(s, "alice").size() == ok);
}

TEST_CASE("store: MAP_FULL mid-pass commits the pass so far, grows and retries", "[store]") {
    TempDir d;
    Options o = opts(d);
    o.initial_map = 1 << 20;
    o.max_map = 64 << 20;
    Store s(o);
    const size_t start = s.map_size();
    const uint64_t gen0 = s.generation();
    std::vector<uint64_t> gens;
    for (int i = 0; i < 60; ++i) {  // ~3.6 MiB in one pass, far past 1 MiB
        auto st = s.write([&](Txn& t) {
            t.append_mail("alice", mail("bob", 60000, uint8_t(i)));
            return proto::OK;
        });
        INFO(s.last_error());
        REQUIRE(st == proto::OK);
        gens.push_back(s.generation());
    }
    CHECK(s.map_size() > start);
    CHECK(gens.back() > gens.front());  // the pass was committed mid-way
    CHECK(gens.front() > gen0);
    CHECK(s.committed_generation() >= gens.front());
    REQUIRE(s.commit_pass());
    auto all = all_mail(s, "alice");
    REQUIRE(all.size() == 60);
    for (int i = 0; i < 60; ++i) CHECK(all[i].enc_msg == Bytes(60000, uint8_t(i)));
    CHECK(s.read([](Txn& t) { return t.mailbox_count("alice"); }) == 60);
}

TEST_CASE("store: a tiny max_map ends in STORAGE_FULL without harming stored data", "[store]") {
    TempDir d;
    Options o = opts(d, true);
    o.initial_map = 64 << 10;
    o.max_map = 256 << 10;
    size_t durable = 0;
    bool full = false;
    {
        Store s(o);
        s.write([&](Txn& t) {
            t.put_user("alice", user(1));
            t.put_group("ops", {"alice", 1, false});
            t.add_member("ops", "alice");
            return proto::OK;
        });
        REQUIRE(s.commit_pass());
        // Several writes per pass, so MAP_FULL also strikes mid-pass.
        for (int pass = 0; pass < 200 && !full; ++pass) {
            std::vector<uint64_t> gens;
            for (int i = 0; i < 4; ++i) {
                auto st = s.write([&](Txn& t) {
                    t.append_mail("alice", mail("bob", 3000, uint8_t(i)));
                    return proto::OK;
                });
                if (st == proto::STORAGE_FULL) {
                    // Below max_map this is a pass lost to a failed
                    // mid-pass commit; at max_map the store is full.
                    full = s.map_size() == o.max_map;
                    break;
                }
                REQUIRE(st == proto::OK);
                gens.push_back(s.generation());
            }
            bool committed = s.commit_pass();
            for (auto g : gens)
                if (committed || g <= s.committed_generation()) ++durable;
        }
        REQUIRE(full);
        CHECK(s.map_size() == o.max_map);
        CHECK(durable > 0);
        // Everything committed is still there, and the store still works
        // for reads and for writes that free space.
        CHECK(s.read([](Txn& t) { return t.mailbox_count("alice"); }) == durable);
        auto all = all_mail(s, "alice");
        CHECK(all.size() == durable);
        std::vector<uint64_t> ids = ids_of(all);
        std::vector<uint64_t> half(ids.begin(), ids.begin() + ids.size() / 2);
        size_t n = 0;
        CHECK(s.write([&](Txn& t) {
            n = t.delete_mail("alice", half);
            return proto::OK;
        }) == proto::OK);
        REQUIRE(s.commit_pass());
        CHECK(n == half.size());
        durable -= n;
    }
    Store s(o);  // reopens cleanly
    s.read([&](Txn& t) {
        CHECK(t.get_user("alice") == user(1));
        CHECK(t.members("ops") == std::vector<std::string>{"alice"});
        CHECK(t.mailbox_count("alice") == durable);
        CHECK(t.mailbox_page("alice", SIZE_MAX, SIZE_MAX, nullptr).size() == durable);
    });
    // Freed pages are reused: a write fits again.
    CHECK(s.write([&](Txn& t) {
        t.append_mail("alice", mail("bob", 3000));
        return proto::OK;
    }) == proto::OK);
    CHECK(s.commit_pass());
}

TEST_CASE("store: one Store per directory at a time", "[store]") {
    TempDir d;
    {
        Store s(opts(d));
        CHECK_THROWS_AS(Store(opts(d)), StoreError);
    }
    CHECK_NOTHROW(Store(opts(d)));
}

TEST_CASE("store: an existing directory that is a file is refused", "[store]") {
    TempDir d;
    std::string f = d.path + "/file";
    FILE* fp = fopen(f.c_str(), "w");
    REQUIRE(fp);
    fclose(fp);
    Options o;
    o.dir = f;
    CHECK_THROWS_AS(Store(o), StoreError);
}

TEST_CASE("store: cost of a durable commit", "[.timing]") {
    TempDir d;
    Store s(opts(d, true));
    constexpr int kN = 200;
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kN; ++i) {
        REQUIRE(s.write([&](Txn& t) {
            t.append_mail("alice", mail("bob", 200));
            return proto::OK;
        }) == proto::OK);
        REQUIRE(s.commit_pass());
    }
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
    std::cout << kN << " durable commit_pass: " << us / 1000.0 << " ms total, " << double(us) / kN
              << " us each\n";
    CHECK(s.read([](Txn& t) { return t.mailbox_count("alice"); }) == uint64_t(kN));
}

// ---------------------------------------------------------------- quotas

namespace {

struct Counts {
    uint64_t box, from, pair;
    bool operator==(const Counts&) const = default;
};
std::ostream& operator<<(std::ostream& o, const Counts& c) {
    return o << "{box " << c.box << ", from " << c.from << ", pair " << c.pair << "}";
}
Counts counts(Store& s, const std::string& sender, const std::string& receiver) {
    return s.read([&](Txn& t) {
        return Counts{t.mailbox_bytes(receiver), t.sender_bytes(sender), t.sender_mailbox_bytes(sender, receiver)};
    });
}

// A system entry whose enc_msg is not a SystemEntry: charged to nobody.
StoredMsg system_entry(size_t len) {
    StoredMsg m;
    m.kind = proto::STORED_SYSTEM;
    m.group = "ops";
    m.enc_msg.assign(len, 0x11);
    return m;
}

// A membership entry "EVENT ACTOR SUBJECT": charged to ACTOR.
StoredMsg membership_entry(const std::string& text) {
    StoredMsg m = system_entry(0);
    m.enc_msg = msg::SystemEntry{text, Bytes(70, 0x30)}.encode();
    return m;
}

}  // namespace

TEST_CASE("store: mail_charge is the stored record's size; mail_payer who pays", "[store][quota]") {
    for (auto m : {mail("bob", 0), mail("bob", 66560), system_entry(100), membership_entry("added bob carol")}) {
        m.group = "g";
        CHECK(mail_charge(m) == encode_mail(m).size());
        CHECK(mail_payer(encode_mail(m)) == mail_payer(m));
    }
    CHECK(mail_payer(mail("bob", 10)) == "bob");
    CHECK(mail_payer(membership_entry("left carol carol")) == "carol");
    CHECK(mail_payer(membership_entry("dissolved alice ops")) == "alice");
    CHECK(mail_payer(system_entry(100)).empty());
    CHECK(mail_payer(membership_entry("added")).empty());
    CHECK(mail_payer(membership_entry("added  carol")).empty());
}

TEST_CASE("store: byte counts stay exact through append, delete and reopen", "[store][quota]") {
    TempDir d;
    std::optional<Store> so(std::in_place, opts(d, true));
    Store& s = *so;
    const auto a = mail("bob", 1000), b = mail("bob", 3000), c = mail("carol", 500);
    const auto sys = system_entry(200), added = membership_entry("added carol alice");
    const uint64_t ca = mail_charge(a), cb = mail_charge(b), cc = mail_charge(c), cs = mail_charge(sys);
    const uint64_t cm = mail_charge(added);
    std::vector<uint64_t> ids;
    REQUIRE(s.write([&](Txn& t) {
        ids.push_back(t.append_mail("alice", a));
        ids.push_back(t.append_mail("alice", b));
        ids.push_back(t.append_mail("alice", c));
        ids.push_back(t.append_mail("alice", sys));
        ids.push_back(t.append_mail("alice", added));
        t.append_mail("dave", a);
        return proto::OK;
    }) == proto::OK);
    REQUIRE(s.commit_pass());
    const uint64_t box = ca + cb + cc + cs + cm;
    CHECK(counts(s, "bob", "alice") == Counts{box, 2 * ca + cb, ca + cb});
    CHECK(counts(s, "carol", "alice") == Counts{box, cc + cm, cc + cm});  // carol's change wrote `added`
    CHECK(counts(s, "bob", "dave") == Counts{ca, 2 * ca + cb, ca});

    // A failed write charges nothing.
    CHECK(s.write([&](Txn& t) {
        t.append_mail("alice", a);
        return proto::STORAGE_FULL;
    }) == proto::STORAGE_FULL);
    // Deleting b, the system entry and an id that is not there.
    std::vector<uint64_t> some{ids[1], ids[3], 999999};
    REQUIRE(s.write([&](Txn& t) { return t.delete_mail("alice", some) == 2 ? proto::OK : proto::INTERNAL; }) ==
            proto::OK);
    REQUIRE(s.commit_pass());
    CHECK(counts(s, "bob", "alice") == Counts{ca + cc + cm, 2 * ca, ca});

    so.reset();  // the counts are in the environment, not in memory
    so.emplace(opts(d, true));
    CHECK(counts(s, "bob", "alice") == Counts{ca + cc + cm, 2 * ca, ca});
    CHECK(counts(s, "carol", "alice") == Counts{ca + cc + cm, cc + cm, cc + cm});
    REQUIRE(s.write([&](Txn& t) {
        t.delete_mail("alice", ids);
        t.delete_mail("dave", ids_of(t.mailbox_page("dave", 10, SIZE_MAX, nullptr)));
        return proto::OK;
    }) == proto::OK);
    REQUIRE(s.commit_pass());
    CHECK(counts(s, "bob", "alice") == Counts{0, 0, 0});
    CHECK(counts(s, "carol", "dave") == Counts{0, 0, 0});
}

TEST_CASE("store: mail_limit names the quota a message would break", "[store][quota]") {
    TempDir d;
    Options o = opts(d);
    o.mailbox_cap = 100;
    const uint64_t one = mail_charge(mail("bob", 1000));
    o.sender_mailbox_bytes = 2 * one + 4;  // two such messages of one sender in one mailbox
    o.sender_bytes = 3 * one;          // and three in all
    const uint64_t carols = mail_charge(mail("carol", 1000));  // two bytes more: the name
    o.mailbox_bytes = 2 * one + 2 * carols;  // alice's holds two of each
    Store s(o);
    auto limit = [&](const std::string& to, const StoredMsg& m) {
        return s.read([&](Txn& t) { return t.mail_limit(to, m); });
    };
    auto put = [&](const std::string& to, const StoredMsg& m) {
        INFO("put from " << m.sender << " to " << to << ": " << int(limit(to, m)));
        REQUIRE(s.write([&](Txn& t) {
            if (t.mail_limit(to, m) != Limit::None) return proto::STORAGE_FULL;
            t.append_mail(to, m);
            return proto::OK;
        }) == proto::OK);
    };
    const auto from_bob = mail("bob", 1000), from_carol = mail("carol", 1000);
    put("alice", from_bob);
    put("alice", from_bob);
    CHECK(limit("alice", from_bob) == Limit::SenderMailboxBytes);
    CHECK(limit("alice", mail("bob", 900)) == Limit::SenderMailboxBytes);  // the bytes count, not messages
    CHECK(limit("dave", from_bob) == Limit::None);
    put("dave", from_bob);
    CHECK(limit("erin", from_bob) == Limit::SenderBytes);
    put("alice", from_carol);
    put("alice", from_carol);
    CHECK(limit("alice", from_carol) == Limit::MailboxBytes);
    CHECK(limit("alice", system_entry(10)) == Limit::MailboxBytes);
    auto q = s.read([](Txn& t) { return t.quotas(); });
    CHECK(limit_sentence(Limit::SenderBytes, q, "erin").find(size_text(3 * one)) != std::string::npos);
    CHECK(limit_sentence(Limit::SenderMailboxBytes, q, "alice").find("waiting for alice") != std::string::npos);
    CHECK(size_text(64 << 20) == "64 MiB");
    CHECK(size_text(1536) == "1.5 KiB");

    // The count cap comes first.
    Options o2 = o;
    o2.mailbox_cap = 1;
    TempDir d2;
    o2.dir = d2.db();
    Store s2(o2);
    REQUIRE(s2.write([&](Txn& t) {
        t.append_mail("alice", mail("carol", 1));
        return proto::OK;
    }) == proto::OK);
    CHECK(s2.read([&](Txn& t) { return t.mail_limit("alice", from_bob); }) == Limit::MailboxCount);
}

TEST_CASE("store: the reserve refuses mail, and deletes still fit at the ceiling", "[store][quota]") {
    TempDir d;
    Options o = opts(d, true);
    o.initial_map = 256 << 10;
    o.max_map = 2 << 20;
    o.reserve = 512 << 10;
    std::optional<Store> so(std::in_place, o);
    Store& s = *so;
    size_t stored = 0;
    bool refused = false;
    for (int i = 0; i < 200 && !refused; ++i) {
        auto st = s.write([&](Txn& t) {
            if (t.mail_limit("alice", mail("bob", 60000)) == Limit::Reserve) return proto::STORAGE_FULL;
            t.append_mail("alice", mail("bob", 60000, uint8_t(i)));
            return proto::OK;
        });
        REQUIRE(s.commit_pass());
        if (st == proto::STORAGE_FULL) {
            refused = true;
        } else {
            REQUIRE(st == proto::OK);
            ++stored;
        }
    }
    REQUIRE(refused);
    INFO(stored << " messages stored, live " << s.read([](Txn& t) { return t.live_bytes(); }));
    CHECK(stored >= 15);  // 2 MiB less the 512 KiB reserve, ~61 KiB each
    CHECK(s.read([](Txn& t) { return t.live_bytes(); }) + o.reserve <= o.max_map + (64 << 10));
    // Acks at the ceiling, one page per pass as UPDATE2 does, all succeed.
    auto all = all_mail(s, "alice");
    REQUIRE(all.size() == stored);
    for (auto& m : all) {
        std::vector<uint64_t> one{m.id};
        CHECK(s.write([&](Txn& t) { return t.delete_mail("alice", one) == 1 ? proto::OK : proto::INTERNAL; }) ==
              proto::OK);
        REQUIRE(s.commit_pass());
    }
    CHECK(s.read([](Txn& t) { return t.mailbox_bytes("alice") + t.sender_bytes("bob"); }) == 0);
    // Freed pages count as room again.
    CHECK(s.read([&](Txn& t) { return t.mail_limit("alice", mail("bob", 60000)); }) == Limit::None);
}

TEST_CASE("store: a schema-1 environment gets exact byte counts on upgrade", "[store][quota]") {
    TempDir d;
    std::string old_dir = d.path + "/old";
    Counts bob_alice, carol_alice;
    {
        Store s(opts(d));
        REQUIRE(s.write([&](Txn& t) {
            t.put_user("alice", user(1));
            t.append_mail("alice", mail("bob", 1000));
            t.append_mail("alice", mail("bob", 2000));
            t.append_mail("alice", mail("carol", 300));
            t.append_mail("alice", system_entry(50));
            t.append_mail("alice", membership_entry("added carol alice"));
            return proto::OK;
        }) == proto::OK);
        REQUIRE(s.commit_pass());
        bob_alice = counts(s, "bob", "alice");
        carol_alice = counts(s, "carol", "alice");
    }
    // Schema 1 as it was: every database but quota, and schema = 1. Built
    // with lmdb-utils, since only srv/store may speak LMDB.
    std::filesystem::create_directory(old_dir);
    for (const char* db : {"users", "mailboxes", "mbox_count", "meta"}) {
        std::string cmd = "mdb_dump -s " + std::string(db) + " " + d.db() + " | mdb_load -s " + db + " " + old_dir +
                          " 2>/dev/null";
        REQUIRE(std::system(cmd.c_str()) == 0);
    }
    std::string v1 = "printf 'VERSION=3\\nformat=bytevalue\\ntype=btree\\nHEADER=END\\n 736368656d61\\n 00000001\\n"
                     "DATA=END\\n' | mdb_load -s meta " + old_dir;
    REQUIRE(std::system(v1.c_str()) == 0);
    Options o = opts(d);
    o.dir = old_dir;
    Store s(o);
    CHECK(counts(s, "bob", "alice") == bob_alice);
    CHECK(counts(s, "carol", "alice") == carol_alice);
    CHECK(bob_alice.pair == mail_charge(mail("bob", 1000)) + mail_charge(mail("bob", 2000)));
    s.read([](Txn& t) { CHECK(t.get_user("alice") == user(1)); });
}

TEST_CASE("store: the map holds one sender's mail in under 4x its charged bytes", "[store][quota]") {
    // Why --sender-quota 1/16 of --max-db-size keeps one account from
    // filling the store: page overhead, worst for small messages to many
    // mailboxes, stays well under 4x what the quota counts.
    TempDir d;
    Store s(opts(d));
    const uint64_t before = s.read([](Txn& t) { return t.live_bytes(); });
    for (int pass = 0; pass < 30; ++pass) {
        REQUIRE(s.write([&](Txn& t) {
            for (int i = 0; i < 100; ++i) t.append_mail("user" + std::to_string(i % 37), mail("bob", 40));
            return proto::OK;
        }) == proto::OK);
        REQUIRE(s.commit_pass());
    }
    auto [live, charged] = s.read([](Txn& t) { return std::pair{t.live_bytes(), t.sender_bytes("bob")}; });
    INFO("live " << live - before << " bytes for " << charged << " charged");
    CHECK(charged == 3000 * mail_charge(mail("bob", 40)));
    CHECK(live - before < 4 * charged);
}

