// tui/client/account: the on-disk layout, on real directories. Accounts are
// keyed by the server key's fingerprint; an account from the old layout
// (DATA/ADDRESS/USER) is moved into place under any address pinned to the
// same key, and never under another server's.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "shared/crypto.hpp"
#include "shared/protocol.hpp"
#include "tests/unit/temp_dir.hpp"
#include "tui/client/account.hpp"
#include "tui/client/paths.hpp"

using namespace tacit;

namespace {
bool is_dir(const std::string& p) {
    struct stat st{};
    return ::lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
bool is_link(const std::string& p) {
    struct stat st{};
    return ::lstat(p.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}
std::string slurp(const std::string& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
}
// An old-layout account directory with one marker file.
void old_account(const std::string& data, const std::string& address, const std::string& user,
                 const std::string& mark) {
    auto dir = data + "/" + client::old_server_dirname(address) + "/" + user;
    client::make_dirs(dir);
    std::ofstream(dir + "/mark") << mark;
}
// A data directory with two addresses pinned to k and one to other.
struct Pinned {
    test::TempDir t{"account"};
    client::DataDir d{t.path + "/tacit"};
    ServerBundle k = ServerIdentity::generate().bundle(), other = ServerIdentity::generate().bundle();
    Pinned() {
        d.pin_server("127.0.0.1:7700", k);
        d.pin_server("unix:/run/tacit/tacitd.sock", k);
        d.pin_server("10.0.0.2:7700", other);
    }
};
}  // namespace

TEST_CASE("account: one directory per server key, whatever the address", "[account]") {
    Pinned p;
    auto& d = p.d;
    const auto &k = p.k, &other = p.other;
    CHECK(d.pinned_server("unix:/run/tacit/tacitd.sock")->encode() == k.encode());
    auto a = d.account(k, "alice");
    CHECK(a.dir() == d.server_dir(k) + "/alice");
    CHECK(a.dir().find(":") == std::string::npos);
    CHECK(d.account(other, "alice").dir() != a.dir());
    CHECK_FALSE(a.has_identity());
}

TEST_CASE("account: an old directory under an address pinned to the key is moved, a link left", "[account]") {
    Pinned p;
    auto& d = p.d;
    const auto &k = p.k, &other = p.other;
    old_account(d.path(), "127.0.0.1:7700", "alice", "tcp");
    old_account(d.path(), "10.0.0.2:7700", "bob", "other");

    // Reached over the socket now: the TCP address's account is the same one.
    auto a = d.account(k, "alice");
    REQUIRE(is_dir(a.dir()));
    CHECK(slurp(a.dir() + "/mark") == "tcp");
    const auto old = d.path() + "/127.0.0.1_7700/alice";
    CHECK(is_link(old));
    CHECK(slurp(old + "/mark") == "tcp");  // an older client still finds it
    CHECK(d.account(k, "alice").dir() == a.dir());  // the second time: nothing to move

    // bob's old directory belongs to another server's key: not adopted.
    auto b = d.account(k, "bob");
    CHECK_FALSE(is_dir(b.dir()));
    CHECK(is_dir(d.path() + "/10.0.0.2_7700/bob"));
    CHECK(slurp(d.account(other, "bob").dir() + "/mark") == "other");
}

TEST_CASE("account: the store key opens with its file key only", "[account]") {
    test::TempDir t("account");
    client::DataDir d(t.path + "/tacit");
    auto a = d.account(ServerIdentity::generate().bundle(), "alice");
    Secret fk(32), wrong(32);
    crypto::random_bytes(fk.data(), 32);
    crypto::random_bytes(wrong.data(), 32);
    CHECK_THROWS(a.store_key(fk, false));  // none yet, and not asked to make one
    auto k = a.store_key(fk, true);
    CHECK(a.store_key(fk, false).view().size() == 32);
    CHECK(ct_equal(a.store_key(fk, false).view(), k.view()));
    CHECK_THROWS_WITH(a.store_key(wrong, false), Catch::Contains("wrong password"));
    struct stat st{};
    REQUIRE(::stat((a.dir() + "/store.key").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("account: login reads the salt from the identity file's header", "[account]") {
    test::TempDir t("account");
    client::DataDir d(t.path + "/tacit");
    auto a = d.account(ServerIdentity::generate().bundle(), "alice");
    client::Result err;
    CHECK_FALSE(a.identity_salt(&err));
    CHECK_THAT(err.msg, Catch::Contains("register first"));

    ::setenv("TACIT_KDF_ITERATIONS", "2", 1);
    const auto keys = derive_password("pw", PasswordSalt::fresh());
    ::unsetenv("TACIT_KDF_ITERATIONS");
    static const UserIdentity id = UserIdentity::generate();
    a.save_identity(id, keys);
    auto salt = a.identity_salt(&err);
    REQUIRE(salt);
    CHECK(Bytes(salt->bytes().begin(), salt->bytes().end()) == Bytes(keys.salt.bytes().begin(), keys.salt.bytes().end()));
    CHECK(a.open_identity(keys.file_key, &err));

    // Cut inside the header: refused with a reason, before any PBKDF2.
    const auto path = a.dir() + "/identity.key";
    REQUIRE(::truncate(path.c_str(), 30) == 0);
    err = {};
    CHECK_FALSE(a.identity_salt(&err));
    CHECK(err.status == proto::AUTH_FAILED);
    CHECK_THAT(err.msg, Catch::Contains("not a tacit identity file"));
    CHECK_FALSE(a.open_identity(keys.file_key, &err));
}
