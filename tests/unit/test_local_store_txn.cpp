// LocalStore's read-modify-write of secrets across processes (several
// terminals of one account): update_secrets under the writer lock, and
// add() refusing to commit on a basis another process changed.
#include <catch2/catch.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "shared/wire.hpp"
#include "tests/unit/temp_dir.hpp"
#include "tui/client/local_store.hpp"

using namespace tacit;
using namespace tacit::client;

namespace {

Bytes file_key() { return Bytes(32, 0xA1); }

uint32_t counter_in(LocalStore::SecretTxn& t) {
    auto s = t.get("counter");
    return s && s->size() == 4 ? get_u32be(s->data()) : 0;
}

// Adds 1 to "counter" n times, each a read-modify-write in one transaction.
void bump(LocalStore& s, int n) {
    for (int i = 0; i < n; ++i)
        s.update_secrets([](LocalStore::SecretTxn& t) {
            uint8_t b[4];
            put_u32be(b, counter_in(t) + 1);
            usleep(50);  // widens the window a torn read-modify-write would lose in
            t.put("counter", ByteView(b, 4));
        });
}

ChatMessage from_bob(std::string id, std::string body) {
    ChatMessage m;
    m.id = std::move(id);
    m.from = "bob";
    m.to = "alice";
    m.sent_at_ms = 1;
    m.body = std::move(body);
    return m;
}

}  // namespace

TEST_CASE("local store: update_secrets of two processes never loses a step", "[local_store][txn]") {
    test::TempDir d("local-txn");
    const std::string dir = d.path + "/store";
    constexpr int kEach = 200;
    { LocalStore s(dir, file_key()); }  // created before the fork
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int rc = 0;
        try {
            LocalStore s(dir, file_key());
            bump(s, kEach);
        } catch (...) {
            rc = 1;
        }
        ::_exit(rc);
    }
    {
        LocalStore s(dir, file_key());
        bump(s, kEach);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    LocalStore s(dir, file_key());
    auto c = s.get_secret("counter");
    REQUIRE(c);
    CHECK(get_u32be(c->data()) == uint32_t(2 * kEach));
}

TEST_CASE("local store: an exception in update_secrets writes nothing", "[local_store][txn]") {
    test::TempDir d("local-txn-throw");
    LocalStore s(d.path + "/store", file_key());
    s.put_secret("a", as_bytes("old"));
    CHECK_THROWS_AS(s.update_secrets([](LocalStore::SecretTxn& t) {
                        t.put("a", as_bytes("new"));
                        t.put("b", as_bytes("new"));
                        throw std::runtime_error("stop");
                    }),
                    std::runtime_error);
    auto a = s.get_secret("a");
    REQUIRE(a);
    CHECK(std::string(as_chars(a->view())) == "old");
    CHECK_FALSE(s.get_secret("b"));
}

TEST_CASE("local store: add commits only on the basis it was given", "[local_store][txn]") {
    test::TempDir d("local-txn-basis");
    LocalStore s(d.path + "/store", file_key());
    s.put_secret("dm sessions bob", as_bytes("state 1"));
    LocalStore::SecretChanges basis{{"dm sessions bob", Secret(as_bytes("state 1"))}};
    LocalStore::SecretChanges next{{"dm sessions bob", Secret(as_bytes("state 2"))}};

    // Another client stepped the sessions meanwhile: nothing is written.
    s.put_secret("dm sessions bob", as_bytes("state 1b"));
    CHECK_THROWS_AS(s.add({from_bob("m1", "hi")}, "alice", next, basis), LocalStore::Conflict);
    CHECK_FALSE(s.seen("bob", "m1"));
    CHECK(std::string(as_chars(s.get_secret("dm sessions bob")->view())) == "state 1b");

    // On the current basis it commits, history and secrets together.
    basis["dm sessions bob"] = Secret(as_bytes("state 1b"));
    CHECK(s.add({from_bob("m1", "hi")}, "alice", next, basis).size() == 1);
    CHECK(s.seen("bob", "m1"));
    CHECK(std::string(as_chars(s.get_secret("dm sessions bob")->view())) == "state 2");

    // An absent secret is a basis too: one that appeared is a conflict.
    LocalStore::SecretChanges absent{{"dm sessions carol", std::nullopt}};
    s.put_secret("dm sessions carol", as_bytes("set up elsewhere"));
    CHECK_THROWS_AS(s.add({from_bob("m2", "again")}, "alice", {}, absent), LocalStore::Conflict);
    CHECK_FALSE(s.seen("bob", "m2"));
}
