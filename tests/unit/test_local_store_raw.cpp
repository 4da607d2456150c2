// Issue 16 item 6: a copied local store, read without the key, reveals no
// contact, conversation, group, setting, secret or sender name, no message
// id, body or time. The test writes known names through the real store and
// greps every file of the store directory for them.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/unit/temp_dir.hpp"
#include "tui/client/local_store.hpp"

using namespace tacit;
using namespace tacit::client;

namespace {

Bytes store_key() { return Bytes(32, 0x5E); }

ChatMessage msg(std::string id, std::string from, std::string to, std::string group, uint64_t at,
                std::string body) {
    ChatMessage m;
    m.id = std::move(id);
    m.from = std::move(from);
    m.to = std::move(to);
    m.group = std::move(group);
    m.sent_at_ms = at;
    m.received_at_ms = at;
    m.body = std::move(body);
    m.verified = true;
    return m;
}

// Every file under dir, concatenated (data.mdb, lock.mdb, anything else).
std::string all_files(const std::string& dir) {
    std::string out;
    for (auto& e : std::filesystem::recursive_directory_iterator(dir)) {
        if (!e.is_regular_file()) continue;
        std::ifstream f(e.path(), std::ios::binary);
        REQUIRE(f);
        out.append(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    }
    return out;
}

std::string be64(uint64_t v) {
    std::string s(8, '\0');
    for (int i = 7; i >= 0; --i, v >>= 8) s[size_t(i)] = char(v & 0xff);
    return s;
}
std::string le64(uint64_t v) {
    std::string s = be64(v);
    return std::string(s.rbegin(), s.rend());
}

}  // namespace

TEST_CASE("local store: a copied store reveals no names, ids or times", "[local_store][raw]") {
    test::TempDir d("raw");
    const std::string dir = d.path + "/store";
    const std::string peer = "peerQz7wK", contact = "contactVb4nR", sender = "senderHy6tP";
    const std::string group = "groupWm2pX", setting = "notify:peerQz7wK", secret = "dm sessions peerQz7wK";
    const std::vector<std::string> ids{"msgidJ3k9aA", "msgidJ3k9aB", "msgidJ3k9aC"};
    const uint64_t t1 = 0x0000017A2B3C4D5EULL, t2 = 0x0000017A2B3C6F71ULL, t3 = 0x0000017A2B3C9A82ULL;
    {
        LocalStore s(dir, store_key());
        REQUIRE(s.add({msg(ids[0], peer, "me", "", t1, "bodyText1"),
                       msg(ids[1], sender, "me", group, t2, "bodyText2"),
                       msg(ids[2], "me", peer, "", t3, "bodyText3")},
                      "me")
                    .size() == 3);
        s.pin(contact, as_bytes("bundle"));
        s.pin(sender, as_bytes("bundle2"));
        s.set_group(group, true);
        s.put_setting(setting, "mentions");
        s.put_secret(secret, as_bytes("ratchet state"));
        // The grep must be able to fail: all of it reads back.
        CHECK(s.last(peer, 10).size() == 2);
        CHECK(s.last("#" + group, 10).size() == 1);
        CHECK(s.conversations() == std::vector<std::string>{peer, "#" + group});
        CHECK(s.groups() == std::vector<std::string>{group});
        CHECK(s.settings().at(setting) == "mentions");
        CHECK(s.pinned(contact));
        CHECK(s.get_secret(secret));
        CHECK(s.seen(sender, ids[1]));
    }
    const std::string raw = all_files(dir);
    REQUIRE(raw.size() > 0);
    REQUIRE(raw.find("history") != std::string::npos);  // the grep sees the files' own text
    for (const auto& name : {peer, contact, sender, group, std::string("notify:"), std::string("dm sessions")})
        CHECK(raw.find(name) == std::string::npos);
    for (const auto& id : ids) CHECK(raw.find(id) == std::string::npos);
    CHECK(raw.find("bodyText") == std::string::npos);
    for (uint64_t t : {t1, t2, t3}) {
        // Any 6 significant bytes of a time, either byte order.
        CHECK(raw.find(be64(t).substr(2)) == std::string::npos);
        CHECK(raw.find(le64(t).substr(0, 6)) == std::string::npos);
    }
}
